// Test helper: compresses data with zlib (gzip, zlib or raw deflate framing).
#pragma once
#include <zlib.h>

#include <stdexcept>
#include <string>
#include <string_view>

namespace endure::http::testing {

// window_bits: 15 + 16 gzip, 15 zlib, -15 raw deflate.
inline std::string compress(std::string_view data, int window_bits) {
  z_stream s{};
  if (deflateInit2(&s, Z_BEST_COMPRESSION, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2");
  std::string out(deflateBound(&s, static_cast<uLong>(data.size())) + 32, '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  s.avail_in = static_cast<uInt>(data.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&s, Z_FINISH);
  out.resize(s.total_out);
  deflateEnd(&s);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate");
  return out;
}

}  // namespace endure::http::testing
