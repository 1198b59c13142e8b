// Integration tests of client::session against scripted raw TCP (and TLS) servers on 127.0.0.1.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#pragma GCC diagnostic pop

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>

#include "base/clock.hpp"
#include "client/session.hpp"
#include "http/cookie_jar.hpp"
#include "../http/test_zlib.hpp"

namespace endure::client {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// One accepted connection, as seen by the scripted server (blocking I/O on its own thread).
template <class Stream>
struct peer {
  Stream& s;
  std::string buf;

  // Reads one request (head + Content-Length body); nullopt on EOF or error.
  std::optional<std::string> read_request() {
    while (true) {
      size_t end = buf.find("\r\n\r\n");
      if (end != std::string::npos) {
        size_t len = 0;
        std::string head = buf.substr(0, end + 4);
        std::string lower = head;
        for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        size_t cl = lower.find("content-length: ");
        if (cl != std::string::npos) len = std::stoul(head.substr(cl + 16));
        if (buf.size() >= end + 4 + len) {
          std::string req = buf.substr(0, end + 4 + len);
          buf.erase(0, end + 4 + len);
          return req;
        }
      }
      char tmp[4096];
      boost::system::error_code ec;
      size_t n = s.read_some(asio::buffer(tmp), ec);
      if (ec) return std::nullopt;
      buf.append(tmp, n);
    }
  }
  void write(std::string_view bytes) {
    boost::system::error_code ec;
    asio::write(s, asio::buffer(bytes.data(), bytes.size()), ec);
  }
};

std::string reply(int status, std::string_view body, std::string_view extra = {}) {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n" + std::string(extra) + "\r\n" + std::string(body);
}

std::string method_of(const std::string& req) { return req.substr(0, req.find(' ')); }
std::string target_of(const std::string& req) {
  size_t a = req.find(' ') + 1;
  return req.substr(a, req.find(' ', a) - a);
}

// A scripted server: every accepted connection runs script(peer, index) on its own thread.
class raw_server {
 public:
  using script = std::function<void(peer<tcp::socket>&, int)>;
  explicit raw_server(script s) : script_(std::move(s)), acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { accept_loop(); });
  }
  ~raw_server() {
    stopping_ = true;
    {
      tcp::socket wake(io_);
      boost::system::error_code ec;
      wake.connect({asio::ip::make_address("127.0.0.1"), port_}, ec);
    }
    thread_.join();
    {
      std::lock_guard lock(mu_);
      for (auto& s : sockets_) {
        boost::system::error_code ec;
        s->shutdown(tcp::socket::shutdown_both, ec);
      }
    }
    for (auto& t : workers_) t.join();
  }
  uint16_t port() const { return port_; }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int accepted() const { return accepted_; }
  std::vector<std::string> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }
  void record(std::string r) {
    std::lock_guard lock(mu_);
    requests_.push_back(std::move(r));
  }

 private:
  void accept_loop() {
    while (true) {
      auto s = std::make_shared<tcp::socket>(io_);
      boost::system::error_code ec;
      acceptor_.accept(*s, ec);
      if (ec || stopping_) return;
      int index = accepted_++;
      std::lock_guard lock(mu_);
      sockets_.push_back(s);
      workers_.emplace_back([this, s, index] {
        peer<tcp::socket> p{*s, {}};
        script_(p, index);
      });
    }
  }
  script script_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::mutex mu_;
  std::vector<std::shared_ptr<tcp::socket>> sockets_;
  std::vector<std::thread> workers_;
  std::vector<std::string> requests_;
};

// Serves requests on a keep-alive connection with handler(request) -> bytes until EOF.
raw_server::script serve(raw_server* const* self, std::function<std::string(const std::string&)> h) {
  return [self, h](peer<tcp::socket>& p, int) {
    while (auto req = p.read_request()) {
      (*self)->record(*req);
      p.write(h(*req));
    }
  };
}

struct client_fixture {
  asio::io_context io;
  transport t;
  session s;
  explicit client_fixture(std::string base, client_options o = {})
      : t(io, o), s(t, std::move(base)) {}

  response run(request r, std::chrono::milliseconds deadline = 5000ms) {
    bool done = false;
    response out;
    s.execute(std::move(r), [&](response&& x) {
      out = std::move(x);
      done = true;
    });
    EXPECT_FALSE(done) << "completion must not run inline";
    auto end = std::chrono::steady_clock::now() + deadline;
    while (!done && std::chrono::steady_clock::now() < end) {
      io.restart();
      io.run_one_for(10ms);
    }
    EXPECT_TRUE(done) << "no completion within the deadline";
    return out;
  }
  response get(std::string url) {
    request r;
    r.url = std::move(url);
    return run(std::move(r));
  }
};

template <class Pred>
bool wait_until(Pred p, std::chrono::milliseconds deadline = 5000ms) {
  auto end = std::chrono::steady_clock::now() + deadline;
  while (!p()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

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

TEST(session, idle_keep_alive_close_is_retried_silently) {
  std::atomic<bool> first_closed{false};
  raw_server server([&](peer<tcp::socket>& p, int index) {
    auto req = p.read_request();
    if (!req) return;
    p.write(reply(200, "conn" + std::to_string(index)));
    if (index == 0) {
      p.s.close();
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
    p.s.close();
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
    p.s.close();
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
  ASSERT_NE(r.header("content-encoding"), nullptr);
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
  ASSERT_NE(r.header("location"), nullptr);
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

// --- TLS --------------------------------------------------------------------------------------

struct self_signed {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  self_signed() {
    key = EVP_EC_gen("P-256");
    cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext =
        X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    X509_sign(cert, key, EVP_sha256());
  }
  ~self_signed() {
    X509_free(cert);
    EVP_PKEY_free(key);
  }
};

class tls_server {
 public:
  tls_server() : ctx_(ssl::context::tls_server) {
    SSL_CTX_use_certificate(ctx_.native_handle(), cert_.cert);
    SSL_CTX_use_PrivateKey(ctx_.native_handle(), cert_.key);
    raw_ = std::make_unique<raw_server>([this](peer<tcp::socket>& p, int) {
      ssl::stream<tcp::socket&> st(p.s, ctx_);
      boost::system::error_code ec;
      st.handshake(ssl::stream_base::server, ec);
      if (ec) return;
      peer<ssl::stream<tcp::socket&>> tp{st, {}};
      while (tp.read_request()) tp.write(reply(200, "secret"));
    });
  }
  uint16_t port() const { return raw_->port(); }

 private:
  self_signed cert_;
  ssl::context ctx_;
  std::unique_ptr<raw_server> raw_;
};

TEST(session, tls_verification_on_by_default) {
  tls_server server;
  std::string base = "https://localhost:" + std::to_string(server.port());
  client_fixture c(base);
  response r = c.get("/");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error, "SSLError: certificate verify failed: self-signed certificate");

  request unverified;
  unverified.url = "/";
  unverified.verify = false;
  r = c.run(std::move(unverified));
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.body, "secret");
  r = c.run([] { request q; q.url = "/"; q.verify = false; return q; }());
  EXPECT_EQ(r.body, "secret");  // reused TLS connection
}

TEST(session, tls_insecure_option) {
  tls_server server;
  client_options o;
  o.insecure = true;
  client_fixture c("https://127.0.0.1:" + std::to_string(server.port()), o);
  response r = c.get("/");
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "secret");
}

}  // namespace
}  // namespace endure::client
