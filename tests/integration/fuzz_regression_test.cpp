// Every input a fuzz target crashed on, as a readable unit test (the raw input is also a seed in
// fuzz/seeds/<target>/crash-*). Pure parsing: no sockets, no threads.
#include <gtest/gtest.h>

#include "http/response_parser.hpp"
#include "http/url.hpp"

using namespace endure;

// fuzz_url: "http://127.0.0.1:6553http://127.0.0.1:6555/" parsed with host
// "127.0.0.1:6553http" and port 80 (the last ':' started an empty port), printed back as
// "http://[127.0.0.1:6553http]//..." which did not parse again.
TEST(fuzz_regression, url_host_with_a_colon_is_invalid_unless_bracketed) {
  auto u = http::parse_url("http://127.0.0.1:6553http://127.0.0.1:6555/");
  ASSERT_FALSE(u.ok());
  EXPECT_NE(u.err().message.find("invalid host"), std::string::npos) << u.err().message;
  EXPECT_FALSE(http::parse_url("http://a:b:80/").ok());
  auto v6 = http::parse_url("http://[::1]:8080/x");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 8080);
  auto empty_port = http::parse_url("http://example.com:/p");  // RFC 3986: empty port = default
  ASSERT_TRUE(empty_port.ok());
  EXPECT_EQ(empty_port->port, 80);
  EXPECT_TRUE(http::parse_url(empty_port->to_string()).ok());
}

// fuzz_response_parser: a deflate body that turns invalid after some output left body() longer
// than body_bytes(), because the count was only updated on success.
TEST(fuzz_regression, failed_deflate_body_still_counts_what_it_decoded) {
  http::parser_options o;
  o.decode_content = true;
  o.max_body_bytes = 16;
  http::response_parser p;
  p.reset(o);
  // The crashing input (a close-delimited deflate body whose stream breaks), in the same pieces
  // of 1..3 bytes the fuzz target fed.
  const std::string input(
      "\x48\x54\x54\x50\x2f\x31\x2e\x31\x20\x32\x30\x30\x20\x4f\x4b\x0d\x0a\x43\x6f\x6e\x74\x65\x6e\x74"
      "\x2d\x45\x6e\x63\x6f\x64\x69\x6e\x67\x3a\x20\x64\x65\x66\x6c\x61\x74\x65\x09\x0a\x43\x6f\x6e\x74"
      "\x65\x32\x74\x68\x3a\x20\x32\x36\x0d\x0a\x0d\x0a\x78\x9c\x4b\xce\xcf\x2d\x21\x28\x4a\x2d\x2e\xce"
      "\xcc\x0a\xca\x49\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
      "\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
      "\xff\xff\x55\x68\x3a\x20\x32\x36\x0d\x0a\x0d\xe5\x8c\x54",
      134);
  std::string_view data(input);
  for (size_t i = 0; !data.empty() && !p.failed() && !p.done(); ++i) {
    size_t n = std::min(data.size(), 1 + (i * 7 + 2) % 3);
    p.feed(data.substr(0, n));
    data.remove_prefix(n);
  }
  if (!p.failed() && !p.done()) p.on_eof();
  ASSERT_TRUE(p.failed());
  EXPECT_EQ(p.error(), "invalid deflate body");
  EXPECT_GT(p.body().size(), 0u);
  EXPECT_GE(p.body_bytes(), p.body().size());
}
