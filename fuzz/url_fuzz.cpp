// Fuzz target: http::parse_url and http::resolve_url. A parsed URL printed and parsed again is the
// same URL; a resolved reference is a valid URL.
#include "fuzz/fuzz_util.hpp"
#include "http/url.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view data(reinterpret_cast<const char*>(bytes), size);
  if (auto u = endure::http::parse_url(data)) {
    ENDURE_FUZZ_CHECK(!u->target.empty() && u->target.front() == '/');
    auto again = endure::http::parse_url(u->to_string());
    ENDURE_FUZZ_CHECK(again.ok());
    ENDURE_FUZZ_CHECK(again->host == u->host && again->port == u->port &&
                      again->scheme == u->scheme && again->target == u->target);
  }
  static const auto base = *endure::http::parse_url("http://user@example.com:8080/a/b/c?q=1");
  if (auto r = endure::http::resolve_url(base, data)) {
    ENDURE_FUZZ_CHECK(!r->target.empty() && r->target.front() == '/');
    ENDURE_FUZZ_CHECK(endure::http::parse_url(r->to_string()).ok());
  }
  std::string decoded = endure::http::url_decode(data, true);
  ENDURE_FUZZ_CHECK(decoded.size() <= data.size());
  ENDURE_FUZZ_CHECK(endure::http::url_decode(endure::http::url_encode(data, false)) == data);
  return 0;
}
