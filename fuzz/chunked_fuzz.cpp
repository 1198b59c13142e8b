// Fuzz target: chunked transfer decoding, through http::response_parser: a fixed chunked head,
// then the input as the body, in arbitrary pieces. The decoded body never exceeds the wire bytes.
#include "fuzz/fuzz_util.hpp"
#include "http/response_parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view data(reinterpret_cast<const char*>(bytes), size);
  const uint8_t flags = endure::fuzz::take_byte(data);
  endure::http::parser_options o;
  o.max_body_bytes = (flags & 1) ? 8 : 1 << 20;
  endure::http::response_parser p;
  p.reset(o);
  constexpr std::string_view head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  ENDURE_FUZZ_CHECK(p.feed(head) == head.size());
  ENDURE_FUZZ_CHECK(p.headers_complete() && !p.failed());
  for (size_t i = 0; !data.empty() && !p.done() && !p.failed(); ++i) {
    size_t n = std::min(data.size(), endure::fuzz::piece_size(i, flags >> 1));
    size_t used = p.feed(data.substr(0, n));
    ENDURE_FUZZ_CHECK(used <= n);
    if (used < n) break;
    data.remove_prefix(n);
  }
  if (!p.done() && !p.failed()) p.on_eof();
  ENDURE_FUZZ_CHECK(p.done() || p.failed());
  ENDURE_FUZZ_CHECK(p.body_bytes() <= p.wire_body_bytes());
  ENDURE_FUZZ_CHECK(p.body().size() <= p.body_bytes());
  return 0;
}
