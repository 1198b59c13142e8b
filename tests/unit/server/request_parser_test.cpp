// Unit tests of server::request_parser and the message helpers: pure, no sockets.
#include "server/request_parser.hpp"

#include <gtest/gtest.h>

namespace endure::server {
namespace {

struct outcome {
  request_parser::status st;
  request req;
};

// Feeds `bytes` in pieces of `step` bytes, as a connection would (dropping consumed bytes).
outcome feed(const std::string& bytes, std::size_t step, std::size_t max_header = 65536,
             std::size_t max_body = 1 << 20) {
  request_parser p(max_header, max_body);
  outcome o{request_parser::status::need_more, {}};
  std::string buffered;
  std::size_t sent = 0;
  while (true) {
    const std::size_t take = std::min(step, bytes.size() - sent);
    buffered.append(bytes, sent, take);
    sent += take;
    std::size_t consumed = 0;
    o.st = p.parse(buffered, consumed, o.req);
    buffered.erase(0, consumed);
    if (o.st != request_parser::status::need_more || sent == bytes.size()) return o;
  }
}

TEST(request_parser, parses_request_line_headers_and_query_at_every_split) {
  const std::string raw =
      "GET /a%20b/c?x=1&y=hello+world&z=%2F HTTP/1.1\r\nHost: h\r\nX-Mixed-Case:  v \r\n\r\n";
  for (std::size_t step = 1; step <= raw.size(); ++step) {
    const auto o = feed(raw, step);
    ASSERT_EQ(o.st, request_parser::status::done) << "step " << step;
    EXPECT_EQ(o.req.method, "GET");
    EXPECT_EQ(o.req.path, "/a b/c");
    EXPECT_EQ(o.req.query_string, "x=1&y=hello+world&z=%2F");
    EXPECT_EQ(o.req.query_param("y").value_or(""), "hello world");
    EXPECT_EQ(o.req.query_param("z").value_or(""), "/");
    EXPECT_EQ(o.req.header("x-mixed-case").value_or(""), "v");
    EXPECT_TRUE(o.req.keep_alive);
  }
}

TEST(request_parser, chunked_body_at_every_split) {
  const std::string raw =
      "POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\nA;name=v\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n";
  for (std::size_t step = 1; step <= raw.size(); ++step) {
    const auto o = feed(raw, step);
    ASSERT_EQ(o.st, request_parser::status::done) << "step " << step;
    EXPECT_EQ(o.req.body, "abc0123456789");
  }
}

TEST(request_parser, content_length_body_and_keep_alive_rules) {
  auto o = feed("POST / HTTP/1.0\r\nContent-Length: 4\r\n\r\nbody", 3);
  ASSERT_EQ(o.st, request_parser::status::done);
  EXPECT_EQ(o.req.body, "body");
  EXPECT_FALSE(o.req.keep_alive);
  EXPECT_EQ(o.req.version_minor, 0);
  o = feed("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", 100);
  EXPECT_TRUE(o.req.keep_alive);
  o = feed("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", 100);
  EXPECT_FALSE(o.req.keep_alive);
}

TEST(request_parser, rejects_malformed_and_oversized) {
  using s = request_parser::status;
  EXPECT_EQ(feed("GET\r\n\r\n", 100).st, s::bad_request);
  EXPECT_EQ(feed("GET / HTTP/1.1 extra\r\n\r\n", 100).st, s::bad_request);
  EXPECT_EQ(feed("G(T / HTTP/1.1\r\n\r\n", 100).st, s::bad_request);
  EXPECT_EQ(feed("GET / HTTP/1.1\r\nBad Name: v\r\n\r\n", 100).st, s::bad_request);
  EXPECT_EQ(feed("GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 100).st,
            s::bad_request);
  EXPECT_EQ(feed("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 100)
                .st,
            s::bad_request);
  EXPECT_EQ(feed("GET / HTTP/1.1\r\nX: " + std::string(200, 'a') + "\r\n\r\n", 7, 100).st,
            s::header_too_large);
  EXPECT_EQ(feed("POST / HTTP/1.1\r\nContent-Length: 2000\r\n\r\n", 100, 65536, 1000).st,
            s::body_too_large);
  EXPECT_EQ(feed("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n", 100, 65536, 1000)
                .st,
            s::body_too_large);
}

TEST(request_parser, reset_allows_the_next_request) {
  request_parser p(65536, 1 << 20);
  request req;
  std::string buf = "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n";
  std::size_t consumed = 0;
  ASSERT_EQ(p.parse(buf, consumed, req), request_parser::status::done);
  EXPECT_EQ(req.path, "/1");
  buf.erase(0, consumed);
  p.reset();
  req.clear();
  ASSERT_EQ(p.parse(buf, consumed, req), request_parser::status::done);
  EXPECT_EQ(req.path, "/2");
  EXPECT_EQ(consumed, buf.size());
}

TEST(message_helpers, tokens_cookies_encoding) {
  EXPECT_TRUE(header_has_token("gzip, deflate, br", "deflate"));
  EXPECT_TRUE(header_has_token("GZIP;q=0.5", "gzip"));
  EXPECT_FALSE(header_has_token("gzip;q=0", "gzip"));
  EXPECT_FALSE(header_has_token("x-gzip", "gzip"));
  request r;
  r.head_storage = "a=1; session=abc; b=2";
  r.headers.emplace_back("Cookie", r.head_storage);
  EXPECT_EQ(r.cookie("session").value_or(""), "abc");
  EXPECT_FALSE(r.cookie("missing").has_value());
  EXPECT_EQ(percent_encode("a b/c"), "a%20b%2Fc");
  EXPECT_EQ(percent_decode("a%20b%zz+", true), "a b%zz ");
  EXPECT_EQ(reason_phrase(404), "Not Found");
}

}  // namespace
}  // namespace endure::server
