#include "http/cookie_jar.hpp"

#include <gtest/gtest.h>

namespace endure::http {
namespace {

url U(const char* s) { return *parse_url(s); }
constexpr double now = 1'700'000'000.0;  // 2023-11-14T22:13:20Z

TEST(cookie_jar, parses_dates_in_the_usual_forms) {
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
  EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), 784111777);
  EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994"), 784111777);
  EXPECT_EQ(parse_http_date("Sun, 06-Nov-1994 08:49:37 GMT"), 784111777);
  EXPECT_EQ(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), 0);
  EXPECT_FALSE(parse_http_date("tomorrow").has_value());
}

TEST(cookie_jar, host_only_and_domain_cookies) {
  cookie_jar jar;
  ASSERT_TRUE(jar.set_from_header("a=1", U("http://www.example.com/"), now));
  ASSERT_TRUE(jar.set_from_header("b=2; Domain=.example.com", U("http://www.example.com/"), now));
  EXPECT_EQ(jar.cookie_header(U("http://www.example.com/"), now), "a=1; b=2");
  EXPECT_EQ(jar.cookie_header(U("http://api.example.com/"), now), "b=2");
  EXPECT_EQ(jar.cookie_header(U("http://example.com/"), now), "b=2");
  EXPECT_EQ(jar.cookie_header(U("http://notexample.com/"), now), "");
  // A Domain that does not match the host is rejected.
  EXPECT_FALSE(jar.set_from_header("c=3; Domain=other.org", U("http://www.example.com/"), now));
  EXPECT_EQ(jar.size(), 2u);
}

TEST(cookie_jar, path_rules_and_ordering) {
  cookie_jar jar;
  jar.set_from_header("root=1; Path=/", U("http://h/"), now);
  jar.set_from_header("deep=2; Path=/a/b", U("http://h/"), now);
  jar.set_from_header("dflt=3", U("http://h/a/b/page"), now);  // default path /a/b
  jar.set_from_header("mid=4; Path=/a", U("http://h/"), now);
  EXPECT_EQ(jar.cookie_header(U("http://h/a/b/c"), now), "deep=2; dflt=3; mid=4; root=1");
  EXPECT_EQ(jar.cookie_header(U("http://h/a/bc"), now), "mid=4; root=1");
  EXPECT_EQ(jar.cookie_header(U("http://h/x"), now), "root=1");
  EXPECT_EQ(jar.cookie_header(U("http://h/a/b"), now), "deep=2; dflt=3; mid=4; root=1");
}

TEST(cookie_jar, expiry_and_max_age) {
  cookie_jar jar;
  const url h = U("http://h/");
  jar.set_from_header("e=1; Expires=Wed, 15 Nov 2023 00:00:00 GMT", h, now);
  jar.set_from_header("m=2; Max-Age=60", h, now);
  // Max-Age wins over Expires (the Expires here is in the past).
  jar.set_from_header("w=3; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=100", h, now);
  EXPECT_EQ(jar.cookie_header(h, now), "e=1; m=2; w=3");
  EXPECT_EQ(jar.cookie_header(h, now + 61), "e=1; w=3");
  EXPECT_EQ(jar.cookie_header(h, now + 200), "e=1");
  EXPECT_EQ(jar.cookie_header(h, 1'700'006'401.0), "");
  // Deletion: Max-Age=0 and past Expires remove the stored cookie.
  jar.set_from_header("m=x; Max-Age=0", h, now);
  jar.set_from_header("e=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT", h, now);
  EXPECT_EQ(jar.cookie_header(h, now), "w=3");
  EXPECT_EQ(jar.size(), 1u);
  jar.remove_expired(now + 1000);
  EXPECT_EQ(jar.size(), 0u);
}

TEST(cookie_jar, secure_only_over_https_and_replacement) {
  cookie_jar jar;
  jar.set_from_header("s=1; Secure; HttpOnly", U("https://h/"), now);
  jar.set_from_header("p=1", U("https://h/"), now);
  EXPECT_EQ(jar.cookie_header(U("http://h/"), now), "p=1");
  EXPECT_EQ(jar.cookie_header(U("https://h/"), now), "s=1; p=1");
  EXPECT_TRUE(jar.all()[0].http_only);
  jar.set_from_header("s=2; Secure", U("https://h/"), now);
  EXPECT_EQ(jar.cookie_header(U("https://h/"), now), "s=2; p=1");
}

TEST(cookie_jar, user_set_get_clear) {
  cookie_jar jar;
  jar.set("token", "abc");
  EXPECT_EQ(jar.get("token"), "abc");
  EXPECT_EQ(jar.cookie_header(U("http://any.host/x"), now), "token=abc");
  jar.set("scoped", "1", "example.com", "/api");
  EXPECT_EQ(jar.cookie_header(U("http://www.example.com/api/v1"), now), "scoped=1; token=abc");
  EXPECT_EQ(jar.cookie_header(U("http://www.example.com/"), now), "token=abc");
  jar.set("token", "def");
  EXPECT_EQ(jar.get("token"), "def");
  EXPECT_FALSE(jar.get("missing").has_value());
  jar.clear();
  EXPECT_TRUE(jar.empty());
}

TEST(cookie_jar, rejects_malformed) {
  cookie_jar jar;
  EXPECT_FALSE(jar.set_from_header("novalue", U("http://h/"), now));
  EXPECT_FALSE(jar.set_from_header("=x", U("http://h/"), now));
  EXPECT_TRUE(jar.empty());
}

}  // namespace
}  // namespace endure::http
