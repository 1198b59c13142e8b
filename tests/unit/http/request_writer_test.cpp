#include "http/request_writer.hpp"

#include <gtest/gtest.h>

namespace endure::http {
namespace {

std::string write(std::string_view method, std::string_view target,
                  std::initializer_list<const field_list*> layers, std::string_view body = {},
                  std::string_view cookie = {}, std::string_view auth = {}) {
  std::vector<const field_list*> v(layers);
  request_head h;
  h.method = method;
  h.target = target;
  h.host = "example.com:8080";
  h.layers = v;
  h.body = body;
  h.cookie = cookie;
  h.authorization = auth;
  std::string out = "PREFIX|";  // appends, never clears
  write_request(out, h);
  return out;
}

TEST(request_writer, get_with_defaults) {
  EXPECT_EQ(write("GET", "/a?b=1", {}),
            "PREFIX|GET /a?b=1 HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: endure/0.1\r\n"
            "Accept-Encoding: gzip, deflate\r\nAccept: */*\r\nConnection: keep-alive\r\n\r\n");
}

TEST(request_writer, post_with_body_headers_cookie_and_auth) {
  field_list defaults{{"user-agent", "locust"}, {"X-Default", "1"}, {"Authorization", "x"}};
  field_list own{{"x-default", "2"}, {"Content-Type", "application/json"}};
  EXPECT_EQ(write("POST", "/p", {&defaults, &own}, "{\"a\":1}", "s=1; t=2",
                  basic_auth_value("Aladdin", "open sesame")),
            "PREFIX|POST /p HTTP/1.1\r\nHost: example.com:8080\r\n"
            "Accept-Encoding: gzip, deflate\r\nAccept: */*\r\nConnection: keep-alive\r\n"
            "user-agent: locust\r\nx-default: 2\r\nContent-Type: application/json\r\n"
            "Cookie: s=1; t=2\r\nAuthorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n"
            "Content-Length: 7\r\n\r\n{\"a\":1}");
}

TEST(request_writer, empty_post_gets_content_length_zero_and_get_none) {
  std::string post = write("POST", "/", {});
  EXPECT_NE(post.find("Content-Length: 0\r\n"), std::string::npos);
  EXPECT_NE(write("PUT", "/", {}).find("Content-Length: 0\r\n"), std::string::npos);
  EXPECT_NE(write("PATCH", "/", {}).find("Content-Length: 0\r\n"), std::string::npos);
  EXPECT_EQ(write("GET", "/", {}).find("Content-Length"), std::string::npos);
  EXPECT_EQ(write("DELETE", "/", {}).find("Content-Length"), std::string::npos);
}

TEST(request_writer, user_cookie_and_host_headers_override) {
  field_list own{{"Cookie", "mine=1"}, {"HOST", "virtual"}, {"connection", "close"}};
  std::string s = write("GET", "/", {&own}, {}, "jar=1");
  EXPECT_EQ(s.find("jar=1"), std::string::npos);
  EXPECT_EQ(s.find("Host: example.com"), std::string::npos);
  EXPECT_NE(s.find("HOST: virtual\r\n"), std::string::npos);
  EXPECT_NE(s.find("connection: close\r\n"), std::string::npos);
  EXPECT_EQ(s.find("keep-alive"), std::string::npos);
}

TEST(request_writer, base64) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(basic_auth_value("user", "pass"), "Basic dXNlcjpwYXNz");
}

}  // namespace
}  // namespace endure::http
