// client::session with name lookups: a fake resolver backend and a manual clock for the DNS
// cache, scripted servers on 127.0.0.1 and 127.0.0.2 (no sleeps).
#include <gtest/gtest.h>

#include <chrono>
#include <functional>

#include "base/clock.hpp"
#include "client/resolver.hpp"
#include "client/session.hpp"
#include "client/system_resolver.hpp"
#include "fake_resolver.hpp"
#include "scripted_server.hpp"

namespace endure::client {
namespace {

using namespace scripted;

// Answers every request with `name` and closes, so that every request needs a new connection.
raw_server::script answer_and_close(std::string name) {
  return [name](peer<tcp::socket>& p, int) {
    if (p.read_request()) p.write(reply(200, name, "Connection: close\r\n"));
  };
}

raw_server::script keep_alive(std::string name) {
  return [name](peer<tcp::socket>& p, int) {
    while (p.read_request()) p.write(reply(200, name));
  };
}

struct dns_fixture {
  std::shared_ptr<fake_dns> dns = std::make_shared<fake_dns>();
  base::manual_clock clock;
  asio::io_context io;
  transport t;
  explicit dns_fixture(client_options o = {})
      : t(io, o, std::make_unique<fake_backend>(dns), &clock) {}

  // Starts a request on s; the response lands in *out and *done turns true.
  void start(session& s, std::string url, response* out, bool* done) {
    request r;
    r.url = std::move(url);
    s.execute(std::move(r), [out, done](response&& x) {
      *out = std::move(x);
      *done = true;
    });
  }
  // Runs the io_context until pred holds (deadline-bound: the servers run on threads).
  template <class Pred>
  bool run_until(Pred pred, std::chrono::milliseconds deadline = 5000ms) {
    auto end = std::chrono::steady_clock::now() + deadline;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > end) return false;
      io.restart();
      io.run_one_for(10ms);
    }
    return true;
  }
  response get(session& s, std::string url) {
    response out;
    bool done = false;
    start(s, std::move(url), &out, &done);
    EXPECT_TRUE(run_until([&] { return done; }));
    return out;
  }
};

std::string url_of(const std::string& host, uint16_t port, const char* path = "/") {
  return "http://" + host + ":" + std::to_string(port) + path;
}

// (a) A lookup that takes forever for one name does not hold requests to an IP literal or to
// another name on the same transport.
TEST(session_dns, a_slow_lookup_does_not_delay_requests_to_other_hosts) {
  raw_server server(keep_alive("ok"));
  dns_fixture f;
  session slow(f.t, ""), literal(f.t, ""), other(f.t, "");
  response slow_r, literal_r, other_r;
  bool slow_done = false, literal_done = false, other_done = false;
  f.start(slow, url_of("slow.test", server.port()), &slow_r, &slow_done);
  f.start(literal, url_of("127.0.0.1", server.port()), &literal_r, &literal_done);
  f.start(other, url_of("fast.test", server.port()), &other_r, &other_done);
  ASSERT_TRUE(f.run_until([&] { return literal_done; }));
  EXPECT_EQ(literal_r.body, "ok");
  EXPECT_EQ(answer(*f.dns, "fast.test", addresses({"127.0.0.1"})), 1);
  ASSERT_TRUE(f.run_until([&] { return other_done; }));
  EXPECT_EQ(other_r.error, "");
  EXPECT_EQ(other_r.body, "ok");
  EXPECT_FALSE(slow_done);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(f.get(literal, url_of("127.0.0.1", server.port())).body, "ok");
  EXPECT_FALSE(slow_done);
  // ... and it completes when its answer comes.
  EXPECT_EQ(answer(*f.dns, "slow.test", addresses({"127.0.0.1"})), 1);
  ASSERT_TRUE(f.run_until([&] { return slow_done; }));
  EXPECT_EQ(slow_r.body, "ok");
  EXPECT_EQ(slow_r.url, url_of("slow.test", server.port()));
}

// (b) New connections follow a DNS change once the cached answer is older than the TTL.
TEST(session_dns, after_the_ttl_a_changed_address_is_used) {
  raw_server blue(answer_and_close("blue"), "127.0.0.1");
  raw_server green(answer_and_close("green"), "127.0.0.2", blue.port());
  client_options o;
  o.dns_ttl = 30s;
  dns_fixture f(o);
  session s(f.t, url_of("svc.test", blue.port(), ""));
  response r;
  bool done = false;
  f.start(s, "/", &r, &done);
  EXPECT_EQ(answer(*f.dns, "svc.test", addresses({"127.0.0.1"})), 1);
  ASSERT_TRUE(f.run_until([&] { return done; }));
  EXPECT_EQ(r.body, "blue");
  f.clock.advance(29s);
  EXPECT_EQ(f.get(s, "/").body, "blue");  // a new connection, the cached address
  EXPECT_EQ(f.dns->lookups["svc.test"], 1);

  f.clock.advance(1s);
  done = false;
  f.start(s, "/", &r, &done);
  EXPECT_EQ(f.dns->lookups["svc.test"], 2);
  EXPECT_EQ(answer(*f.dns, "svc.test", addresses({"127.0.0.2"})), 1);
  ASSERT_TRUE(f.run_until([&] { return done; }));
  EXPECT_EQ(r.body, "green");
  EXPECT_EQ(f.get(s, "/").body, "green");
  EXPECT_EQ(blue.accepted(), 2);
  EXPECT_EQ(green.accepted(), 2);
}

// An open keep-alive connection stays on its address (as in requests and browsers): only new
// connections look the name up again.
TEST(session_dns, an_open_connection_is_kept_across_the_ttl) {
  raw_server server(keep_alive("kept"));
  client_options o;
  o.dns_ttl = 1s;
  dns_fixture f(o);
  session s(f.t, url_of("svc.test", server.port(), ""));
  response r;
  bool done = false;
  f.start(s, "/", &r, &done);
  answer(*f.dns, "svc.test", addresses({"127.0.0.1"}));
  ASSERT_TRUE(f.run_until([&] { return done; }));
  f.clock.advance(1h);
  EXPECT_EQ(f.get(s, "/").body, "kept");
  EXPECT_EQ(f.dns->lookups["svc.test"], 1);
  EXPECT_EQ(server.accepted(), 1);
}

// (c) Requests of many users for one name wait for one lookup.
TEST(session_dns, concurrent_requests_for_one_host_share_one_lookup) {
  raw_server server(keep_alive("shared"));
  dns_fixture f;
  constexpr int users = 5;
  std::vector<std::unique_ptr<session>> sessions;
  std::vector<response> out(users);
  bool done[users] = {};
  for (int i = 0; i < users; ++i) {
    sessions.push_back(std::make_unique<session>(f.t, url_of("svc.test", server.port(), "")));
    f.start(*sessions.back(), "/", &out[static_cast<size_t>(i)], &done[i]);
  }
  f.io.restart();
  f.io.poll();
  EXPECT_EQ(f.dns->lookups["svc.test"], 1);
  EXPECT_EQ(f.dns->pending.size(), 1u);
  EXPECT_EQ(answer(*f.dns, "svc.test", addresses({"127.0.0.1"})), 1);
  ASSERT_TRUE(f.run_until([&] {
    for (bool d : done)
      if (!d) return false;
    return true;
  }));
  for (const auto& r : out) EXPECT_EQ(r.body, "shared");
  EXPECT_EQ(server.accepted(), users);
}

TEST(session_dns, a_name_that_does_not_resolve_is_a_dns_error) {
  dns_fixture f;
  session s(f.t, "http://gone.test:8080");
  response r;
  bool done = false;
  f.start(s, "/x", &r, &done);
  EXPECT_EQ(answer(*f.dns, "gone.test", {}), 1);
  ASSERT_TRUE(f.run_until([&] { return done; }));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error, "DNSError: cannot resolve host 'gone.test'");
  EXPECT_EQ(r.url, "http://gone.test:8080/x");
  // Remembered for a moment: the next request fails the same way without a lookup.
  EXPECT_EQ(f.get(s, "/x").error, "DNSError: cannot resolve host 'gone.test'");
  EXPECT_EQ(f.dns->lookups["gone.test"], 1);
}

// The connect deadline covers the lookup.
TEST(session_dns, a_lookup_that_never_answers_hits_the_connect_timeout) {
  client_options o;
  o.connect_timeout = 200ms;
  dns_fixture f(o);
  session s(f.t, "http://stuck.test");
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(f.get(s, "/").error, "ConnectTimeoutError: connect timed out after 0.2s");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2000ms);
  // The late answer finds nobody waiting; the next request uses it.
  raw_server server(keep_alive("late"));
  EXPECT_EQ(answer(*f.dns, "stuck.test", addresses({"127.0.0.1"})), 1);
  EXPECT_EQ(f.get(s, url_of("stuck.test", server.port())).body, "late");
  EXPECT_EQ(f.dns->lookups["stuck.test"], 1);
}

TEST(session_dns, cancel_and_destruction_while_a_lookup_is_pending) {
  dns_fixture f;
  int calls = 0;
  std::string error;
  session s(f.t, "http://svc.test");
  request r;
  r.url = "/";
  s.execute(std::move(r), [&](response&& x) {
    ++calls;
    error = x.error;
  });
  s.cancel();
  ASSERT_TRUE(f.run_until([&] { return calls > 0; }));
  EXPECT_EQ(error, "cancelled");
  bool called = false;
  {
    session gone(f.t, "http://svc.test");
    request r2;
    r2.url = "/";
    gone.execute(std::move(r2), [&](response&&) { called = true; });
  }
  EXPECT_EQ(answer(*f.dns, "svc.test", addresses({"127.0.0.1"})), 1);  // one shared lookup
  f.io.restart();
  f.io.poll();
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(called);
}

// A looked-up name is what the certificate is checked against (and what SNI names).
TEST(session_dns, a_tls_certificate_is_checked_against_the_name) {
  tls_raw_server server([](peer<tls_raw_server::stream>& p, int) {
    while (p.read_request()) p.write(reply(200, "named"));
  });
  trusted_cert_file trust(server.cert_pem());  // names localhost, 127.0.0.1 and ::1
  dns_fixture f;
  session s(f.t, "https://svc.test:" + std::to_string(server.port()));
  response r;
  bool done = false;
  f.start(s, "/", &r, &done);
  answer(*f.dns, "svc.test", addresses({"127.0.0.1"}));
  ASSERT_TRUE(f.run_until([&] { return done; }));
  EXPECT_EQ(r.error, "SSLError: certificate verify failed: hostname mismatch");
  session named(f.t, server.base("localhost"));
  EXPECT_EQ(f.get(named, "/").body, "named");
  EXPECT_EQ(f.dns->lookups.count("localhost"), 0u);  // never looked up
}

// A name with several addresses: the next one is tried when one refuses.
TEST(session_dns, the_next_address_is_tried_when_one_refuses) {
  raw_server server(keep_alive("second"), "127.0.0.1");
  dns_fixture f;
  session s(f.t, url_of("multi.test", server.port(), ""));
  response r;
  bool done = false;
  // Nothing else can listen on that port: 127.0.0.1 holds it, so 0.0.0.0 cannot.
  f.start(s, "/", &r, &done);
  answer(*f.dns, "multi.test", addresses({"127.0.0.3", "127.0.0.1"}));
  ASSERT_TRUE(f.run_until([&] { return done; }));
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.body, "second");

  session none(f.t, url_of("refused.test", server.port(), ""));
  done = false;
  f.start(none, "/", &r, &done);
  answer(*f.dns, "refused.test", addresses({"127.0.0.3", "127.0.0.4"}));
  ASSERT_TRUE(f.run_until([&] { return done; }));
  EXPECT_EQ(r.error, "ConnectionRefusedError: connection refused");
}

// The real backend end to end (a lookup function of the test's, on the helper thread): the
// answer arrives through the io_context.
TEST(session_dns, the_system_resolver_posts_its_answers_to_the_shard) {
  raw_server server(keep_alive("threaded"));
  asio::io_context io;
  std::atomic<int> looked_up{0};
  auto lookup = [&](const std::string& host) {
    ++looked_up;
    return host == "svc.test" ? addresses({"127.0.0.1"}) : address_list{};
  };
  transport t(io, {}, std::make_unique<system_resolver>(io, lookup));
  session s(t, url_of("svc.test", server.port(), ""));
  response r;
  bool done = false;
  request q;
  q.url = "/";
  s.execute(std::move(q), [&](response&& x) {
    r = std::move(x);
    done = true;
  });
  ASSERT_TRUE(wait_until([&] {
    io.restart();
    io.run_one_for(10ms);
    return done;
  }));
  EXPECT_EQ(r.body, "threaded");
  EXPECT_EQ(looked_up.load(), 1);
  session bad(t, "http://unknown.test");
  done = false;
  q = request{};
  q.url = "/";
  bad.execute(std::move(q), [&](response&& x) {
    r = std::move(x);
    done = true;
  });
  ASSERT_TRUE(wait_until([&] {
    io.restart();
    io.run_one_for(10ms);
    return done;
  }));
  EXPECT_EQ(r.error, "DNSError: cannot resolve host 'unknown.test'");
}

}  // namespace
}  // namespace endure::client
