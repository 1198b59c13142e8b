// Heap allocations per request on a warm keep-alive session, plain and TLS. A response's buffers
// (header list and strings, body, URL) circulate between the parser, the pooled request state
// and a consumer that swaps them out, as the C++ users do; a steady closed loop then allocates
// nothing per request in our code. OpenSSL's allocations are counted apart: its 3.0 record
// layer allocates a 40-byte WPACKET header per TLS 1.3 record it seals or opens (crypto/packet.c),
// which no setting avoids; anything beyond those (its buffers, say) would show. Counted on this
// thread only: the server runs on its own.
// The counting operator new below pairs with free(); GCC's check cannot see that.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/io_context.hpp>
#pragma GCC diagnostic pop

#include <gtest/gtest.h>
#include <openssl/crypto.h>

#include <chrono>
#include <cstdlib>
#include <new>

#include "client/session.hpp"
#include "support/test_server.hpp"

namespace {
thread_local uint64_t allocations = 0;          // operator new
thread_local uint64_t openssl_allocations = 0;  // OpenSSL's malloc and realloc
}  // namespace

namespace {
void* counting_malloc(std::size_t n, const char*, int) {
  ++openssl_allocations;
  return std::malloc(n);
}
void* counting_realloc(void* p, std::size_t n, const char*, int) {
  ++openssl_allocations;
  return std::realloc(p, n);
}
void counting_free(void* p, const char*, int) { std::free(p); }
// OpenSSL takes an allocator only before its first allocation: set during static initialization.
const bool openssl_counted =
    CRYPTO_set_mem_functions(counting_malloc, counting_realloc, counting_free) == 1;
}  // namespace

void* operator new(std::size_t n) {
  ++allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace endure::client {
namespace {

using namespace std::chrono_literals;

struct loop_result {
  uint64_t allocations_per_300 = 0;
  uint64_t openssl_allocations_per_300 = 0;
  int completed = 0, failed = 0;
  std::string body;
  uint64_t served = 0;
};

loop_result warm_closed_loop(bool tls) {
  test_support::test_server server(test_support::test_server_options{.tls = tls});
  boost::asio::io_context io;
  client_options o;
  o.insecure = true;
  transport t(io, o);
  session s(t, server.base_url());
  struct consumer {
    response kept;  // fields are swapped in, its old buffers go back
    int completed = 0, failed = 0;
  } c;
  consumer* cp = &c;  // one pointer captured: the completion fits std::function's own storage
  int& completed = c.completed;
  auto one = [&] {
    request r;
    r.url = "/fast";
    const int before = completed;
    s.execute(std::move(r), [cp](response&& x) {
      if (!x.error.empty() || x.status != 200) ++cp->failed;
      cp->kept.status = x.status;
      cp->kept.reason.swap(x.reason);
      cp->kept.headers.swap(x.headers);
      cp->kept.body.swap(x.body);
      cp->kept.url.swap(x.url);
      cp->kept.error.swap(x.error);
      ++cp->completed;
    });
    auto end = std::chrono::steady_clock::now() + 5s;
    while (completed == before && std::chrono::steady_clock::now() < end) {
      io.restart();
      io.run_one_for(10ms);
    }
  };
  for (int i = 0; i < 50; ++i) one();  // warm-up: connection, pools, Asio's handler memory
  const uint64_t before = allocations, openssl_before = openssl_allocations;
  for (int i = 0; i < 300; ++i) one();
  loop_result out;
  out.allocations_per_300 = allocations - before;
  out.openssl_allocations_per_300 = openssl_allocations - openssl_before;
  out.completed = c.completed;
  out.failed = c.failed;
  out.body = c.kept.body;
  out.served = server.count("GET /fast");
  return out;
}

TEST(session_allocations, a_warm_closed_loop_allocates_nothing_per_request) {
  loop_result r = warm_closed_loop(false);
  EXPECT_EQ(r.completed, 350);
  EXPECT_EQ(r.failed, 0);
  EXPECT_EQ(r.body, "ok\n");
  EXPECT_EQ(r.served, 350u);
  // A per-request allocation anywhere on the path shows as >= 300 here.
  EXPECT_LT(r.allocations_per_300, 10u) << r.allocations_per_300 << " allocations in 300 requests";
  EXPECT_EQ(r.openssl_allocations_per_300, 0u);
}

TEST(session_allocations, a_warm_tls_closed_loop_allocates_nothing_of_ours_per_request) {
  ASSERT_TRUE(openssl_counted) << "OpenSSL allocated before the counting allocator was set";
  loop_result r = warm_closed_loop(true);
  EXPECT_EQ(r.completed, 350);
  EXPECT_EQ(r.failed, 0);
  EXPECT_EQ(r.body, "ok\n");
  EXPECT_EQ(r.served, 350u);
  EXPECT_LT(r.allocations_per_300, 10u) << r.allocations_per_300 << " allocations in 300 requests";
  // One record each way per request: OpenSSL's WPACKET headers, 4 per request, nothing else.
  EXPECT_LE(r.openssl_allocations_per_300, 4u * 300 + 10)
      << r.openssl_allocations_per_300 << " OpenSSL allocations in 300 requests";
}

}  // namespace
}  // namespace endure::client
