// client::system_resolver: lookups on helper threads with an injected blocking lookup function
// (released by the test, never slept on): a blocked name does not hold others, the thread
// limit queues the rest, destruction does not wait, and no helper thread outlives its lookup.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/io_context.hpp>
#pragma GCC diagnostic pop

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "client/system_resolver.hpp"

namespace endure::client {
namespace {

using namespace std::chrono_literals;

template <class Pred>
bool eventually(Pred p, std::chrono::milliseconds deadline = 5000ms) {
  auto end = std::chrono::steady_clock::now() + deadline;
  while (!p()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// Counts the helper threads a lookup function ran on, and which of them have ended (a
// thread_local's destructor runs as its thread exits; it keeps the census alive until then).
struct thread_census {
  std::atomic<int> entered{0}, exited{0};
  struct mark {
    std::shared_ptr<thread_census> census;
    ~mark() {
      if (census) ++census->exited;
    }
  };
  static void note_thread(const std::shared_ptr<thread_census>& c) {
    thread_local mark m;
    if (!m.census) {
      m.census = c;
      ++c->entered;
    }
  }
};

// A lookup function whose names block until released ("*.blocked"), the others answer at once.
struct gate {
  std::mutex mu;
  std::condition_variable cv;
  bool released = false;
  std::map<std::string, int> started;
  std::atomic<int> finished{0};
  std::shared_ptr<thread_census> threads = std::make_shared<thread_census>();

  address_list lookup(const std::string& host) {
    thread_census::note_thread(threads);
    std::unique_lock lock(mu);
    ++started[host];
    cv.notify_all();
    if (host.ends_with(".blocked")) cv.wait(lock, [&] { return released; });
    ++finished;
    if (host == "throws.test") throw std::runtime_error("no memory");
    if (host.starts_with("none")) return {};
    return {*ip_address::parse("10.0.0.1")};
  }
  void release() {
    std::lock_guard lock(mu);
    released = true;
    cv.notify_all();
  }
  int started_count(const std::string& host) {
    std::lock_guard lock(mu);
    return started[host];
  }
};

struct result {
  bool called = false;
  address_list addresses;
};

resolver_backend::done_fn into(result& r) {
  return [&r](address_list a) {
    EXPECT_FALSE(r.called);
    r.called = true;
    r.addresses = std::move(a);
  };
}

bool run_until(boost::asio::io_context& io, const std::function<bool()>& p) {
  return eventually([&] {
    io.restart();
    io.poll();
    return p();
  });
}

TEST(system_resolver, a_blocked_name_does_not_hold_another) {
  auto g = std::make_shared<gate>();
  boost::asio::io_context io;
  system_resolver backend(io, [g](const std::string& h) { return g->lookup(h); });
  result slow, fast;
  backend.lookup("slow.blocked", into(slow));
  backend.lookup("fast.test", into(fast));
  EXPECT_FALSE(fast.called);  // never from inside lookup()
  ASSERT_TRUE(run_until(io, [&] { return fast.called; }));
  EXPECT_EQ(fast.addresses.size(), 1u);
  EXPECT_FALSE(slow.called);
  g->release();
  ASSERT_TRUE(run_until(io, [&] { return slow.called; }));
  EXPECT_EQ(slow.addresses[0].to_string(), "10.0.0.1");
}

TEST(system_resolver, failures_and_exceptions_are_empty_answers) {
  auto g = std::make_shared<gate>();
  boost::asio::io_context io;
  system_resolver backend(io, [g](const std::string& h) { return g->lookup(h); });
  result none, thrown;
  backend.lookup("none.test", into(none));
  backend.lookup("throws.test", into(thrown));
  ASSERT_TRUE(run_until(io, [&] { return none.called && thrown.called; }));
  EXPECT_TRUE(none.addresses.empty());
  EXPECT_TRUE(thrown.addresses.empty());
}

// At most max_threads lookups run at once; the rest wait in the queue for a free helper.
TEST(system_resolver, lookups_beyond_the_thread_limit_wait_their_turn) {
  auto g = std::make_shared<gate>();
  boost::asio::io_context io;
  system_resolver backend(io, [g](const std::string& h) { return g->lookup(h); }, 2);
  result a, b, c;
  backend.lookup("a.blocked", into(a));
  backend.lookup("b.blocked", into(b));
  backend.lookup("c.test", into(c));
  ASSERT_TRUE(eventually([&] { return g->started_count("a.blocked") + g->started_count("b.blocked") == 2; }));
  io.restart();
  io.poll();
  EXPECT_FALSE(c.called);
  EXPECT_EQ(g->started_count("c.test"), 0);
  g->release();
  ASSERT_TRUE(run_until(io, [&] { return a.called && b.called && c.called; }));
}

// Destruction returns at once while a lookup blocks; the blocked helper posts nothing and ends
// as soon as its lookup returns, and queued lookups never start, so no thread is left behind.
TEST(system_resolver, destruction_does_not_wait_and_leaves_no_thread) {
  auto g = std::make_shared<gate>();
  boost::asio::io_context io;
  result stuck, queued;
  {
    system_resolver backend(io, [g](const std::string& h) { return g->lookup(h); }, 1);
    backend.lookup("stuck.blocked", into(stuck));
    backend.lookup("queued.test", into(queued));
    ASSERT_TRUE(eventually([&] { return g->started_count("stuck.blocked") == 1; }));
  }
  EXPECT_EQ(g->threads->entered.load(), 1);
  EXPECT_EQ(g->threads->exited.load(), 0);  // still in its lookup
  g->release();
  ASSERT_TRUE(eventually([&] { return g->threads->exited.load() == 1; }));
  io.restart();
  io.poll();
  EXPECT_FALSE(stuck.called);
  EXPECT_FALSE(queued.called);
  EXPECT_EQ(g->finished.load(), 1);
  EXPECT_EQ(g->started_count("queued.test"), 0);
}

// Helpers exist only while there is something to look up.
TEST(system_resolver, no_thread_is_kept_between_lookups) {
  auto g = std::make_shared<gate>();
  boost::asio::io_context io;
  system_resolver backend(io, [g](const std::string& h) { return g->lookup(h); });
  for (int i = 0; i < 3; ++i) {
    result r;
    backend.lookup("n" + std::to_string(i) + ".test", into(r));
    ASSERT_TRUE(run_until(io, [&] { return r.called; }));
    ASSERT_TRUE(eventually([&] { return g->threads->exited.load() == i + 1; }));
    EXPECT_EQ(g->threads->entered.load(), i + 1);  // a new helper for each lookup
  }
}

TEST(system_resolver, getaddrinfo_lookup_of_literals) {
  auto v4 = system_resolver::getaddrinfo_lookup("127.0.0.1");
  ASSERT_EQ(v4.size(), 1u);
  EXPECT_EQ(v4[0].to_string(), "127.0.0.1");
  auto v6 = system_resolver::getaddrinfo_lookup("::1");
  if (!v6.empty()) {  // AI_ADDRCONFIG: none on a host without IPv6
    EXPECT_EQ(v6[0].family, AF_INET6);
  }
}

}  // namespace
}  // namespace endure::client
