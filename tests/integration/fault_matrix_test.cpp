// The fault matrix: one engine run of about a second per fault. Fault users hit a broken port
// (test_support::fault_server) while healthy users hit the test server in the same run. Each test
// asserts the exact error string recorded, that the run ends on time, and that the healthy users'
// counts match the server's exactly with no failures.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <string>

#include "endure/endure.hpp"
#include "rules/outcome.hpp"
#include "support/engine_run.hpp"
#include "support/fault_server.hpp"
#include "support/test_server.hpp"

using namespace endure;
using namespace std::chrono_literals;
using test_support::fault;
using test_support::fault_options;
using test_support::fault_server;
using test_support::test_server;

namespace {

std::string g_fault_url;    // what FaultUser requests
std::string g_healthy_url;  // what HealthyUser requests

// Fault requests time out quickly; healthy ones keep the session's generous timeout, so a slow
// machine (sanitizers, parallel tests) cannot turn a healthy request into a failure.
std::optional<std::chrono::milliseconds> g_fault_timeout = std::chrono::milliseconds(300);

struct FaultUser : HttpUser {
  static void define(UserSpec<FaultUser>& u) {
    u.wait_time(constant(0.05)).task("fault", &FaultUser::hit);
  }
  Task hit() {
    request_options o{.name = "fault", .timeout = g_fault_timeout};
    co_await client.get(g_fault_url, o);
  }
};

struct HealthyUser : HttpUser {
  static void define(UserSpec<HealthyUser>& u) {
    u.wait_time(constant(0.005)).task("healthy", &HealthyUser::hit);
  }
  Task hit() {
    request_options o{.name = "healthy"};
    co_await client.get(g_healthy_url, o);
  }
};

const stats::row* find_row(const stats::snapshot& s, const std::string& name) {
  for (const auto& r : s.rows)
    if (r.method == "GET" && r.name == name) return &r;
  return nullptr;
}

// Distinct error strings recorded for the fault requests.
std::set<std::string> fault_errors(const stats::snapshot& s) {
  std::set<std::string> out;
  for (const auto& f : s.failures)
    if (f.name == "fault") out.insert(f.error);
  return out;
}

struct outcome {
  stats::snapshot_ptr snap;
  std::chrono::milliseconds wall{0};
  std::chrono::milliseconds allowed{0};  // run time + the longest a stopping user may take
  const stats::row* fault = nullptr;
};

test_support::run_config base_config(std::chrono::milliseconds run_time) {
  test_support::run_config c;
  c.users = 4;  // equal weights: 2 fault users, 2 healthy users
  c.spawn_rate = 1000;
  c.run_time = run_time;
  c.threads = 2;
  c.seed = 7;
  c.client.request_timeout = 5s;
  c.client.connect_timeout = 5s;
  // Users finish the request in flight when the run time is up: without it, a healthy request
  // answered by the server but cut off by the stop would make the exact comparison fail.
  c.stop_timeout = 2s;
  return c;
}

outcome run_against(const std::string& fault_url, const test_server& healthy,
                    test_support::run_config cfg) {
  g_fault_url = fault_url;
  g_healthy_url = healthy.base_url() + "/fast";
  cfg.host = healthy.base_url();
  outcome o;
  o.allowed = *cfg.run_time + std::min(cfg.stop_timeout, cfg.client.request_timeout);
  // The base config's 5 s is for healthy users; fault users get 300 ms unless a test chose a
  // timeout of its own.
  g_fault_timeout = cfg.client.request_timeout == 5s ? 300ms : cfg.client.request_timeout;
  std::vector<const detail::class_spec*> classes{&detail::spec_of<FaultUser>(),
                                                 &detail::spec_of<HealthyUser>()};
  test_support::runner r(cfg, classes);
  auto t0 = std::chrono::steady_clock::now();
  o.snap = r.run();
  o.wall = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  if (o.snap) o.fault = find_row(*o.snap, "fault");
  return o;
}

outcome run_against(const std::string& fault_url, const test_server& healthy) {
  return run_against(fault_url, healthy, base_config(1000ms));
}

// The run ended on time and the healthy users saw nothing of the fault.
void expect_on_time_and_healthy(const outcome& o, const test_server& healthy) {
  ASSERT_TRUE(o.snap);
  EXPECT_LE(o.wall, o.allowed + 1000ms) << "the run overran its run time";
  const auto* h = find_row(*o.snap, "healthy");
  ASSERT_TRUE(h);
  EXPECT_GT(h->num_requests, 20u);
  EXPECT_EQ(h->num_requests, healthy.count("GET /fast"));
  EXPECT_EQ(h->num_failures, 0u);
}

// Every fault request failed, all with exactly this error.
// Every fault request failed, all with this client error (client/error.hpp's strings), recorded
// as Locust words the exception its client raises (rules::transport_error_text).
void expect_all_failed_with(const outcome& o, const std::string& client_error) {
  ASSERT_TRUE(o.snap);
  ASSERT_TRUE(o.fault) << "no fault requests recorded";
  EXPECT_GT(o.fault->num_requests, 0u);
  EXPECT_EQ(o.fault->num_failures, o.fault->num_requests);
  EXPECT_EQ(fault_errors(*o.snap), std::set<std::string>{rules::transport_error_text(client_error)})
      << "client error: " << client_error;
}

void check_fault(fault f, const std::string& error, std::string_view path = "/") {
  test_server healthy;
  fault_server fs(f);
  auto o = run_against(fs.url(path), healthy);
  expect_on_time_and_healthy(o, healthy);
  expect_all_failed_with(o, error);
}

uint64_t peak_rss_kb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6));
  return 0;
}

}  // namespace

TEST(fault_matrix, connection_refused) {
  test_server healthy;
  auto o = run_against("http://127.0.0.1:" + std::to_string(fault_server::closed_port()) + "/",
                       healthy);
  expect_on_time_and_healthy(o, healthy);
  expect_all_failed_with(o, "ConnectionRefusedError: connection refused");
}

TEST(fault_matrix, accept_then_close_at_once) {
  check_fault(fault::close_at_once,
              "RemoteDisconnected: connection closed before the response was complete");
}

TEST(fault_matrix, reset_in_the_middle_of_headers) {
  check_fault(fault::reset_in_headers, "ConnectionResetError: connection reset by peer");
}

TEST(fault_matrix, reset_in_the_middle_of_body) {
  check_fault(fault::reset_in_body, "ConnectionResetError: connection reset by peer");
}

TEST(fault_matrix, accept_and_never_answer_times_out) {
  check_fault(fault::never_answer, "TimeoutError: request timed out after 0.3s");
}

TEST(fault_matrix, dripping_body_hits_the_whole_response_timeout) {
  // One byte per 100 ms never leaves the connection idle for 300 ms: only a deadline on the
  // whole response catches it.
  check_fault(fault::drip_body, "TimeoutError: request timed out after 0.3s");
}

TEST(fault_matrix, status_line_that_is_not_http) {
  check_fault(fault::not_http, "ProtocolError: invalid status line");
}

TEST(fault_matrix, invalid_header_syntax) {
  check_fault(fault::bad_header, "ProtocolError: invalid header");
}

TEST(fault_matrix, one_megabyte_header) {
  check_fault(fault::huge_header, "ProtocolError: headers too large");
}

TEST(fault_matrix, content_length_longer_than_sent_then_close) {
  check_fault(fault::short_body_then_close,
              "RemoteDisconnected: connection closed before the response was complete");
}

TEST(fault_matrix, broken_chunked_encoding) {
  check_fault(fault::bad_chunked, "ProtocolError: invalid chunked encoding");
}

TEST(fault_matrix, huge_body_is_counted_not_buffered) {
  // 200 MB instead of 1 GB to keep the test fast; the point is the same: the process must not
  // grow by the body's size.
  constexpr uint64_t body_bytes = 200ull << 20;
  test_server healthy;
  fault_server fs(fault::huge_body, fault_options{.huge_body_bytes = body_bytes});
  auto cfg = base_config(2000ms);
  cfg.client.request_timeout = 10s;
  cfg.client.max_body_bytes = 64 << 10;  // kept per response; the rest is only counted
  {
    // Warm-up with a 2 MB body: threads, allocator arenas and (under ASan) shadow memory are in
    // place before the peak RSS is taken, so the comparison measures the body alone.
    fault_server small(fault::huge_body, fault_options{.huge_body_bytes = 2 << 20});
    test_server other;
    auto warm = cfg;
    warm.run_time = 500ms;
    run_against(small.url(), other, warm);
  }
  uint64_t rss_before_kb = peak_rss_kb();
  auto o = run_against(fs.url(), healthy, cfg);
  uint64_t rss_after_kb = peak_rss_kb();
  expect_on_time_and_healthy(o, healthy);
  ASSERT_TRUE(o.fault);
  EXPECT_GT(o.fault->num_requests, 0u);
  EXPECT_EQ(o.fault->num_failures, 0u);
  EXPECT_LE(o.fault->num_requests, fs.answered());
  EXPECT_EQ(o.fault->total_content_bytes, o.fault->num_requests * body_bytes);
  EXPECT_LT(rss_after_kb - rss_before_kb, 64u * 1024) << "the body was buffered";
}

TEST(fault_matrix, http10_close_delimited_body_succeeds) {
  test_server healthy;
  fault_server fs(fault::http10_close);
  auto o = run_against(fs.url(), healthy);
  expect_on_time_and_healthy(o, healthy);
  ASSERT_TRUE(o.fault);
  EXPECT_GT(o.fault->num_requests, 5u);
  EXPECT_EQ(o.fault->num_failures, 0u);
  EXPECT_EQ(o.fault->num_requests, fs.answered());
  EXPECT_EQ(o.fault->total_content_bytes, o.fault->num_requests * 20);  // "the body ends at FIN"
}

TEST(fault_matrix, interim_1xx_responses_are_skipped) {
  test_server healthy;
  fault_server fs(fault::interim_1xx);
  auto o = run_against(fs.url(), healthy);
  expect_on_time_and_healthy(o, healthy);
  ASSERT_TRUE(o.fault);
  EXPECT_GT(o.fault->num_requests, 5u);
  EXPECT_EQ(o.fault->num_failures, 0u);
  EXPECT_EQ(o.fault->num_requests, fs.answered());
  EXPECT_EQ(fs.connections(), 2u);  // one keep-alive connection per fault user
}

TEST(fault_matrix, redirect_loop) {
  test_server healthy;
  test_server looping;
  auto o = run_against(looping.base_url() + "/redirect-loop", healthy);
  expect_on_time_and_healthy(o, healthy);
  expect_all_failed_with(o, "TooManyRedirects: exceeded 30 redirects");
  EXPECT_EQ(looping.count("GET /redirect-loop"), o.fault->num_requests * 31);
}

TEST(fault_matrix, redirect_to_a_closed_port) {
  test_server healthy;
  test_server redirecting;
  auto o = run_against(redirecting.base_url() + "/redirect?to=http://127.0.0.1:" +
                           std::to_string(fault_server::closed_port()) + "/gone",
                       healthy);
  expect_on_time_and_healthy(o, healthy);
  expect_all_failed_with(o, "ConnectionRefusedError: connection refused");
  EXPECT_EQ(redirecting.count("GET /redirect"), o.fault->num_requests);
}

TEST(fault_matrix, keepalive_closed_while_idle_is_reopened_silently) {
  test_server healthy;
  fault_server fs(fault::keepalive_close_idle);
  auto o = run_against(fs.url(), healthy);
  expect_on_time_and_healthy(o, healthy);
  ASSERT_TRUE(o.fault);
  EXPECT_GT(o.fault->num_requests, 5u);
  EXPECT_EQ(o.fault->num_failures, 0u) << *fault_errors(*o.snap).begin();
  EXPECT_EQ(o.fault->num_requests, fs.answered());
  EXPECT_GE(fs.connections(), o.fault->num_requests);  // every request needed a new connection
}

TEST(fault_matrix, keepalive_reused_then_cut_mid_response_is_a_failure) {
  test_server healthy;
  fault_server fs(fault::keepalive_partial);
  auto o = run_against(fs.url(), healthy);
  expect_on_time_and_healthy(o, healthy);
  ASSERT_TRUE(o.fault);
  EXPECT_GT(o.fault->num_failures, 3u);
  EXPECT_EQ(o.fault->num_requests - o.fault->num_failures, fs.answered());
  EXPECT_EQ(fault_errors(*o.snap),
            std::set<std::string>{rules::transport_error_text(
                "RemoteDisconnected: connection closed before the response was complete")});
}

TEST(fault_matrix, tls_handshake_with_a_plain_server) {
  test_server healthy;
  fault_server fs(fault::tls_garbage);
  // A handshake is slow under sanitizers on a busy machine; this test is not about timeouts.
  auto cfg = base_config(1000ms);
  cfg.client.request_timeout = 2s;
  auto o = run_against("https://127.0.0.1:" + std::to_string(fs.port()) + "/", healthy, cfg);
  expect_on_time_and_healthy(o, healthy);
  expect_all_failed_with(o, "SSLError: wrong version number");
}

TEST(fault_matrix, certificate_that_fails_verification) {
  test_server healthy;
  auto tls = test_server::start_tls();
  auto cfg = base_config(1000ms);
  cfg.client.request_timeout = 2s;  // as above: handshakes under sanitizers
  auto o = run_against(tls->base_url() + "/fast", healthy, cfg);
  expect_on_time_and_healthy(o, healthy);
  expect_all_failed_with(o, "SSLError: certificate verify failed: self-signed certificate");
  EXPECT_EQ(tls->count("GET /fast"), 0u);
}

TEST(fault_matrix, backlog_full_server_that_never_accepts) {
  // backlog 1: the kernel queues two connections, then drops SYNs. Queued connections wait for
  // a response that never comes; the others never finish connecting.
  test_server healthy;
  fault_server fs(fault::backlog_full, fault_options{.backlog = 1});
  auto cfg = base_config(1000ms);
  cfg.users = 8;  // 4 fault users: more than the queue holds
  cfg.client.connect_timeout = 200ms;
  cfg.client.request_timeout = 400ms;
  auto o = run_against(fs.url(), healthy, cfg);
  expect_on_time_and_healthy(o, healthy);
  ASSERT_TRUE(o.fault);
  EXPECT_EQ(o.fault->num_failures, o.fault->num_requests);
  auto errors = fault_errors(*o.snap);
  const auto connect = rules::transport_error_text("ConnectTimeoutError: connect timed out after 0.2s");
  const auto whole = rules::transport_error_text("TimeoutError: request timed out after 0.4s");
  EXPECT_TRUE(errors.count(connect));
  for (const auto& e : errors) EXPECT_TRUE(e == connect || e == whole) << e;
}
