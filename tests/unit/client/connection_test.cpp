// Integration tests of the client's connections through client::session: TLS handshakes,
// verification and every TLS error path, against scripted servers on 127.0.0.x.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/resource.h>

#include <functional>

#include "client/session.hpp"
#include "scripted_server.hpp"

namespace endure::client {
namespace {

using namespace scripted;

const std::string disconnected =
    "RemoteDisconnected: connection closed before the response was complete";

// Serves every request on the TLS connection with reply(200, body) until the client leaves.
tls_raw_server::script serve_tls(std::string body) {
  return [body](peer<tls_raw_server::stream>& p, int) {
    while (p.read_request()) p.write(reply(200, body));
  };
}

request unverified(std::string url) {
  request r;
  r.url = std::move(url);
  r.verify = false;
  return r;
}

TEST(connection, tls_verification_on_by_default) {
  tls_raw_server server(serve_tls("secret"));
  client_fixture c(server.base("localhost"));
  response r = c.get("/");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error, "SSLError: certificate verify failed: self-signed certificate");

  r = c.run(unverified("/"));
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.body, "secret");
  r = c.run(unverified("/"));
  EXPECT_EQ(r.body, "secret");  // reused TLS connection
  EXPECT_EQ(server.handshakes(), 1);
}

TEST(connection, tls_insecure_option) {
  tls_raw_server server(serve_tls("secret"));
  client_options o;
  o.insecure = true;
  client_fixture c(server.base(), o);
  response r = c.get("/");
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "secret");
}

TEST(connection, tls_trusted_certificate_is_checked_against_the_host) {
  tls_raw_server server(serve_tls("trusted"));
  {
    trusted_cert_file trust(server.cert_pem());
    client_fixture c(server.base("localhost"));
    response r = c.get("/");
    EXPECT_EQ(r.error, "");
    EXPECT_EQ(r.body, "trusted");
    EXPECT_EQ(c.get(server.base("127.0.0.1") + "/").body, "trusted");
  }
  // The test certificates all carry the same subject, so each trust store holds one of them.
  tls_raw_server elsewhere(serve_tls("x"), "127.0.0.2");  // its certificate names 127.0.0.1
  trusted_cert_file trust(elsewhere.cert_pem());
  client_fixture c(elsewhere.base("127.0.0.2"));
  EXPECT_EQ(c.get("/").error, "SSLError: certificate verify failed: IP address mismatch");
}

TEST(connection, tls_server_that_answers_in_plain_http) {
  raw_server server([](peer<tcp::socket>& p, int) {
    if (!p.read_some()) return;
    p.write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
  });
  client_fixture c("https://127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(c.run(unverified("/")).error, "SSLError: wrong version number");
}

TEST(connection, tls_closed_after_the_client_hello) {
  raw_server server([](peer<tcp::socket>& p, int) {
    if (!p.read_some()) return;
    p.close();
  });
  client_fixture c("https://127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(c.run(unverified("/")).error, "SSLError: unexpected EOF during handshake");
}

TEST(connection, tls_reset_after_the_client_hello) {
  raw_server server([](peer<tcp::socket>& p, int) {
    if (!p.read_some()) return;
    p.reset();
  });
  client_fixture c("https://127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(c.run(unverified("/")).error, "SSLError: connection reset during handshake");
}

// The server reads the ClientHello and never answers: the connect deadline covers the handshake.
TEST(connection, tls_handshake_that_never_finishes_hits_the_connect_timeout) {
  raw_server server([](peer<tcp::socket>& p, int) {
    while (p.read_some()) {
    }  // until the client gives up and closes
  });
  client_options o;
  o.connect_timeout = 300ms;
  client_fixture c("https://127.0.0.1:" + std::to_string(server.port()), o);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(c.run(unverified("/")).error, "ConnectTimeoutError: connect timed out after 0.3s");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2000ms);
}

TEST(connection, tls_close_mid_response_is_a_failure) {
  tls_raw_server server([](peer<tls_raw_server::stream>& p, int) {
    if (!p.read_request()) return;
    p.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten..");
    p.close();  // no close_notify
  });
  client_fixture c(server.base());
  response r = c.run(unverified("/"));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error, disconnected);
  EXPECT_EQ(server.accepted(), 1);
}

TEST(connection, tls_close_notify_mid_response_is_a_failure) {
  tls_raw_server server([](peer<tls_raw_server::stream>& p, int) {
    if (!p.read_request()) return;
    p.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten..");
    tls_raw_server::close_notify(p);
  });
  client_fixture c(server.base());
  EXPECT_EQ(c.run(unverified("/")).error, disconnected);
}

TEST(connection, tls_reset_mid_response_is_a_failure) {
  tls_raw_server server([](peer<tls_raw_server::stream>& p, int) {
    if (!p.read_request()) return;
    p.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten..");
    p.reset();
  });
  client_fixture c(server.base());
  EXPECT_EQ(c.run(unverified("/")).error, "ConnectionResetError: connection reset by peer");
}

TEST(connection, tls_fresh_connection_closed_without_response) {
  tls_raw_server server([](peer<tls_raw_server::stream>& p, int) {
    if (!p.read_request()) return;
    tls_raw_server::close_notify(p);
  });
  client_fixture c(server.base());
  EXPECT_EQ(c.run(unverified("/")).error, disconnected);
}

// HTTP/1.0 without Content-Length: the body ends where the connection does, with or without
// the TLS close_notify before the FIN.
TEST(connection, tls_close_delimited_body_ends_at_the_close) {
  for (bool notify : {true, false}) {
    tls_raw_server server([notify](peer<tls_raw_server::stream>& p, int) {
      if (!p.read_request()) return;
      p.write("HTTP/1.0 200 OK\r\n\r\nuntil the ");
      p.write("end");
      if (notify) return tls_raw_server::close_notify(p);
      p.close();
    });
    client_fixture c(server.base());
    response r = c.run(unverified("/"));
    EXPECT_EQ(r.error, "") << "close_notify " << notify;
    EXPECT_EQ(r.body, "until the end") << "close_notify " << notify;
  }
}

TEST(connection, tls_idle_keep_alive_close_is_retried_silently) {
  tls_raw_server server([](peer<tls_raw_server::stream>& p, int index) {
    if (!p.read_request()) return;
    p.write(reply(200, "conn" + std::to_string(index)));
    if (index == 0) return tls_raw_server::close_notify(p);
    while (p.read_request()) p.write(reply(200, "again"));
  });
  client_fixture c(server.base());
  EXPECT_EQ(c.run(unverified("/")).body, "conn0");
  response r = c.run(unverified("/"));
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.body, "conn1");
  EXPECT_EQ(c.run(unverified("/")).body, "again");
  EXPECT_EQ(server.accepted(), 2);
}

// Bodies of many TLS records both ways on one keep-alive connection: requests larger than the
// socket buffers are written as the connection drains, responses read record by record.
TEST(connection, tls_large_bodies_both_ways) {
  tls_raw_server server([](peer<tls_raw_server::stream>& p, int) {
    while (auto req = p.read_request()) {
      size_t body = req->size() - (req->find("\r\n\r\n") + 4);
      p.write(reply(200, std::string(1 << 20, 'r'), "X-Received: " + std::to_string(body) + "\r\n"));
    }
  });
  client_fixture c(server.base());
  for (int i = 0; i < 3; ++i) {
    request r = unverified("/upload");
    r.method = "POST";
    r.body = std::string(4 << 20, 'b');
    response resp = c.run(std::move(r), 10000ms);
    EXPECT_EQ(resp.error, "");
    ASSERT_TRUE(resp.header("X-Received").has_value());
    EXPECT_EQ(*resp.header("X-Received"), std::to_string(4 << 20));
    EXPECT_EQ(resp.body.size(), size_t{1} << 20);
  }
  EXPECT_EQ(server.accepted(), 1);
}

TEST(connection, tls_response_in_many_records_is_assembled) {
  tls_raw_server server([](peer<tls_raw_server::stream>& p, int) {
    while (p.read_request()) {
      p.write("HTTP/1.1 200 OK\r\nContent-");  // each write is a TLS record of its own
      p.write("Length: 10\r\n\r\n01234");
      p.write("56789");
    }
  });
  client_fixture c(server.base());
  for (int i = 0; i < 3; ++i) {
    response r = c.run(unverified("/"));
    EXPECT_EQ(r.error, "");
    EXPECT_EQ(r.body, "0123456789");
  }
  EXPECT_EQ(server.accepted(), 1);
}

// Many TLS sessions on one transport, each issuing its next request from its completion.
TEST(connection, many_tls_sessions_on_one_transport_in_a_closed_loop) {
  tls_raw_server server([](peer<tls_raw_server::stream>& p, int) {
    while (auto req = p.read_request()) p.write(reply(200, target_of(*req)));
  });
  constexpr int sessions = 10, per_session = 30;
  asio::io_context io;
  client_options o;
  o.insecure = true;
  transport t(io, o);
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
  auto finished = [&] {
    for (int i = 0; i < sessions; ++i)
      if (ok[static_cast<size_t>(i)] + bad[static_cast<size_t>(i)] < per_session) return false;
    return true;
  };
  auto end = std::chrono::steady_clock::now() + 10s;
  while (!finished() && std::chrono::steady_clock::now() < end) {
    io.restart();
    io.run_for(10ms);
  }
  for (int i = 0; i < sessions; ++i) {
    EXPECT_EQ(ok[static_cast<size_t>(i)], per_session) << "session " << i;
    EXPECT_EQ(bad[static_cast<size_t>(i)], 0) << "session " << i;
  }
  EXPECT_EQ(server.handshakes(), sessions);
}

// TCP to a broadcast address fails in connect() itself, before any edge.
TEST(connection, an_unreachable_address_is_a_connection_error) {
  client_fixture c("http://255.255.255.255:80");
  response r = c.get("/");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error, "ConnectionError: Network is unreachable");
}

// No descriptor left for the socket (the open-files limit, lowered for the test).
TEST(connection, no_descriptor_left_is_a_connection_error) {
#if defined(__SANITIZE_ADDRESS__)
  // UBSan (in the same build) checks a dynamic type by probing memory through a pipe(), which
  // the lowered limit refuses: every check would be a false report. The plain build runs it.
  GTEST_SKIP() << "not under the sanitizers";
#endif
  client_fixture c("http://127.0.0.1:9");
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit low = saved;
  low.rlim_cur = 3;  // stdin, stdout and stderr: socket() gets EMFILE
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  response r = c.get("/");
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &saved), 0);
  EXPECT_EQ(r.error, "ConnectionError: Too many open files");
}

// The server resets the connection while a large request is still being written: the write
// fails (EPIPE or ECONNRESET) on a fresh connection, so there is no silent retry.
TEST(connection, reset_while_the_request_is_written) {
  raw_server server([](peer<tcp::socket>& p, int) {
    while (p.buf.find("\r\n\r\n") == std::string::npos)
      if (!p.read_some()) return;
    p.reset();
  });
  client_fixture c(server.base());
  request r;
  r.method = "POST";
  r.url = "/upload";
  r.body = std::string(32 << 20, 'b');
  EXPECT_EQ(c.run(std::move(r), 10000ms).error, "ConnectionResetError: connection reset by peer");
  EXPECT_EQ(server.accepted(), 1);
}

TEST(connection, tls_reset_while_the_request_is_written) {
  tls_raw_server server([](peer<tls_raw_server::stream>& p, int) {
    if (!p.read_some()) return;  // the first record of the request
    p.reset();
  });
  client_fixture c(server.base());
  request r = unverified("/upload");
  r.method = "POST";
  r.body = std::string(32 << 20, 'b');
  EXPECT_EQ(c.run(std::move(r), 10000ms).error, "ConnectionResetError: connection reset by peer");
  EXPECT_EQ(server.accepted(), 1);
}

// OpenSSL keeps errors in a per-thread queue that SSL_get_error consults when a call returns
// <= 0: one left there by other code on the shard's thread (a user's own OpenSSL call, between
// two of ours) must not turn the server's close_notify into an SSLError.
TEST(connection, an_openssl_error_left_on_the_thread_is_not_taken_for_ours) {
  std::atomic<bool> asked{false}, go{false};
  tls_raw_server server([&](peer<tls_raw_server::stream>& p, int) {
    if (!p.read_request()) return;
    asked = true;
    if (wait_until([&] { return go.load(); })) tls_raw_server::close_notify(p);
  });
  client_fixture c(server.base());
  bool done = false;
  response r;
  c.s.execute(unverified("/"), [&](response&& x) {
    r = std::move(x);
    done = true;
  });
  ASSERT_TRUE(wait_until([&] {
    c.io.restart();
    c.io.poll();
    return asked.load();
  }));
  ERR_raise(ERR_LIB_SSL, SSL_R_BAD_PACKET);  // left behind while the response is awaited
  go = true;
  ASSERT_TRUE(wait_until([&] {
    c.io.restart();
    c.io.run_one_for(10ms);
    return done;
  }));
  ERR_clear_error();
  EXPECT_EQ(r.error, disconnected);
}

// Bytes that are not a valid TLS record after the handshake: OpenSSL's reason.
TEST(connection, tls_garbage_after_the_handshake) {
  tls_raw_server server([](peer<tls_raw_server::stream>& p, int) {
    if (!p.read_request()) return;
    std::string record("\x17\x03\x03\x00\x20", 5);
    record += std::string(32, 'x');  // application data that does not decrypt
    boost::system::error_code ec;
    asio::write(p.s.next_layer(), asio::buffer(record), ec);
    p.read_some();  // until the client gives up
  });
  client_fixture c(server.base());
  response r = c.run(unverified("/"));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error, "SSLError: decryption failed or bad record mac");
}

// A session destroyed while its TLS handshake is waiting for the server: its completion never
// runs, and the transport carries on with other requests.
TEST(connection, session_destroyed_during_a_tls_handshake) {
  std::atomic<bool> hello{false};
  raw_server silent([&](peer<tcp::socket>& p, int) {
    if (!p.read_some()) return;
    hello = true;
    while (p.read_some()) {
    }
  });
  tls_raw_server server(serve_tls("fine"));
  client_fixture c(server.base());
  bool called = false;
  {
    session s2(c.t, "https://127.0.0.1:" + std::to_string(silent.port()));
    s2.execute(unverified("/"), [&](response&&) { called = true; });
    ASSERT_TRUE(wait_until([&] {
      c.io.restart();
      c.io.poll();
      return hello.load();
    }));
  }
  EXPECT_EQ(c.run(unverified("/")).body, "fine");
  EXPECT_FALSE(called);
}

TEST(connection, cancel_during_a_tls_response) {
  std::atomic<bool> asked{false};
  tls_raw_server server([&](peer<tls_raw_server::stream>& p, int) {
    if (!p.read_request()) return;
    asked = true;
    p.read_request();  // never answers; returns when the client closes
  });
  client_fixture c(server.base());
  int calls = 0;
  std::string error;
  c.s.execute(unverified("/"), [&](response&& x) {
    ++calls;
    error = x.error;
  });
  ASSERT_TRUE(wait_until([&] {
    c.io.restart();
    c.io.poll();
    return asked.load();
  }));
  c.s.cancel();
  ASSERT_TRUE(wait_until([&] {
    c.io.restart();
    c.io.poll();
    return calls > 0;
  }));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(error, "cancelled");
}

}  // namespace
}  // namespace endure::client
