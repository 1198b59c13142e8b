#include "http/url.hpp"

#include <gtest/gtest.h>

namespace endure::http {
namespace {

TEST(url, parses_absolute_urls) {
  struct row {
    const char* text;
    const char* scheme;
    const char* host;
    int port;
    const char* target;
    const char* userinfo;
  };
  const row rows[] = {
      {"http://example.com", "http", "example.com", 80, "/", ""},
      {"https://Example.COM/a/b?x=1#frag", "https", "example.com", 443, "/a/b?x=1", ""},
      {"http://h:8080/p", "http", "h", 8080, "/p", ""},
      {"http://[::1]:9000/x", "http", "::1", 9000, "/x", ""},
      {"https://[2001:db8::1]/", "https", "2001:db8::1", 443, "/", ""},
      {"http://user:pw@h/", "http", "h", 80, "/", "user:pw"},
      {"HTTP://h?q=1", "http", "h", 80, "/?q=1", ""},
      {"http://h/a b", "http", "h", 80, "/a%20b", ""},
      {"http://h/a/./b/../c", "http", "h", 80, "/a/c", ""},
  };
  for (const auto& r : rows) {
    auto u = parse_url(r.text);
    ASSERT_TRUE(u.ok()) << r.text << ": " << u.err().message;
    EXPECT_EQ(u->scheme, r.scheme) << r.text;
    EXPECT_EQ(u->host, r.host) << r.text;
    EXPECT_EQ(u->port, r.port) << r.text;
    EXPECT_EQ(u->target, r.target) << r.text;
    EXPECT_EQ(u->userinfo, r.userinfo) << r.text;
  }
}

TEST(url, rejects_bad_urls_with_a_clear_message) {
  auto u = parse_url("example.com/x");
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.err().message,
            "invalid URL 'example.com/x': expected http:// or https:// followed by a host");
  EXPECT_EQ(parse_url("ftp://h/").err().message,
            "invalid URL 'ftp://h/': unsupported scheme 'ftp', expected http or https");
  EXPECT_EQ(parse_url("http://h:99999/").err().message, "invalid URL 'http://h:99999/': invalid port");
  EXPECT_EQ(parse_url("http://h:x/").err().message, "invalid URL 'http://h:x/': invalid port");
  EXPECT_EQ(parse_url("http:///p").err().message, "invalid URL 'http:///p': missing host");
  EXPECT_EQ(parse_url("http://[::1/").err().message,
            "invalid URL 'http://[::1/': unterminated IPv6 address");
}

TEST(url, formats_host_header_and_string) {
  EXPECT_EQ(parse_url("http://h/")->host_header(), "h");
  EXPECT_EQ(parse_url("http://h:80/")->host_header(), "h");
  EXPECT_EQ(parse_url("https://h:8443/")->host_header(), "h:8443");
  EXPECT_EQ(parse_url("http://[::1]:81/")->host_header(), "[::1]:81");
  EXPECT_EQ(parse_url("http://u:p@H:81/x?y#z")->to_string(), "http://h:81/x?y");
  auto u = parse_url("http://h/p/q?a=1&b=2");
  EXPECT_EQ(u->path(), "/p/q");
  EXPECT_EQ(u->query(), "a=1&b=2");
}

TEST(url, resolves_references_against_a_base) {
  auto base = *parse_url("http://a.com:8080/b/c/d?q");
  struct row {
    const char* ref;
    const char* expected;
  };
  const row rows[] = {
      {"https://other.org/x", "https://other.org/x"},
      {"//cdn.net/lib.js", "http://cdn.net/lib.js"},
      {"/abs?z=1", "http://a.com:8080/abs?z=1"},
      {"g", "http://a.com:8080/b/c/g"},
      {"./g", "http://a.com:8080/b/c/g"},
      {"../g", "http://a.com:8080/b/g"},
      {"../../../g", "http://a.com:8080/g"},
      {"?y", "http://a.com:8080/b/c/d?y"},
      {"", "http://a.com:8080/b/c/d?q"},
      {"#f", "http://a.com:8080/b/c/d?q"},
      {"g/", "http://a.com:8080/b/c/g/"},
      {"/a/b/../c/./d", "http://a.com:8080/a/c/d"},
  };
  for (const auto& r : rows) {
    auto u = resolve_url(base, r.ref);
    ASSERT_TRUE(u.ok()) << r.ref << ": " << u.err().message;
    EXPECT_EQ(u->to_string(), r.expected) << r.ref;
  }
  EXPECT_FALSE(resolve_url(base, "mailto:x@y").ok());
}

TEST(url, encodes_queries_and_forms) {
  EXPECT_EQ(url_encode("a b&c=d/é~"), "a+b%26c%3Dd%2F%C3%A9~");
  EXPECT_EQ(url_encode("a b", false), "a%20b");
  EXPECT_EQ(form_encode({{"name", "John Doe"}, {"q", "1+1"}}), "name=John+Doe&q=1%2B1");
  std::string t = "/search";
  append_query(t, {{"q", "x y"}});
  EXPECT_EQ(t, "/search?q=x+y");
  append_query(t, {{"page", "2"}});
  EXPECT_EQ(t, "/search?q=x+y&page=2");
  append_query(t, {});
  EXPECT_EQ(t, "/search?q=x+y&page=2");
  EXPECT_EQ(url_decode("a%20b+c%zz", true), "a b c%zz");
}

}  // namespace
}  // namespace endure::http
