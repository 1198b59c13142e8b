// Fuzz target: http::cookie_jar::set_from_header (Set-Cookie parsing: attributes, dates, domains),
// then building the Cookie header for the same and another URL.
#include <string>

#include "fuzz/fuzz_util.hpp"
#include "http/cookie_jar.hpp"
#include "http/url.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view data(reinterpret_cast<const char*>(bytes), size);
  static const auto from = *endure::http::parse_url("https://shop.example.com/cart/items?id=1");
  static const auto other = *endure::http::parse_url("http://example.com/");
  endure::http::cookie_jar jar;
  const double now_s = 1.7e9;
  // Several headers in one input, separated by newlines, so cookies interact in the jar.
  while (!data.empty()) {
    size_t nl = data.find('\n');
    jar.set_from_header(data.substr(0, nl), from, now_s);
    if (nl == std::string_view::npos) break;
    data.remove_prefix(nl + 1);
  }
  std::string out;
  jar.cookie_header(from, now_s, out);
  jar.cookie_header(other, now_s + 1e6, out);
  endure::http::parse_http_date(std::string_view(reinterpret_cast<const char*>(bytes), size));
  return 0;
}
