#include "http/decompress.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>

#include "http/fields.hpp"

namespace endure::http {

struct body_decoder::zstate {
  z_stream s{};
  bool initialized = false;
  ~zstate() {
    if (initialized) inflateEnd(&s);
  }
};

content_coding parse_content_coding(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty() || iequals(value, "identity")) return content_coding::identity;
  if (iequals(value, "gzip") || iequals(value, "x-gzip")) return content_coding::gzip;
  if (iequals(value, "deflate")) return content_coding::deflate;
  return content_coding::unsupported;
}

// zlib's state is allocated by the first compressed body: a parser that only ever sees identity
// bodies (one per idle session) holds none.
body_decoder::body_decoder() = default;
body_decoder::~body_decoder() = default;

void body_decoder::reset(content_coding coding) {
  coding_ = coding;
  pending_.clear();
  started_ = ended_ = failed_ = false;
  total_out_ = 0;
}

const char* body_decoder::error() const {
  return coding_ == content_coding::deflate ? "invalid deflate body" : "invalid gzip body";
}

bool body_decoder::fail() {
  failed_ = true;
  return false;
}

bool body_decoder::feed(std::string_view in, std::string& out, uint64_t cap) {
  if (failed_) return false;
  if (ended_ || in.empty()) return true;  // bytes after the end of the stream are ignored
  if (!started_) {
    int window_bits = 15 + 16;  // gzip
    if (coding_ == content_coding::deflate) {
      // "deflate" is meant to be zlib-wrapped, but some servers send raw deflate: look at the
      // two-byte zlib header (CM=8, check bits) to tell them apart.
      if (pending_.size() + in.size() < 2) {
        pending_.append(in);
        return true;
      }
      std::string head = pending_;
      head.append(in.substr(0, 2 - std::min<size_t>(2, head.size())));
      auto b0 = static_cast<unsigned char>(head[0]);
      auto b1 = static_cast<unsigned char>(head[1]);
      bool zlib_wrapped = (b0 & 0x0f) == 8 && (b0 >> 4) <= 7 && ((b0 << 8) | b1) % 31 == 0;
      window_bits = zlib_wrapped ? 15 : -15;
    }
    if (!z_) z_ = std::make_unique<zstate>();
    if (z_->initialized) {
      inflateEnd(&z_->s);
      z_->initialized = false;
    }
    z_->s = z_stream{};
    if (inflateInit2(&z_->s, window_bits) != Z_OK) return fail();
    z_->initialized = true;
    started_ = true;
    if (!pending_.empty()) {
      std::string p;
      p.swap(pending_);
      if (!inflate_some(p, out, cap)) return false;
    }
  }
  return inflate_some(in, out, cap);
}

bool body_decoder::inflate_some(std::string_view in, std::string& out, uint64_t cap) {
  z_stream& s = z_->s;
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  s.avail_in = static_cast<uInt>(in.size());
  char scratch[16384];
  while (!ended_) {
    size_t room = out.size() < cap ? static_cast<size_t>(std::min<uint64_t>(cap - out.size(), 65536))
                                   : 0;
    char* dst = scratch;
    size_t old = out.size();
    if (room > 0) {
      out.resize(old + room);
      dst = out.data() + old;
    } else {
      room = sizeof scratch;
    }
    s.next_out = reinterpret_cast<Bytef*>(dst);
    s.avail_out = static_cast<uInt>(room);
    int rc = inflate(&s, Z_NO_FLUSH);
    size_t produced = room - s.avail_out;
    if (dst != scratch) out.resize(old + produced);
    total_out_ += produced;
    if (rc == Z_STREAM_END) {
      ended_ = true;
      break;
    }
    if (rc == Z_BUF_ERROR) break;  // needs more input
    if (rc != Z_OK) return fail();
    if (s.avail_in == 0 && s.avail_out != 0) break;
  }
  return true;
}

bool body_decoder::finish(std::string& out, uint64_t cap) {
  if (failed_) return false;
  if (!started_ && !pending_.empty()) {
    // A deflate body shorter than two bytes cannot be valid.
    return fail();
  }
  (void)out;
  (void)cap;
  if (!started_) return true;  // empty body: nothing to decode
  if (!ended_) return fail();
  return true;
}

base::result<decoded_body> decompress(std::string_view body, content_coding coding, uint64_t cap) {
  if (coding == content_coding::identity) {
    decoded_body d;
    d.total_out = body.size();
    d.data.assign(body.substr(0, static_cast<size_t>(std::min<uint64_t>(cap, body.size()))));
    return d;
  }
  if (coding == content_coding::unsupported)
    return base::make_error("unsupported content encoding");
  body_decoder dec;
  dec.reset(coding);
  decoded_body d;
  if (!dec.feed(body, d.data, cap) || !dec.finish(d.data, cap)) return base::make_error(dec.error());
  d.total_out = dec.total_out();
  return d;
}

}  // namespace endure::http
