#include "http/response_parser.hpp"

#include <gtest/gtest.h>

#include "test_zlib.hpp"

namespace endure::http {
namespace {

struct outcome {
  bool done = false;
  bool failed = false;
  std::string error;
  int status = 0;
  std::string reason;
  std::string body;
  uint64_t body_bytes = 0;
  bool keep_alive = false;
  size_t consumed = 0;
  size_t headers = 0;
};

// Feeds bytes split at `split` (and then in one piece), optionally followed by EOF.
outcome run(std::string_view bytes, size_t split, bool eof, parser_options opts = {}) {
  response_parser p;
  p.reset(opts);
  outcome o;
  std::string_view parts[2] = {bytes.substr(0, split), bytes.substr(split)};
  for (auto part : parts) {
    if (p.done() || p.failed()) break;
    o.consumed += p.feed(part);
  }
  if (eof && !p.done() && !p.failed()) p.on_eof();
  o.done = p.done();
  o.failed = p.failed();
  o.error = std::string(p.error());
  o.status = p.status();
  o.reason = p.reason();
  o.body = p.body();
  o.body_bytes = p.body_bytes();
  o.keep_alive = p.keep_alive();
  o.headers = p.headers().size();
  return o;
}

// Runs every split point and byte-by-byte feeding, and checks they all agree with `expect`.
void every_split(std::string_view bytes, bool eof, const outcome& expect, parser_options opts = {}) {
  for (size_t split = 0; split <= bytes.size(); ++split) {
    outcome o = run(bytes, split, eof, opts);
    ASSERT_EQ(o.done, expect.done) << "split " << split << " error " << o.error;
    ASSERT_EQ(o.failed, expect.failed) << "split " << split;
    ASSERT_EQ(o.error, expect.error) << "split " << split;
    if (expect.done) {
      ASSERT_EQ(o.status, expect.status) << "split " << split;
      ASSERT_EQ(o.reason, expect.reason) << "split " << split;
      ASSERT_EQ(o.body, expect.body) << "split " << split;
      ASSERT_EQ(o.body_bytes, expect.body_bytes) << "split " << split;
      ASSERT_EQ(o.keep_alive, expect.keep_alive) << "split " << split;
      ASSERT_EQ(o.consumed, expect.consumed) << "split " << split;
    }
  }
  response_parser p;
  p.reset(opts);
  for (char c : bytes) {
    if (p.done() || p.failed()) break;
    p.feed(std::string_view(&c, 1));
  }
  if (eof && !p.done() && !p.failed()) p.on_eof();
  EXPECT_EQ(p.done(), expect.done);
  EXPECT_EQ(std::string(p.error()), expect.error);
  if (expect.done) {
    EXPECT_EQ(p.body(), expect.body);
  }
}

outcome ok(int status, std::string reason, std::string body, bool keep_alive, size_t consumed) {
  outcome o;
  o.done = true;
  o.status = status;
  o.reason = std::move(reason);
  o.body_bytes = body.size();
  o.body = std::move(body);
  o.keep_alive = keep_alive;
  o.consumed = consumed;
  return o;
}

outcome err(std::string_view message) {
  outcome o;
  o.failed = true;
  o.error = std::string(message);
  return o;
}

TEST(response_parser, content_length) {
  std::string r = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello";
  every_split(r, false, ok(200, "OK", "hello", true, r.size()));
  // Extra bytes after the response are left unconsumed.
  every_split(r + "HTTP/1.1", false, ok(200, "OK", "hello", true, r.size()));
}

TEST(response_parser, headers_are_kept_in_order) {
  response_parser p;
  p.reset({});
  p.feed("HTTP/1.1 404 Not Found\r\nA: 1\r\nset-cookie: x=1\r\nSet-Cookie: y=2\r\n"
         "Folded: a\r\n  b\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(p.done());
  ASSERT_EQ(p.headers().size(), 5u);
  EXPECT_EQ(p.headers().value(1), "x=1");
  EXPECT_EQ(p.headers().to_list(), (field_list{{"A", "1"}, {"set-cookie", "x=1"},
                                              {"Set-Cookie", "y=2"}, {"Folded", "a b"},
                                              {"Content-Length", "0"}}));
  EXPECT_EQ(p.headers().value(p.headers().index_of("folded")), "a b");
  EXPECT_TRUE(p.has_set_cookie());
  EXPECT_EQ(p.location_index(), std::string::npos);
  EXPECT_EQ(p.status(), 404);
  EXPECT_EQ(p.reason(), "Not Found");
}

// Several folded fields, folded twice, between plain ones, and split at every byte: each value
// is rebuilt after the head's bytes, the others still point into the head.
TEST(response_parser, folded_values_at_every_split) {
  const std::string r =
      "HTTP/1.1 302 Found\r\nX-One: a\r\n b\r\n\tc\r\nLocation: /next\r\nX-Two: d\r\n e\r\n"
      "Set-Cookie: s=1\r\nContent-Length: 0\r\n\r\n";
  const field_list want = {{"X-One", "a b c"}, {"Location", "/next"}, {"X-Two", "d e"},
                           {"Set-Cookie", "s=1"}, {"Content-Length", "0"}};
  for (size_t cut = 0; cut <= r.size(); ++cut) {
    response_parser p;
    p.reset({});
    size_t used = p.feed(std::string_view(r).substr(0, cut));
    used += p.feed(std::string_view(r).substr(used));
    ASSERT_TRUE(p.done()) << cut;
    EXPECT_EQ(used, r.size());
    EXPECT_EQ(p.headers().to_list(), want) << cut;
    EXPECT_EQ(p.location_index(), 1u);
    EXPECT_TRUE(p.has_set_cookie());
  }
}

// The consumer may hand used fields back (swap) so the next head refills their buffers without
// allocating: what they held before must never show through.
TEST(response_parser, fields_handed_back_are_refilled_exactly) {
  response_parser p;
  p.reset({});
  raw_fields old;
  old.add("Old-Header-With-A-Long-Name", std::string(100, 'x'));
  old.add("Set-Cookie", "stale=1");
  old.add("Location", "/stale");
  p.headers().swap(old);
  p.feed("HTTP/1.1 200 OK\r\nServer: s\r\nContent-Length: 2\r\n\r\nok");
  ASSERT_TRUE(p.done());
  EXPECT_EQ(p.headers().to_list(), (field_list{{"Server", "s"}, {"Content-Length", "2"}}));
  EXPECT_FALSE(p.has_set_cookie());
  EXPECT_EQ(p.location_index(), std::string::npos);
  EXPECT_EQ(p.body(), "ok");

  // A longer head than they held grows them; a failed head leaves no fields.
  p.reset({});
  p.feed("HTTP/1.1 200 OK\r\nA: x\r\nB: y\r\nC: z\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(p.done());
  EXPECT_EQ(p.headers().size(), 4u);
  EXPECT_EQ(p.headers().value(0), "x");
  p.reset({});
  p.feed("HTTP/1.1 200 OK\r\nGood: 1\r\nBad header\r\n\r\n");
  ASSERT_TRUE(p.failed());
  EXPECT_TRUE(p.headers().empty());
}

// Framing fields are noted while parsing; a folded line may continue one of them.
TEST(response_parser, folded_transfer_encoding_still_frames_as_chunked) {
  std::string r =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip,\r\n chunked\r\n\r\n"
      "0\r\n\r\n";
  parser_options o;
  o.decode_content = false;
  response_parser p;
  p.reset(o);
  EXPECT_EQ(p.feed(r), r.size());
  EXPECT_TRUE(p.done());
  EXPECT_EQ(p.headers().value(p.headers().index_of("transfer-encoding")), "gzip, chunked");
}

// NUL or CR inside a field value, at every position of an 8-byte word and in the tail.
TEST(response_parser, nul_or_cr_anywhere_in_a_value_is_rejected) {
  for (size_t len : {1u, 7u, 8u, 9u, 17u, 40u})
    for (size_t at = 0; at < len; ++at)
      for (char bad : {'\0', '\r'}) {
        std::string value(len, 'v');
        value[at] = bad;
        std::string r = "HTTP/1.1 200 OK\r\nX: " + value + "\r\nContent-Length: 0\r\n\r\n";
        response_parser p;
        p.reset({});
        p.feed(r);
        EXPECT_TRUE(p.failed()) << "len " << len << " at " << at << " byte " << int(bad);
        EXPECT_EQ(p.error(), response_parser::err_header);
      }
  response_parser p;
  p.reset({});
  p.feed("HTTP/1.1 200 OK\r\nX: \x0e\x0c\x1d\x8d\xff tab\there\x8a\x80\x0b\x01 \r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(p.headers().value(0), "\x0e\x0c\x1d\x8d\xff tab\there\x8a\x80\x0b\x01");
  EXPECT_TRUE(p.done()) << p.error();
}

TEST(response_parser, chunked_with_extensions_and_trailers) {
  std::string r =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;name=value\r\nhello\r\n1A \r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: 1\r\n\r\n";
  every_split(r, false, ok(200, "OK", "helloabcdefghijklmnopqrstuvwxyz", true, r.size()));
}

TEST(response_parser, close_delimited_body_ends_at_eof) {
  std::string r = "HTTP/1.0 200 OK\r\nServer: x\r\n\r\nbody until close";
  every_split(r, true, ok(200, "OK", "body until close", false, r.size()));
  std::string r11 = "HTTP/1.1 200 OK\r\n\r\nabc";
  every_split(r11, true, ok(200, "OK", "abc", false, r11.size()));
}

TEST(response_parser, interim_responses_are_skipped) {
  std::string r =
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"
      "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok";
  every_split(r, false, ok(201, "Created", "ok", true, r.size()));
}

TEST(response_parser, no_body_for_head_204_304) {
  std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";
  parser_options o;
  o.head_request = true;
  every_split(head, false, ok(200, "OK", "", true, head.size()), o);
  std::string r204 = "HTTP/1.1 204 No Content\r\n\r\n";
  every_split(r204, false, ok(204, "No Content", "", true, r204.size()));
  std::string r304 = "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n";
  every_split(r304, false, ok(304, "Not Modified", "", true, r304.size()));
}

TEST(response_parser, keep_alive_decision) {
  auto ka = [](std::string head) {
    response_parser p;
    p.reset({});
    p.feed(head + "Content-Length: 0\r\n\r\n");
    EXPECT_TRUE(p.done()) << head;
    return p.keep_alive();
  };
  EXPECT_TRUE(ka("HTTP/1.1 200 OK\r\n"));
  EXPECT_FALSE(ka("HTTP/1.1 200 OK\r\nConnection: close\r\n"));
  EXPECT_FALSE(ka("HTTP/1.1 200 OK\r\nconnection: Upgrade, Close\r\n"));
  EXPECT_FALSE(ka("HTTP/1.0 200 OK\r\n"));
  EXPECT_TRUE(ka("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n"));
}

TEST(response_parser, empty_reason_is_accepted) {
  std::string r = "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n";
  every_split(r, false, ok(200, "", "", true, r.size()));
}

TEST(response_parser, gzip_body_is_decoded) {
  std::string text(5000, 'x');
  for (size_t i = 0; i < text.size(); i += 7) text[i] = static_cast<char>('a' + i % 26);
  std::string gz = testing::compress(text, 15 + 16);
  std::string r = "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " +
                  std::to_string(gz.size()) + "\r\n\r\n" + gz;
  every_split(r, false, ok(200, "OK", text, true, r.size()));
  std::string z = testing::compress(text, 15);
  std::string rd = "HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: " +
                   std::to_string(z.size()) + "\r\n\r\n" + z;
  outcome o = run(rd, 40, false);
  EXPECT_TRUE(o.done);
  EXPECT_EQ(o.body, text);
}

TEST(response_parser, body_beyond_limit_is_counted_not_stored) {
  std::string r = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789";
  parser_options o;
  o.max_body_bytes = 4;
  outcome expect = ok(200, "OK", "0123", true, r.size());
  expect.body_bytes = 10;
  every_split(r, false, expect, o);
}

TEST(response_parser, errors) {
  every_split("HTTP/2 200 OK\r\n\r\n", false, err("invalid status line"));
  every_split("HTTP/1.1 2000 OK\r\n\r\n", false, err("invalid status line"));
  every_split("ICY 200 OK\r\n\r\n", false, err("invalid status line"));
  every_split("HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n", false, err("invalid header"));
  every_split("HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", false, err("invalid header"));
  every_split("HTTP/1.1 200 OK\r\n folded-first: x\r\n\r\n", false, err("invalid header"));
  every_split("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello", false,
              err("invalid content-length"));
  every_split("HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello", false,
              err("invalid content-length"));
  every_split("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", false,
              err("invalid content-length"));
  every_split("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", false,
              err("invalid chunked encoding"));
  every_split("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n", false,
              err("invalid chunked encoding"));
  every_split("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf", true,
              err("connection closed before the response was complete"));
  every_split("HTTP/1.1 200 OK\r\nContent-Le", true,
              err("connection closed before the response was complete"));
  every_split("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", true,
              err("connection closed before the response was complete"));
  std::string bad_gzip = "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 6\r\n\r\n"
                         "notgz!";
  EXPECT_EQ(run(bad_gzip, 10, false).error, "invalid gzip body");
}

TEST(response_parser, headers_too_large) {
  std::string big = "HTTP/1.1 200 OK\r\nX-Big: " + std::string(70000, 'a') + "\r\n\r\n";
  for (size_t split : {size_t{0}, size_t{100}, size_t{65536}, size_t{69000}}) {
    outcome o = run(big, split, false);
    EXPECT_EQ(o.error, "headers too large") << split;
  }
  std::string ok_size = "HTTP/1.1 200 OK\r\nX-Big: " + std::string(60000, 'a') +
                        "\r\nContent-Length: 0\r\n\r\n";
  EXPECT_TRUE(run(ok_size, 3, false).done);
}

TEST(response_parser, received_any_tracks_first_byte) {
  response_parser p;
  p.reset({});
  EXPECT_FALSE(p.received_any());
  p.on_eof();
  EXPECT_TRUE(p.failed());
  EXPECT_FALSE(p.received_any());
  p.reset({});
  p.feed("H");
  EXPECT_TRUE(p.received_any());
}

}  // namespace
}  // namespace endure::http
