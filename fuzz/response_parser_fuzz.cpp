// Fuzz target: http::response_parser on arbitrary bytes in arbitrary pieces, then EOF.
#include "fuzz/fuzz_util.hpp"
#include "http/response_parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view data(reinterpret_cast<const char*>(bytes), size);
  const uint8_t flags = endure::fuzz::take_byte(data);
  const std::string_view whole = data;
  endure::http::parser_options o;
  o.head_request = flags & 1;
  o.decode_content = flags & 2;
  o.max_body_bytes = (flags & 4) ? 16 : 1 << 20;
  o.max_header_bytes = (flags & 8) ? 64 : 8 << 10;
  endure::http::response_parser p;
  p.reset(o);
  for (size_t i = 0; !data.empty() && !p.done() && !p.failed(); ++i) {
    size_t n = std::min(data.size(), endure::fuzz::piece_size(i, flags >> 4));
    size_t used = p.feed(data.substr(0, n));
    ENDURE_FUZZ_CHECK(used <= n);
    if (used < n) break;  // the response ended (or failed) inside this piece
    data.remove_prefix(n);
  }
  if (!p.done() && !p.failed()) p.on_eof();
  ENDURE_FUZZ_CHECK(p.done() || p.failed());
  ENDURE_FUZZ_CHECK(p.body().size() <= p.body_bytes());
  ENDURE_FUZZ_CHECK(p.body().size() <= o.max_body_bytes);
  ENDURE_FUZZ_CHECK(p.failed() == !p.error().empty());

  // Differential: the same bytes in one piece reach the same outcome (the in-place fast path
  // and the buffered path must agree). Error texts may differ (a bad line can be seen before a
  // head grows too large), success may not.
  endure::http::response_parser q;
  q.reset(o);
  size_t used = q.feed(whole);
  if (used == whole.size() && !q.done() && !q.failed()) q.on_eof();
  ENDURE_FUZZ_CHECK(q.done() == p.done());
  if (p.done() && q.done()) {
    ENDURE_FUZZ_CHECK(q.status() == p.status());
    ENDURE_FUZZ_CHECK(q.body() == p.body());
    ENDURE_FUZZ_CHECK(q.body_bytes() == p.body_bytes());
    ENDURE_FUZZ_CHECK(q.keep_alive() == p.keep_alive());
    ENDURE_FUZZ_CHECK(q.headers() == p.headers());
  }
  return 0;
}
