#include "http/response_parser.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace endure::http {
namespace {

// Headers a response usually carries (nginx sends 6 to 9): one allocation for the list.
constexpr size_t expected_headers = 12;

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr size_t max_chunk_line = 4096;

}  // namespace

void response_parser::reset(const parser_options& options) {
  options_ = options;
  state_ = state::headers;
  error_.clear();
  received_any_ = false;
  head_buf_.clear();
  head_scan_ = 0;
  head_total_ = 0;
  status_ = 0;
  version_minor_ = 1;
  reason_.clear();
  set_cookie_ = false;
  location_ = std::string::npos;
  keep_alive_ = true;
  remaining_ = 0;
  chunk_ = chunk_state::size_line;
  line_.clear();
  trailer_bytes_ = 0;
  body_.clear();
  // A body handed back by the consumer (swap) is reused, unless it is large: an idle pooled
  // parser must not pin a big response's memory.
  if (body_.capacity() > (64 << 10)) std::string().swap(body_);
  body_bytes_ = 0;
  wire_body_bytes_ = 0;
  coding_ = content_coding::identity;
}

size_t response_parser::fail(std::string_view message) {
  state_ = state::failed;
  error_.assign(message);
  keep_alive_ = false;
  return 0;
}

size_t response_parser::feed(std::string_view data) {
  size_t used = 0;
  if (!data.empty()) received_any_ = true;
  while (used < data.size()) {
    std::string_view rest = data.substr(used);
    switch (state_) {
      case state::headers: {
        size_t n = feed_headers(rest);
        if (state_ == state::failed) return used;
        used += n;
        break;
      }
      case state::body_length: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, rest.size()));
        on_body_bytes(rest.substr(0, n));
        used += n;
        if (state_ == state::failed) return used;
        remaining_ -= n;
        if (remaining_ == 0) finish();
        break;
      }
      case state::body_chunked: {
        size_t n = feed_chunked(rest);
        used += n;
        if (state_ == state::failed) return used;
        break;
      }
      case state::body_close:
        on_body_bytes(rest);
        used += rest.size();
        if (state_ == state::failed) return used;
        break;
      case state::done:
      case state::failed:
        return used;
    }
  }
  return used;
}

void response_parser::on_eof() {
  if (state_ == state::body_close) {
    finish();
  } else if (state_ != state::done && state_ != state::failed) {
    fail(err_premature_eof);
  }
}

namespace {

// End of the head (just past the empty line) in buf, scanning from `from`; npos when not yet
// complete. `resume` is where the next scan may start once more bytes arrive.
size_t find_head_end(std::string_view buf, size_t from, size_t& resume) {
  size_t i = from;
  while (true) {
    const void* p = i < buf.size() ? std::memchr(buf.data() + i, '\n', buf.size() - i) : nullptr;
    if (p == nullptr) {
      resume = buf.size();
      return std::string_view::npos;
    }
    i = static_cast<size_t>(static_cast<const char*>(p) - buf.data());
    if (i + 1 >= buf.size()) {
      resume = i;
      return std::string_view::npos;
    }
    char next = buf[i + 1];
    if (next == '\n') return i + 2;
    if (next == '\r') {
      if (i + 2 >= buf.size()) {
        resume = i;
        return std::string_view::npos;
      }
      if (buf[i + 2] == '\n') return i + 3;
    }
    ++i;
  }
}

}  // namespace

size_t response_parser::feed_headers(std::string_view data) {
  const size_t limit = options_.max_header_bytes;
  if (head_buf_.empty()) {
    // Fast path: the whole head is in this segment (the usual case): parse it in place, in the
    // same pass that finds its end. The parse stops at the segment's last newline within the
    // first few KB (a sentinel for its scans); a head that does not end there is buffered.
    size_t budget = limit + 4 > head_total_ ? limit + 4 - head_total_ : 0;
    std::string_view take = data.substr(0, std::min(budget, data.size()));
    const size_t window = std::min<size_t>(take.size(), 8192);
    if (const void* last = window ? ::memrchr(take.data(), '\n', window) : nullptr) {
      size_t upto = static_cast<size_t>(static_cast<const char*>(last) - take.data()) + 1;
      size_t end = parse_head(take.substr(0, upto));
      if (state_ == state::failed) return 0;
      if (end != std::string_view::npos) {
        head_total_ += end;
        if (head_total_ > limit) return fail(err_headers_too_large);
        return end;
      }
    }
  }
  const size_t old = head_buf_.size();
  size_t budget = limit + 4 > head_total_ + old ? limit + 4 - head_total_ - old : 0;
  std::string_view take = data.substr(0, std::min(budget, data.size()));
  head_buf_.append(take);
  size_t end = find_head_end(head_buf_, head_scan_, head_scan_);
  if (end == std::string::npos) {
    if (head_total_ + head_buf_.size() > limit) return fail(err_headers_too_large);
    return take.size();
  }
  head_total_ += end;
  if (head_total_ > limit) return fail(err_headers_too_large);
  size_t consumed = end - old;
  head_buf_.resize(end);
  parse_head(head_buf_);  // the whole head: its end is `end`
  // A head split across reads is rare: do not keep its buffer with an idle connection.
  std::string().swap(head_buf_);
  head_scan_ = 0;
  return consumed;
}

bool response_parser::parse_status_line(std::string_view line) {
  // "HTTP/1.1 200 OK", reason optional.
  if (line.size() < 12 || !line.starts_with("HTTP/1.") || (line[7] != '0' && line[7] != '1') ||
      line[8] != ' ')
    return false;
  version_minor_ = line[7] - '0';
  int code = 0;
  for (size_t k = 9; k < 12; ++k) {
    if (line[k] < '0' || line[k] > '9') return false;
    code = code * 10 + (line[k] - '0');
  }
  if (code < 100) return false;
  if (line.size() > 12) {
    if (line[12] != ' ') return false;
    reason_.assign(line.substr(13));
  } else {
    reason_.clear();
  }
  status_ = code;
  return true;
}

namespace {

// True when v holds a NUL or a CR (not allowed in a field value): eight bytes at a time.
bool has_nul_or_cr(std::string_view v) {
  constexpr uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  constexpr uint64_t crs = 0x0d0d0d0d0d0d0d0dull;
  const char* p = v.data();
  size_t n = v.size();
  auto bad_word = [&](const char* at) {
    uint64_t w;
    std::memcpy(&w, at, 8);
    uint64_t x = w ^ crs;
    return ((((w - ones) & ~w) | ((x - ones) & ~x)) & highs) != 0;
  };
  if (n >= 8) {
    for (; n > 8; p += 8, n -= 8)
      if (bad_word(p)) return true;
    return bad_word(p + n - 8);  // the last 8 bytes (overlapping what was checked)
  }
  for (; n > 0; ++p, --n)
    if (*p == '\0' || *p == '\r') return true;
  return false;
}

}  // namespace

// The fields that decide the framing and the connection's fate, noted while the head is parsed
// (and the two the session looks at: Set-Cookie, Location).
struct response_parser::framing_fields {
  bool close = false, keep = false;
  bool has_te = false, chunked = false, has_cl = false, cl_bad = false;
  bool set_cookie = false;
  uint64_t length = 0;
  size_t encoding = std::string::npos;  // index of the Content-Encoding field
  size_t location = std::string::npos;  // index of the first Location field

  void note(std::string_view name, std::string_view value, size_t index) {
    // Only six names matter: skip the others by length and first letter before comparing.
    size_t len = name.size();
    char first = static_cast<char>(name[0] | 0x20);
    if (first != 'c' && first != 't') {
      if (first == 's' && len == 10 && iequals(name, "Set-Cookie")) {
        set_cookie = true;
      } else if (first == 'l' && len == 8 && location == std::string::npos &&
                 iequals(name, "Location")) {
        location = index;
      }
      return;
    }
    if (len == 10 && iequals(name, "Connection")) {
      if (iequals(value, "keep-alive")) {
        keep = true;
      } else {
        close = close || has_token(value, "close");
        keep = keep || has_token(value, "keep-alive");
      }
    } else if (len == 17 && iequals(name, "Transfer-Encoding")) {
      has_te = true;
      // Chunked must be the final coding: check the last item of the last header.
      std::string_view v = trim_ows(value);
      size_t comma = v.rfind(',');
      std::string_view last = trim_ows(comma == std::string_view::npos ? v : v.substr(comma + 1));
      chunked = iequals(last, "chunked");
    } else if (len == 14 && iequals(name, "Content-Length")) {
      std::string_view v = value;
      while (true) {
        size_t comma = v.find(',');
        std::string_view item = trim_ows(v.substr(0, comma));
        uint64_t n = 0;
        if (item.empty()) cl_bad = true;
        for (char c : item) {
          if (c < '0' || c > '9' || n > (UINT64_MAX - 9) / 10) {
            cl_bad = true;
            break;
          }
          n = n * 10 + static_cast<uint64_t>(c - '0');
        }
        if (has_cl && n != length) cl_bad = true;
        has_cl = true;
        length = n;
        if (comma == std::string_view::npos) break;
        v.remove_prefix(comma + 1);
      }
    } else if (len == 16 && iequals(name, "Content-Encoding")) {
      encoding = index;
    }
  }
};

size_t response_parser::parse_head(std::string_view block) {
  constexpr size_t incomplete = std::string_view::npos;
  // The fields are noted as offsets into the block (four per field: see http::raw_fields); once
  // the head's end is found, its bytes are copied once into headers_.bytes. The framing fields
  // are noted on the way. A folded value (obs-fold) is rebuilt in `folds`, which goes after the
  // head's bytes; its offset is marked with fold_mark until then.
  constexpr uint32_t fold_mark = 0x80000000u;
  std::vector<uint32_t>& spans = headers_.spans;
  spans.clear();
  if (spans.capacity() < 4 * expected_headers) spans.reserve(4 * expected_headers);
  framing_fields ff;
  std::string folds;
  auto bad = [&](std::string_view message) {
    headers_.clear();
    fail(message);
    return size_t{0};
  };
  // The block's last byte is '\n', which stops every scan below (no bounds check per byte).
  if (block.empty() || block.back() != '\n') return bad(err_header);
  const char* const base = block.data();
  const char* p = base;
  const char* const end = p + block.size();
  auto line_end = [end](const char* from) {
    return static_cast<const char*>(std::memchr(from, '\n', static_cast<size_t>(end - from)));
  };
  auto offset = [base](const char* at) { return static_cast<uint32_t>(at - base); };
  {
    const char* nl = line_end(p);
    std::string_view line(p, static_cast<size_t>(nl - p));
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!parse_status_line(line)) return bad(err_status_line);
    p = nl + 1;
  }
  while (true) {
    if (p == end) {  // the head goes on past this block
      spans.clear();
      return incomplete;
    }
    const char* name = p;
    while (is_token_char(*p)) ++p;
    if (p == name) {
      if (*p == '\n' || (*p == '\r' && p[1] == '\n')) {  // the empty line: end of the head
        p += *p == '\n' ? 1 : 2;
        break;
      }
      if (*p != ' ' && *p != '\t') return bad(err_header);
      // obs-fold (RFC 9112 5.2): a user agent replaces it with a space.
      if (spans.empty()) return bad(err_header);
      const char* nl = line_end(p);
      std::string_view more(p, static_cast<size_t>(nl - p));
      if (!more.empty() && more.back() == '\r') more.remove_suffix(1);
      more = trim_ows(more);
      if (has_nul_or_cr(more)) return bad(err_header);
      if (!more.empty()) {
        uint32_t* last = &spans[spans.size() - 4];
        if ((last[2] & fold_mark) == 0) {  // the field's first fold: its value moves to `folds`
          const uint32_t at = static_cast<uint32_t>(folds.size());
          folds.append(base + last[2], last[3]);
          last[2] = fold_mark | at;
        }
        folds += ' ';
        folds.append(more);
        last[3] = static_cast<uint32_t>(folds.size() - (last[2] & ~fold_mark));
      }
      p = nl + 1;
      continue;
    }
    if (*p != ':') return bad(err_header);
    const char* name_end = p;
    ++p;
    while (*p == ' ' || *p == '\t') ++p;
    const char* nl = line_end(p);
    const char* v_end = nl;
    if (v_end > p && v_end[-1] == '\r') --v_end;
    while (v_end > p && (v_end[-1] == ' ' || v_end[-1] == '\t')) --v_end;
    std::string_view value(p, static_cast<size_t>(v_end - p));
    if (has_nul_or_cr(value)) return bad(err_header);
    const size_t index = spans.size() / 4;
    spans.insert(spans.end(), {offset(name), offset(name_end), offset(p), offset(v_end)});
    spans[4 * index + 1] -= spans[4 * index];
    spans[4 * index + 3] -= spans[4 * index + 2];
    if (folds.empty()) ff.note(std::string_view(name, static_cast<size_t>(name_end - name)), value,
                               index);
    p = nl + 1;
  }
  const size_t head_len = static_cast<size_t>(p - base);
  if (status_ >= 100 && status_ < 200 && status_ != 101) {
    // Interim response (100 Continue, 103 Early Hints): skip it, the final one follows.
    headers_.clear();
    reason_.clear();
    status_ = 0;
    return head_len;
  }
  headers_.bytes.assign(base, head_len);
  if (!folds.empty()) {  // a folded line may have continued a framing field: note them all again
    for (size_t i = 2; i < spans.size(); i += 4)
      if (spans[i] & fold_mark) spans[i] = static_cast<uint32_t>(head_len + (spans[i] & ~fold_mark));
    headers_.bytes.append(folds);
    ff = framing_fields{};
    for (size_t i = 0; i < headers_.size(); ++i) ff.note(headers_.name(i), headers_.value(i), i);
  }
  set_cookie_ = ff.set_cookie;
  location_ = ff.location;
  choose_framing(ff);
  return head_len;
}

void response_parser::choose_framing(const framing_fields& ff) {
  const bool close = ff.close, keep = ff.keep, has_te = ff.has_te, chunked = ff.chunked;
  const bool has_cl = ff.has_cl, cl_bad = ff.cl_bad;
  const uint64_t length = ff.length;
  keep_alive_ = version_minor_ == 1 ? !close : (keep && !close);
  if (status_ == 101) keep_alive_ = false;

  if (options_.head_request || status_ == 204 || status_ == 304 || status_ < 200) {
    finish();
    return;
  }
  if (options_.decode_content && ff.encoding != std::string::npos) {
    coding_ = parse_content_coding(headers_.value(ff.encoding));
    if (coding_ == content_coding::unsupported) coding_ = content_coding::identity;
    if (coding_ != content_coding::identity) decoder_.reset(coding_);
  }
  if (has_te) {
    // Transfer-Encoding wins over Content-Length; such a message must close the connection.
    if (has_cl) keep_alive_ = false;
    if (chunked) {
      state_ = state::body_chunked;
      chunk_ = chunk_state::size_line;
      line_.clear();
    } else {
      state_ = state::body_close;
      keep_alive_ = false;
    }
    return;
  }
  if (has_cl) {
    if (cl_bad) {
      fail(err_content_length);
      return;
    }
    remaining_ = length;
    state_ = state::body_length;
    if (length == 0) {
      finish();
    } else if (coding_ == content_coding::identity) {
      // One allocation for a known length instead of doublings (capped: a server may announce
      // more than it sends).
      body_.reserve(static_cast<size_t>(std::min<uint64_t>({length, options_.max_body_bytes,
                                                            uint64_t{1} << 20})));
    }
    return;
  }
  state_ = state::body_close;
  keep_alive_ = false;
}

void response_parser::on_body_bytes(std::string_view bytes) {
  if (bytes.empty()) return;
  wire_body_bytes_ += bytes.size();
  if (coding_ == content_coding::identity) {
    body_bytes_ += bytes.size();
    if (body_.size() < options_.max_body_bytes) {
      size_t room = static_cast<size_t>(
          std::min<uint64_t>(options_.max_body_bytes - body_.size(), bytes.size()));
      body_.append(bytes.data(), room);
    }
    return;
  }
  // Counted before the error check: a body that fails mid-way still reports what it decoded,
  // so body_bytes() >= body().size() always holds (found by fuzz_response_parser).
  const bool ok = decoder_.feed(bytes, body_, options_.max_body_bytes);
  body_bytes_ = decoder_.total_out();
  if (!ok) fail(decoder_.error());
}

void response_parser::finish() {
  if (coding_ != content_coding::identity) {
    if (!decoder_.finish(body_, options_.max_body_bytes)) {
      fail(decoder_.error());
      return;
    }
    body_bytes_ = decoder_.total_out();
  }
  state_ = state::done;
}

bool response_parser::parse_chunk_size(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  size_t k = 0;
  uint64_t size = 0;
  while (k < line.size() && hex_digit(line[k]) >= 0) {
    if (size > (uint64_t{1} << 56)) return false;
    size = size * 16 + static_cast<uint64_t>(hex_digit(line[k]));
    ++k;
  }
  if (k == 0) return false;
  while (k < line.size() && (line[k] == ' ' || line[k] == '\t')) ++k;
  if (k < line.size() && line[k] != ';') return false;  // chunk extensions follow ';'
  remaining_ = size;
  return true;
}

size_t response_parser::feed_chunked(std::string_view data) {
  size_t used = 0;
  while (used < data.size() && state_ == state::body_chunked) {
    std::string_view rest = data.substr(used);
    switch (chunk_) {
      case chunk_state::size_line:
      case chunk_state::trailers: {
        size_t nl = rest.find('\n');
        std::string_view piece = rest.substr(0, nl == std::string_view::npos ? rest.size() : nl);
        size_t limit = chunk_ == chunk_state::size_line ? max_chunk_line : options_.max_header_bytes;
        if (line_.size() + piece.size() > limit) {
          fail(chunk_ == chunk_state::size_line ? err_chunked : err_headers_too_large);
          return used;
        }
        line_.append(piece);
        if (nl == std::string_view::npos) return used + rest.size();
        used += nl + 1;
        if (chunk_ == chunk_state::size_line) {
          if (!parse_chunk_size(line_)) {
            fail(err_chunked);
            return used;
          }
          line_.clear();
          chunk_ = remaining_ == 0 ? chunk_state::trailers : chunk_state::data;
        } else {
          std::string_view t = line_;
          if (!t.empty() && t.back() == '\r') t.remove_suffix(1);
          trailer_bytes_ += line_.size() + 1;
          if (trailer_bytes_ + head_total_ > options_.max_header_bytes) {
            fail(err_headers_too_large);
            return used;
          }
          if (t.empty()) {
            line_.clear();
            finish();
            return used;
          }
          size_t colon = t.find(':');
          if (colon == std::string_view::npos || colon == 0) {
            fail(err_chunked);
            return used;
          }
          line_.clear();  // trailer fields are validated but not kept
        }
        break;
      }
      case chunk_state::data: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, rest.size()));
        on_body_bytes(rest.substr(0, n));
        if (state_ == state::failed) return used;
        used += n;
        remaining_ -= n;
        if (remaining_ == 0) {
          chunk_ = chunk_state::data_crlf;
          line_.clear();
        }
        break;
      }
      case chunk_state::data_crlf: {
        char c = rest.front();
        ++used;
        if (c == '\r' && line_.empty()) {
          line_.push_back('\r');
        } else if (c == '\n') {
          line_.clear();
          chunk_ = chunk_state::size_line;
        } else {
          fail(err_chunked);
          return used;
        }
        break;
      }
    }
  }
  return used;
}

}  // namespace endure::http
