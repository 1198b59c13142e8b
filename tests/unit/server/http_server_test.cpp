// Integration tests of server::http_server over real sockets on 127.0.0.1 (ephemeral ports).
#include "server/http_server.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "unit/server/raw_client.hpp"

namespace endure::server {
namespace {

using namespace std::chrono_literals;
using server_test::round_trip;
using server_test::get;
using server_test::post;
using server_test::raw_conn;

class http_server_test : public ::testing::Test {
 protected:
  void SetUp() override {
    srv.route("GET", "/hello", [](const request&, responder res) {
      res.send(response::text(200, "hello\n"));
    });
    srv.route("GET", "/items/{id}", [](const request& req, responder res) {
      res.send(response::text(200, "item=" + std::string(req.param("id"))));
    });
    srv.route("GET", "/files/*", [](const request& req, responder res) {
      res.send(response::text(200, "rest=" + std::string(req.param("*"))));
    });
    srv.route("POST", "/echo-body", [](const request& req, responder res) {
      res.send(response::text(200, req.body));
    });
    srv.route("GET", "/query", [](const request& req, responder res) {
      res.send(response::text(200, std::string(req.query_param("q").value_or("none")) + "|" +
                                       std::string(req.header("X-Thing").value_or("none"))));
    });
    srv.route("GET", "/delay", [](const request&, responder res) {
      res.send_after(150ms, response::text(200, "late\n"));
    });
    srv.route("GET", "/from-thread", [](const request&, responder res) {
      std::thread([r = std::move(res)]() mutable {
        r.send(response::text(202, "other thread\n"));
      }).detach();
    });
    srv.route("GET", "/chunks", [](const request&, responder res) {
      response r = response::text(200, "0123456789abcdefghij");
      r.chunks = 4;
      res.send(std::move(r));
    });
    srv.route("GET", "/gz", [](const request&, responder res) {
      response r = response::text(200, std::string(5000, 'z'));
      r.compress = content_coding::gzip;
      res.send(std::move(r));
    });
    srv.route("GET", "/df", [](const request&, responder res) {
      response r = response::text(200, std::string(5000, 'd'));
      r.compress = content_coding::deflate;
      res.send(std::move(r));
    });
    srv.route("GET", "/bye", [](const request&, responder res) {
      response r = response::text(200, "bye\n");
      r.close = true;
      res.send(std::move(r));
    });
    srv.route("GET", "/raw-reset", [](const request&, responder res) {
      res.send(response::raw_bytes("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial",
                                   raw_end::reset));
    });
    srv.route("GET", "/forgets", [](const request&, responder) {});
    srv.route("GET", "/throws", [](const request&, responder) -> void {
      throw std::runtime_error("boom");
    });
    ASSERT_TRUE(srv.start(1).ok());
    port = srv.port();
    ASSERT_NE(port, 0);
  }

  http_server srv;
  uint16_t port = 0;
};

TEST_F(http_server_test, keep_alive_serves_several_requests_on_one_connection) {
  raw_conn c(port);
  ASSERT_TRUE(c.connected());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(c.send(get("/hello")));
    const auto r = c.read_response();
    ASSERT_TRUE(r.ok) << "request " << i;
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "hello\n");
    EXPECT_FALSE(r.header("connection").has_value());
  }
  EXPECT_EQ(srv.connections_accepted(), 1u);
}

TEST_F(http_server_test, pipelined_requests_are_answered_in_order) {
  raw_conn c(port);
  ASSERT_TRUE(c.send(get("/items/1") + get("/items/2") + get("/items/3")));
  for (int i = 1; i <= 3; ++i) {
    const auto r = c.read_response();
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.body, "item=" + std::to_string(i));
  }
}

TEST_F(http_server_test, connection_close_is_honoured) {
  raw_conn c(port);
  ASSERT_TRUE(c.send(get("/hello", "Connection: close\r\n")));
  const auto r = c.read_response();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.header("connection").value_or(""), "close");
  EXPECT_TRUE(c.closed_by_peer());
}

TEST_F(http_server_test, http10_closes_unless_keep_alive_is_asked) {
  {
    raw_conn c(port);
    ASSERT_TRUE(c.send("GET /hello HTTP/1.0\r\n\r\n"));
    const auto r = c.read_response();
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.body, "hello\n");
    EXPECT_TRUE(c.closed_by_peer());
  }
  raw_conn c(port);
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(c.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    const auto r = c.read_response();
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.header("connection").value_or(""), "keep-alive");
  }
}

TEST_F(http_server_test, routes_params_query_and_headers) {
  EXPECT_EQ(round_trip(port, get("/items/42")).body, "item=42");
  EXPECT_EQ(round_trip(port, get("/files/a/b.txt")).body, "rest=a/b.txt");
  EXPECT_EQ(round_trip(port, get("/query?q=a%20b+c", "x-thing: yes\r\n")).body, "a b c|yes");
  EXPECT_EQ(round_trip(port, get("/nope")).status, 404);
  EXPECT_EQ(round_trip(port, get("/items/")).status, 404);
  const auto wrong_method = round_trip(port, post("/hello", ""));
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(wrong_method.header("allow").value_or(""), "GET");
  const auto head = [&] {
    raw_conn c(port);
    c.send("HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    return c.read_response(true);
  }();
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("content-length").value_or(""), "6");
}

TEST_F(http_server_test, content_length_and_chunked_request_bodies) {
  EXPECT_EQ(round_trip(port, post("/echo-body", "payload")).body, "payload");
  const auto chunked = round_trip(
      port,
      "POST /echo-body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nTrailer: x\r\n\r\n");
  ASSERT_TRUE(chunked.ok);
  EXPECT_EQ(chunked.body, "Wikipedia");
}

TEST_F(http_server_test, a_body_split_across_writes_is_reassembled) {
  raw_conn c(port);
  ASSERT_TRUE(c.send("POST /echo-body HTTP/1.1\r\nHost: x\r\nContent-Le"));
  std::this_thread::yield();
  ASSERT_TRUE(c.send("ngth: 10\r\n\r\n01234"));
  ASSERT_TRUE(c.send("56789"));
  const auto r = c.read_response();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.body, "0123456789");
}

TEST_F(http_server_test, expect_100_continue_gets_an_interim_response) {
  raw_conn c(port);
  ASSERT_TRUE(c.send(
      "POST /echo-body HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n"));
  const auto interim = c.read_response();
  ASSERT_TRUE(interim.ok);
  EXPECT_EQ(interim.status, 100);
  ASSERT_TRUE(c.send("abc"));
  const auto r = c.read_response();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "abc");
}

TEST_F(http_server_test, bad_requests_get_400_and_oversized_bodies_413) {
  EXPECT_EQ(round_trip(port, "NONSENSE\r\n\r\n").status, 400);
  EXPECT_EQ(round_trip(port, "GET /hello HTTP/2.0\r\n\r\n").status, 400);
  EXPECT_EQ(round_trip(port, "GET /hello HTTP/1.1\r\nno colon here\r\n\r\n").status, 400);
  EXPECT_EQ(round_trip(port, "GET /hello HTTP/1.1\r\nContent-Length: x\r\n\r\n").status, 400);
  EXPECT_EQ(round_trip(port,
                     "POST /echo-body HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
                .status,
            400);
  const std::string huge_header = "GET /hello HTTP/1.1\r\nX-Big: " + std::string(70'000, 'a') +
                                  "\r\n\r\n";
  EXPECT_EQ(round_trip(port, huge_header).status, 400);
  const auto too_big = round_trip(port, "POST /echo-body HTTP/1.1\r\nContent-Length: 17000000\r\n\r\n");
  EXPECT_EQ(too_big.status, 413);
  EXPECT_EQ(too_big.header("connection").value_or(""), "close");
}

TEST_F(http_server_test, delayed_answer_arrives_after_the_delay_without_blocking_others) {
  raw_conn slow(port);
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(slow.send(get("/delay")));
  // While the delayed answer is pending, the same thread serves another connection at once.
  const auto fast = round_trip(port, get("/hello"));
  const auto fast_elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(fast.status, 200);
  EXPECT_LT(fast_elapsed, 140ms);
  const auto r = slow.read_response();
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.body, "late\n");
  EXPECT_GE(elapsed, 150ms);
}

TEST_F(http_server_test, answer_from_another_thread) {
  const auto r = round_trip(port, get("/from-thread"));
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(r.body, "other thread\n");
}

TEST_F(http_server_test, chunked_response_has_the_requested_chunks) {
  raw_conn c(port);
  ASSERT_TRUE(c.send(get("/chunks")));
  const auto r = c.read_response();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.header("transfer-encoding").value_or(""), "chunked");
  EXPECT_FALSE(r.header("content-length").has_value());
  EXPECT_EQ(r.body, "0123456789abcdefghij");
  EXPECT_EQ(c.chunks_seen(), 5u);  // 4 data chunks + the last "0"
}

TEST_F(http_server_test, gzip_and_deflate_only_when_accepted) {
  const auto gz = round_trip(port, get("/gz", "Accept-Encoding: gzip, deflate\r\n"));
  ASSERT_TRUE(gz.ok);
  EXPECT_EQ(gz.header("content-encoding").value_or(""), "gzip");
  EXPECT_LT(gz.body.size(), 5000u);
  EXPECT_EQ(server_test::inflate_any(gz.body).value_or(""), std::string(5000, 'z'));
  EXPECT_EQ(static_cast<unsigned char>(gz.body[0]), 0x1f);  // gzip magic

  const auto df = round_trip(port, get("/df", "Accept-Encoding: deflate\r\n"));
  EXPECT_EQ(df.header("content-encoding").value_or(""), "deflate");
  EXPECT_EQ(server_test::inflate_any(df.body).value_or(""), std::string(5000, 'd'));

  const auto plain = round_trip(port, get("/gz", "Accept-Encoding: gzip;q=0, br\r\n"));
  EXPECT_FALSE(plain.header("content-encoding").has_value());
  EXPECT_EQ(plain.body, std::string(5000, 'z'));
}

TEST_F(http_server_test, close_after_response_and_raw_reset) {
  raw_conn c(port);
  ASSERT_TRUE(c.send(get("/bye")));
  const auto r = c.read_response();
  EXPECT_EQ(r.body, "bye\n");
  EXPECT_TRUE(c.closed_by_peer());

  raw_conn d(port);
  ASSERT_TRUE(d.send(get("/raw-reset")));
  const auto partial = d.read_response();
  EXPECT_FALSE(partial.ok);  // 100 bytes announced, 7 sent, then RST
  EXPECT_EQ(partial.status, 200);
}

TEST_F(http_server_test, unanswered_or_throwing_handlers_give_500) {
  EXPECT_EQ(round_trip(port, get("/forgets")).status, 500);
  EXPECT_EQ(round_trip(port, get("/throws")).status, 500);
  EXPECT_EQ(round_trip(port, get("/hello")).status, 200);  // the server carries on
}

TEST(http_server_lifecycle, port_in_use_is_a_clear_error) {
  http_server first;
  ASSERT_TRUE(first.start().ok());
  http_server second(http_server_options{"127.0.0.1", first.port(), {}});
  const auto r = second.start();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.err().message.find("address already in use"), std::string::npos) << r.err().message;
}

TEST(http_server_lifecycle, stop_closes_connections_and_is_idempotent) {
  http_server s;
  s.route("GET", "/x", [](const request&, responder res) { res.send(response::text(200, "x")); });
  ASSERT_TRUE(s.start(2).ok());
  raw_conn c(s.port());
  ASSERT_TRUE(c.send(get("/x")));
  ASSERT_TRUE(c.read_response().ok);
  s.stop();
  EXPECT_TRUE(c.closed_by_peer());
  s.stop();
  raw_conn after(s.port(), 500ms);
  EXPECT_FALSE(after.connected());
}

TEST(http_server_lifecycle, many_requests_on_several_threads) {
  http_server s;
  std::atomic<int> hits{0};
  s.route("GET", "/n", [&hits](const request&, responder res) {
    hits.fetch_add(1);
    res.send(response::text(200, "n"));
  });
  ASSERT_TRUE(s.start(2).ok());
  std::vector<std::thread> clients;
  std::atomic<int> good{0};
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&] {
      raw_conn c(s.port());
      for (int i = 0; i < 250; ++i) {
        if (!c.send(get("/n"))) return;
        if (c.read_response().status == 200) good.fetch_add(1);
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(good.load(), 1000);
  EXPECT_EQ(hits.load(), 1000);
}

}  // namespace
}  // namespace endure::server

namespace endure::server {
namespace {

int connect_loopback(uint16_t port, int rcvbuf = 0) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (rcvbuf > 0) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// responder::stream: pushed data reaches a reader in order after the head; a reader that stops
// reading is dropped once its queue passes the bound, and meanwhile the server answers others.
TEST(http_server_stream, pushes_reach_the_reader_and_a_stalled_reader_is_dropped) {
  http_server srv;
  std::mutex mu;
  std::vector<std::shared_ptr<stream_writer>> streams;
  auto open = [&](std::size_t bound) {
    return [&, bound](const request&, responder res) {
      response head = response::text(200, ": hello\n\n", "text/event-stream");
      head.header("Cache-Control", "no-store");
      auto w = res.stream(std::move(head), bound);
      std::lock_guard lock(mu);
      streams.push_back(std::move(w));
    };
  };
  srv.route("GET", "/big", open(size_t{1} << 30));
  srv.route("GET", "/small", open(256 * 1024));
  srv.route("GET", "/hello", [](const request&, responder res) { res.send(response::text(200, "hello\n")); });
  ASSERT_TRUE(srv.start(1).ok());

  const int good = connect_loopback(srv.port());
  const int stalled = connect_loopback(srv.port(), 4096);
  ASSERT_GE(good, 0);
  ASSERT_GE(stalled, 0);
  const std::string req_big = "GET /big HTTP/1.1\r\nHost: x\r\n\r\n", req_small = "GET /small HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::send(good, req_big.data(), req_big.size(), 0), static_cast<ssize_t>(req_big.size()));
  {
    // The big one first, so that streams[0] is the reader's.
    const auto end = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < end) {
      std::lock_guard lock(mu);
      if (streams.size() == 1) break;
    }
  }
  ASSERT_EQ(::send(stalled, req_small.data(), req_small.size(), 0), static_cast<ssize_t>(req_small.size()));
  const auto end = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < end) {
    std::lock_guard lock(mu);
    if (streams.size() == 2) break;
  }
  std::shared_ptr<stream_writer> reader_w, stalled_w;
  {
    std::lock_guard lock(mu);
    ASSERT_EQ(streams.size(), 2u);
    reader_w = streams[0];
    stalled_w = streams[1];
  }

  // 4,000 pushes of 4 KB (16 MB: more than the kernel holds for the stalled reader).
  constexpr int pushes = 4000;
  const std::string block(4096 - 8, 'x');
  std::atomic<size_t> got{0};
  std::string head_and_start;
  std::thread reading([&] {
    std::vector<char> buf(1 << 16);
    const size_t want = pushes * 4096;
    size_t body = 0;
    std::string head;
    bool in_body = false;
    size_t head_len = 0;  // the head and its own body (": hello\n\n")
    while (body < want) {
      const ssize_t n = ::recv(good, buf.data(), buf.size(), 0);
      if (n <= 0) break;
      if (head.size() < 4096) head.append(buf.data(), static_cast<size_t>(n));
      if (!in_body) {
        auto p = head.find("\r\n\r\n");
        if (p == std::string::npos) continue;
        in_body = true;
        head_len = p + 4 + 9;
        body = head.size() - head_len;
      } else {
        body += static_cast<size_t>(n);
      }
      got = body;
    }
    head_and_start = head.substr(0, std::min(head.size(), head_len + 64));
  });
  bool stalled_refused = false;
  for (int i = 0; i < pushes; ++i) {
    char tag[9];
    std::snprintf(tag, sizeof tag, "%07d\n", i);
    EXPECT_TRUE(reader_w->push(tag + block)) << i;
    if (!stalled_w->push(tag + block)) stalled_refused = true;
  }
  // Meanwhile and after, the server answers everyone else at once.
  auto hello = server_test::round_trip(srv.port(), server_test::get("/hello"));
  EXPECT_EQ(hello.status, 200);
  reading.join();
  EXPECT_EQ(got.load(), static_cast<size_t>(pushes) * 4096);
  EXPECT_NE(head_and_start.find("HTTP/1.1 200 OK\r\n"), std::string::npos) << head_and_start;
  EXPECT_NE(head_and_start.find("Content-Type: text/event-stream\r\n"), std::string::npos);
  EXPECT_EQ(head_and_start.find("Content-Length"), std::string::npos);
  EXPECT_NE(head_and_start.find("\r\n\r\n: hello\n\n0000000\nxxx"), std::string::npos) << head_and_start;
  EXPECT_TRUE(stalled_refused);
  EXPECT_FALSE(stalled_w->is_open());
  EXPECT_TRUE(reader_w->is_open());
  // The client going away closes its stream.
  ::close(good);
  const auto gone = std::chrono::steady_clock::now() + 5s;
  while (reader_w->is_open() && std::chrono::steady_clock::now() < gone) std::this_thread::sleep_for(10ms);
  EXPECT_FALSE(reader_w->is_open());
  EXPECT_FALSE(reader_w->push("late"));
  ::close(stalled);
}

}  // namespace
}  // namespace endure::server
