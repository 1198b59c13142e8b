// Heap allocations per request on a warm keep-alive session. A response's buffers (header list
// and strings, body, URL) circulate between the parser, the pooled request state and a consumer
// that swaps them out, as the C++ users do; a steady closed loop then allocates nothing per
// request. Counted on this thread only: the server runs on its own.
// The counting operator new below pairs with free(); GCC's check cannot see that.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/io_context.hpp>
#pragma GCC diagnostic pop

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <new>

#include "client/session.hpp"
#include "support/test_server.hpp"

namespace {
thread_local uint64_t allocations = 0;
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

TEST(session_allocations, a_warm_closed_loop_allocates_nothing_per_request) {
  test_support::test_server server;
  boost::asio::io_context io;
  transport t(io, {});
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
  const uint64_t before = allocations;
  constexpr int measured = 300;
  for (int i = 0; i < measured; ++i) one();
  const uint64_t per_300 = allocations - before;
  EXPECT_EQ(completed, 50 + measured);
  EXPECT_EQ(c.failed, 0);
  EXPECT_EQ(c.kept.body, "ok\n");
  EXPECT_EQ(server.count("GET /fast"), 50u + measured);
  // A per-request allocation anywhere on the path shows as >= 300 here.
  EXPECT_LT(per_300, 10u) << per_300 << " allocations in " << measured << " requests";
}

}  // namespace
}  // namespace endure::client
