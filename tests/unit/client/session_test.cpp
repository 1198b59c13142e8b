// Integration tests of client::session against scripted raw TCP servers on 127.0.0.1.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include "base/clock.hpp"
#include "client/session.hpp"
#include "http/cookie_jar.hpp"
#include "../http/test_zlib.hpp"
#include "scripted_server.hpp"

namespace endure::client {
namespace {

using namespace scripted;

TEST(session, keep_alive_connection_is_reused) {
  raw_server* srv = nullptr;
  raw_server server(serve(&srv, [](const std::string& req) { return reply(200, target_of(req)); }));
  srv = &server;
  client_fixture c(server.base());
  for (int i = 0; i < 5; ++i) {
    response r = c.get("/item/" + std::to_string(i));
    EXPECT_EQ(r.error, "");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "/item/" + std::to_string(i));
    EXPECT_EQ(r.content_bytes, r.body.size());
    EXPECT_EQ(r.url, server.base() + "/item/" + std::to_string(i));
    EXPECT_GT(r.first_byte_ns, 0);
    EXPECT_LE(r.start_ns, r.first_byte_ns);
    EXPECT_LE(r.first_byte_ns, r.done_ns);
  }
  EXPECT_EQ(server.accepted(), 1);
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 5u);
  EXPECT_NE(reqs[0].find("Host: 127.0.0.1:" + std::to_string(server.port()) + "\r\n"),
            std::string::npos);
  EXPECT_NE(reqs[0].find("User-Agent: endure/0.1\r\n"), std::string::npos);
}

// Request bytes of a plain request are reused by the pooled request state: every change of
// method, path, host or default headers, and every session's own defaults, must still show.
TEST(session, reused_request_bytes_follow_every_change) {
  raw_server* srv = nullptr;
  raw_server server(serve(&srv, [](const std::string&) { return reply(200, "ok"); }));
  srv = &server;
  client_fixture c(server.base());
  session other(c.t, server.base());
  auto head_of = [](const std::string& req) { return req.substr(0, req.find("\r\n\r\n")); };
  auto run_other = [&](request r) {
    bool done = false;
    other.execute(std::move(r), [&](response&&) { done = true; });
    while (!done) {
      c.io.restart();
      c.io.run_one_for(10ms);
    }
  };
  EXPECT_EQ(c.get("/a").status, 200);
  EXPECT_EQ(c.get("/a").status, 200);
  c.s.default_headers().emplace_back("X-Token", "1");
  EXPECT_EQ(c.get("/a").status, 200);
  c.s.default_headers()[0].second = "2";
  EXPECT_EQ(c.get("/a").status, 200);
  request plain_other;
  plain_other.url = "/a";
  run_other(std::move(plain_other));
  request head;
  head.method = "HEAD";
  head.url = "/a";
  EXPECT_EQ(c.run(std::move(head)).status, 200);
  EXPECT_EQ(c.get("/b").status, 200);
  request with_header;
  with_header.url = "/b";
  with_header.headers = {{"X-Once", "y"}};
  EXPECT_EQ(c.run(std::move(with_header)).status, 200);
  EXPECT_EQ(c.get("/b").status, 200);

  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 9u);
  EXPECT_EQ(head_of(reqs[0]), head_of(reqs[1]));
  EXPECT_EQ(reqs[1].find("X-Token"), std::string::npos);
  EXPECT_NE(reqs[2].find("\r\nX-Token: 1\r\n"), std::string::npos);
  EXPECT_NE(reqs[3].find("\r\nX-Token: 2\r\n"), std::string::npos);
  EXPECT_EQ(reqs[4].find("X-Token"), std::string::npos);  // the other session's defaults
  EXPECT_EQ(method_of(reqs[5]), "HEAD");
  EXPECT_NE(reqs[5].find("X-Token: 2"), std::string::npos);
  EXPECT_EQ(target_of(reqs[6]), "/b");
  EXPECT_NE(reqs[7].find("\r\nX-Once: y\r\n"), std::string::npos);
  EXPECT_EQ(reqs[8].find("X-Once"), std::string::npos);
  EXPECT_EQ(head_of(reqs[8]), head_of(reqs[6]));
}

// The pooled request state keeps its URL while the target cache's entry is not refilled: a
// refilled entry (130 other paths pass through its 64 slots), a query string and a redirect
// must each show in the bytes sent.
TEST(session, reused_target_follows_cache_refills_params_and_redirects) {
  raw_server* srv = nullptr;
  raw_server server(serve(&srv, [](const std::string& req) {
    if (target_of(req) == "/go") return reply(302, "", "Location: /there\r\n");
    return reply(200, "ok");
  }));
  srv = &server;
  client_fixture c(server.base());
  EXPECT_EQ(c.get("/a").status, 200);
  for (int i = 0; i < 130; ++i) EXPECT_EQ(c.get("/p" + std::to_string(i)).status, 200);
  EXPECT_EQ(c.get("/a").status, 200);
  request with_params;
  with_params.url = "/a";
  with_params.params = {{"q", "1"}};
  EXPECT_EQ(c.run(std::move(with_params)).status, 200);
  EXPECT_EQ(c.get("/a").status, 200);
  EXPECT_EQ(c.get("/go").status, 200);
  EXPECT_EQ(c.get("/go").status, 200);
  EXPECT_EQ(c.get("/a").status, 200);

  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 139u);
  EXPECT_EQ(target_of(reqs[0]), "/a");
  for (int i = 0; i < 130; ++i) EXPECT_EQ(target_of(reqs[1 + i]), "/p" + std::to_string(i));
  EXPECT_EQ(target_of(reqs[131]), "/a");
  EXPECT_EQ(target_of(reqs[132]), "/a?q=1");
  EXPECT_EQ(target_of(reqs[133]), "/a");
  EXPECT_EQ(target_of(reqs[134]), "/go");
  EXPECT_EQ(target_of(reqs[135]), "/there");
  EXPECT_EQ(target_of(reqs[136]), "/go");
  EXPECT_EQ(target_of(reqs[137]), "/there");
  EXPECT_EQ(target_of(reqs[138]), "/a");
}

TEST(session, idle_keep_alive_close_is_retried_silently) {
  std::atomic<bool> first_closed{false};
  raw_server server([&](peer<tcp::socket>& p, int index) {
    auto req = p.read_request();
    if (!req) return;
    p.write(reply(200, "conn" + std::to_string(index)));
    if (index == 0) {
      p.close();
      first_closed = true;
      return;
    }
    while ((req = p.read_request())) p.write(reply(200, "again"));
  });
  client_fixture c(server.base());
  EXPECT_EQ(c.get("/").body, "conn0");
  ASSERT_TRUE(wait_until([&] { return first_closed.load(); }));
  std::this_thread::sleep_for(20ms);  // let the FIN reach the client's socket
  response r = c.get("/");
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.body, "conn1");
  EXPECT_EQ(server.accepted(), 2);
}

TEST(session, connection_close_header_closes_the_connection) {
  raw_server* srv = nullptr;
  raw_server server(serve(&srv, [](const std::string&) {
    return reply(200, "x", "Connection: close\r\n");
  }));
  srv = &server;
  client_fixture c(server.base());
  EXPECT_EQ(c.get("/").status, 200);
  EXPECT_EQ(c.get("/").status, 200);
  EXPECT_EQ(server.accepted(), 2);
}

TEST(session, close_mid_body_is_a_failure) {
  raw_server server([&](peer<tcp::socket>& p, int) {
    if (!p.read_request()) return;
    p.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten..");
    p.close();
  });
  client_fixture c(server.base());
  response r = c.get("/");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error, "RemoteDisconnected: connection closed before the response was complete");
  EXPECT_EQ(server.accepted(), 1);  // bytes had arrived: no retry
}

// A request body larger than the socket buffers: the first send() stops short and the rest
// goes out when the connection becomes writable again.
TEST(session, request_body_larger_than_the_socket_buffers_is_sent_whole) {
  std::atomic<size_t> received{0};
  raw_server server([&](peer<tcp::socket>& p, int) {
    std::this_thread::sleep_for(100ms);  // the client's send buffer fills meanwhile
    auto req = p.read_request();
    if (!req) return;
    received = req->size() - (req->find("\r\n\r\n") + 4);
    p.write(reply(200, "stored"));
  });
  client_fixture c(server.base());
  request r;
  r.method = "POST";
  r.url = "/upload";
  r.body = std::string(16 << 20, 'b');
  response resp = c.run(std::move(r), 10000ms);
  EXPECT_EQ(resp.error, "");
  EXPECT_EQ(resp.body, "stored");
  EXPECT_EQ(received.load(), size_t{16} << 20);
}

// Responses that arrive in several segments on a keep-alive connection.
TEST(session, response_arriving_in_pieces_is_assembled) {
  raw_server server([&](peer<tcp::socket>& p, int) {
    while (p.read_request()) {
      p.write("HTTP/1.1 200 OK\r\nContent-");
      std::this_thread::sleep_for(5ms);
      p.write("Length: 10\r\n\r\n01234");
      std::this_thread::sleep_for(5ms);
      p.write("56789");
    }
  });
  client_fixture c(server.base());
  for (int i = 0; i < 3; ++i) {
    response r = c.get("/");
    EXPECT_EQ(r.error, "");
    EXPECT_EQ(r.body, "0123456789");
  }
  EXPECT_EQ(server.accepted(), 1);
}

// Many sessions on one transport, each issuing its next request from its completion: the
// readiness of many connections arrives in shared batches.
TEST(session, many_sessions_on_one_transport_in_a_closed_loop) {
  raw_server* srv = nullptr;
  raw_server server(serve(&srv, [](const std::string& req) { return reply(200, target_of(req)); }));
  srv = &server;
  constexpr int sessions = 20, per_session = 50;
  asio::io_context io;
  transport t(io, {});
  std::vector<std::unique_ptr<session>> users;
  std::vector<int> ok(sessions, 0), bad(sessions, 0);
  std::function<void(int)> next = [&](int i) {
    request r;
    r.url = "/u" + std::to_string(i);
    users[static_cast<size_t>(i)]->execute(std::move(r), [&, i](response&& resp) {
      bool good = resp.error.empty() && resp.body == "/u" + std::to_string(i);
      ++(good ? ok : bad)[static_cast<size_t>(i)];
      if (ok[static_cast<size_t>(i)] + bad[static_cast<size_t>(i)] < per_session) next(i);
    });
  };
  for (int i = 0; i < sessions; ++i) users.push_back(std::make_unique<session>(t, server.base()));
  for (int i = 0; i < sessions; ++i) next(i);
  auto end = std::chrono::steady_clock::now() + 10s;
  auto finished = [&] {
    for (int i = 0; i < sessions; ++i)
      if (ok[static_cast<size_t>(i)] + bad[static_cast<size_t>(i)] < per_session) return false;
    return true;
  };
  while (!finished() && std::chrono::steady_clock::now() < end) {
    io.restart();
    io.run_for(10ms);
  }
  for (int i = 0; i < sessions; ++i) {
    EXPECT_EQ(ok[static_cast<size_t>(i)], per_session) << "session " << i;
    EXPECT_EQ(bad[static_cast<size_t>(i)], 0) << "session " << i;
  }
  EXPECT_EQ(server.accepted(), sessions);
  EXPECT_EQ(server.requests().size(), size_t{sessions} * per_session);
}

TEST(session, fresh_connection_closed_without_response) {
  raw_server server([&](peer<tcp::socket>& p, int) {
    if (!p.read_request()) return;
    p.close();
  });
  client_fixture c(server.base());
  EXPECT_EQ(c.get("/").error,
            "RemoteDisconnected: connection closed before the response was complete");
}

TEST(session, refused_port) {
  uint16_t port;
  {
    asio::io_context io;
    tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
    port = a.local_endpoint().port();
  }
  client_fixture c("http://127.0.0.1:" + std::to_string(port));
  response r = c.get("/");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error, "ConnectionRefusedError: connection refused");
}

TEST(session, stalled_server_times_out_within_the_deadline) {
  std::atomic<bool> release{false};
  raw_server server([&](peer<tcp::socket>& p, int) {
    if (!p.read_request()) return;
    p.write("HTTP/1.1 200 OK\r\n");
    wait_until([&] { return release.load(); }, 10000ms);
  });
  client_options o;
  o.request_timeout = 300ms;
  client_fixture c(server.base(), o);
  auto t0 = std::chrono::steady_clock::now();
  response r = c.get("/");
  auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(r.error, "TimeoutError: request timed out after 0.3s");
  EXPECT_GE(elapsed, 290ms);
  EXPECT_LT(elapsed, 2000ms);
  release = true;
}

TEST(session, dripping_server_times_out_by_request_timeout) {
  std::atomic<bool> stop{false};
  raw_server server([&](peer<tcp::socket>& p, int) {
    if (!p.read_request()) return;
    std::string resp = reply(200, std::string(1000, 'x'));
    for (char ch : resp) {
      if (stop) return;
      p.write(std::string_view(&ch, 1));
      std::this_thread::sleep_for(50ms);
    }
  });
  client_fixture c(server.base());
  request r;
  r.url = "/";
  r.timeout = 400ms;
  auto t0 = std::chrono::steady_clock::now();
  response resp = c.run(std::move(r));
  EXPECT_EQ(resp.error, "TimeoutError: request timed out after 0.4s");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2000ms);
  stop = true;
}

TEST(session, chunked_gzip_body_is_decoded) {
  std::string text;
  for (int i = 0; i < 3000; ++i) text += static_cast<char>('a' + i % 23);
  std::string gz = http::testing::compress(text, 15 + 16);
  raw_server* srv = nullptr;
  raw_server server(serve(&srv, [&](const std::string&) {
    std::string out = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n";
    for (size_t i = 0; i < gz.size(); i += 100) {
      std::string piece = gz.substr(i, 100);
      char size[16];
      std::snprintf(size, sizeof size, "%zx", piece.size());
      out += std::string(size) + "\r\n" + piece + "\r\n";
    }
    return out + "0\r\n\r\n";
  }));
  srv = &server;
  client_fixture c(server.base());
  response r = c.get("/");
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.body, text);
  EXPECT_EQ(r.content_bytes, text.size());
  ASSERT_TRUE(r.header("content-encoding").has_value());
  EXPECT_EQ(*r.header("CONTENT-ENCODING"), "gzip");
}

TEST(session, redirects) {
  raw_server* srv = nullptr;
  raw_server server(serve(&srv, [](const std::string& req) {
    std::string t = target_of(req);
    if (t == "/a/start") return reply(302, "", "Location: next\r\n");
    if (t == "/a/next") return reply(200, "landed");
    if (t == "/post303") return reply(303, "", "Location: /echo\r\n");
    if (t == "/post307") return reply(307, "", "Location: /echo\r\n");
    if (t == "/loop") return reply(302, "", "Location: /loop\r\n");
    if (t == "/echo") return reply(200, method_of(req) + ":" + req.substr(req.find("\r\n\r\n") + 4));
    return reply(404, "");
  }));
  srv = &server;
  client_fixture c(server.base());

  response r = c.get("/a/start");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "landed");
  EXPECT_EQ(r.redirects, 1);
  EXPECT_EQ(r.url, server.base() + "/a/next");

  request p303;
  p303.method = "POST";
  p303.url = "/post303";
  p303.body = "data";
  p303.headers = {{"Content-Type", "text/plain"}};
  r = c.run(std::move(p303));
  EXPECT_EQ(r.body, "GET:");
  auto reqs = server.requests();
  EXPECT_EQ(reqs.back().find("Content-Length"), std::string::npos);
  EXPECT_EQ(reqs.back().find("Content-Type"), std::string::npos);

  request p307;
  p307.method = "POST";
  p307.url = "/post307";
  p307.body = "keep me";
  r = c.run(std::move(p307));
  EXPECT_EQ(r.body, "POST:keep me");

  r = c.get("/loop");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error, "TooManyRedirects: exceeded 30 redirects");

  request no_follow;
  no_follow.url = "/a/start";
  no_follow.allow_redirects = false;
  r = c.run(std::move(no_follow));
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(r.redirects, 0);
  ASSERT_TRUE(r.header("location").has_value());
  EXPECT_EQ(*r.header("location"), "next");
  EXPECT_EQ(server.accepted(), 1);
}

TEST(session, cookies_across_requests_and_redirects) {
  raw_server* srv = nullptr;
  raw_server server(serve(&srv, [](const std::string& req) {
    std::string t = target_of(req);
    if (t == "/login") return reply(302, "", "Set-Cookie: sid=abc; Path=/\r\nLocation: /home\r\n");
    size_t k = req.find("Cookie: ");
    std::string cookie = k == std::string::npos ? "" : req.substr(k + 8, req.find("\r\n", k) - k - 8);
    return reply(200, cookie);
  }));
  srv = &server;
  client_fixture c(server.base());
  response r = c.get("/login");
  EXPECT_EQ(r.body, "sid=abc");  // the cookie set by the redirect hop is sent on the next hop
  EXPECT_EQ(c.s.cookies().get("sid"), "abc");
  EXPECT_EQ(c.get("/other").body, "sid=abc");
  request extra;
  extra.url = "/other";
  extra.cookies = {{"one", "time"}};
  EXPECT_EQ(c.run(std::move(extra)).body, "sid=abc; one=time");
  EXPECT_EQ(c.get("/other").body, "sid=abc");
  c.s.cookies().clear();
  EXPECT_EQ(c.get("/other").body, "");
}

TEST(session, basic_auth_and_default_headers) {
  raw_server* srv = nullptr;
  raw_server server(serve(&srv, [](const std::string&) { return reply(200, "ok"); }));
  srv = &server;
  client_fixture c(server.base());
  c.s.default_headers().push_back({"X-Session", "1"});
  request r;
  r.url = "/secure";
  r.basic_auth = std::make_pair(std::string("user"), std::string("pass"));
  r.params = {{"q", "a b"}};
  EXPECT_EQ(c.run(std::move(r)).status, 200);
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(target_of(reqs[0]), "/secure?q=a+b");
  EXPECT_NE(reqs[0].find("Authorization: Basic dXNlcjpwYXNz\r\n"), std::string::npos);
  EXPECT_NE(reqs[0].find("X-Session: 1\r\n"), std::string::npos);
}

TEST(session, body_beyond_max_body_bytes_is_counted_not_stored) {
  raw_server* srv = nullptr;
  raw_server server(serve(&srv, [](const std::string&) { return reply(200, std::string(100000, 'z')); }));
  srv = &server;
  client_options o;
  o.max_body_bytes = 1000;
  client_fixture c(server.base(), o);
  response r = c.get("/big");
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.body.size(), 1000u);
  EXPECT_EQ(r.content_bytes, 100000u);
  EXPECT_EQ(c.get("/big").content_bytes, 100000u);  // the connection stayed usable
  EXPECT_EQ(server.accepted(), 1);
}

TEST(session, invalid_url_cancel_and_destruction) {
  raw_server server([&](peer<tcp::socket>& p, int) { p.read_request(); });
  client_fixture c(server.base());
  EXPECT_EQ(c.get("ftp://x/").error,
            "InvalidURL: invalid URL 'ftp://x/': unsupported scheme 'ftp', expected http or https");
  // cancel(): the completion is called once, with "cancelled".
  int calls = 0;
  std::string error;
  request r;
  r.url = "/";
  c.s.execute(std::move(r), [&](response&& x) {
    ++calls;
    error = x.error;
  });
  for (int i = 0; i < 20; ++i) c.io.poll();
  c.s.cancel();
  auto end = std::chrono::steady_clock::now() + 2s;
  while (calls == 0 && std::chrono::steady_clock::now() < end) {
    c.io.restart();
    c.io.run_one_for(10ms);
  }
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(error, "cancelled");
  // Destroying a session with a request in flight: the completion never runs.
  bool called = false;
  {
    session s2(c.t, server.base());
    request r2;
    r2.url = "/";
    s2.execute(std::move(r2), [&](response&&) { called = true; });
    for (int i = 0; i < 20; ++i) c.io.poll();
  }
  c.io.restart();
  c.io.run_for(50ms);
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace endure::client
