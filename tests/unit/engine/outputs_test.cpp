// The event bus (subscriptions with handles, joining and leaving mid-run) and asynchronous outputs
// (a slow consumer never blocks the publisher; lossless outputs merge records when they fall
// behind, latest-only ones keep the newest). These use real threads: label integration.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "engine/async_output.hpp"
#include "engine/event_bus.hpp"
#include "engine/totals_stage.hpp"

using namespace std::chrono_literals;

namespace endure::engine {
namespace {

TEST(bus, subscribers_join_and_leave_mid_run) {
  bus<int> b;
  std::vector<int> a_seen, c_seen;
  subscription sa = b.subscribe([&](const int& v) { a_seen.push_back(v); });
  subscription sc;
  b.publish(1);
  // A handler may subscribe another (a web client joining) and leave itself.
  subscription self;
  self = b.subscribe([&](const int& v) {
    if (v == 2) sc = b.subscribe([&](const int& w) { c_seen.push_back(w); });
    if (v == 3) self.reset();
  });
  b.publish(2);
  b.publish(3);
  EXPECT_FALSE(self.active());
  sa.reset();
  b.publish(4);
  EXPECT_EQ(a_seen, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(c_seen, (std::vector<int>{3, 4})) << "a new subscriber sees what comes after it";
  EXPECT_EQ(b.subscribers(), 1u);
}

TEST(bus, reset_from_another_thread_waits_for_a_call_in_progress) {
  bus<int> b;
  std::promise<void> entered, release;
  auto released = release.get_future().share();
  std::atomic<bool> handler_done{false};
  subscription s = b.subscribe([&](const int&) {
    entered.set_value();
    released.wait();
    handler_done = true;
  });
  std::thread publisher([&] { b.publish(1); });
  entered.get_future().wait();
  std::atomic<bool> reset_done{false};
  std::thread leaver([&] {
    s.reset();
    reset_done = true;
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(reset_done.load()) << "reset() returned while the handler still ran";
  release.set_value();
  leaver.join();
  publisher.join();
  EXPECT_TRUE(handler_done.load());
  EXPECT_TRUE(reset_done.load());
  b.publish(2);  // nothing runs: the handler is gone
}

TEST(async_output, a_slow_consumer_never_blocks_the_publisher) {
  std::vector<int> seen;
  async_output<int> out("slow", output_policy::lossless, 1000, [&](const int& v) {
    std::this_thread::sleep_for(20ms);
    seen.push_back(v);
  });
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i) out.push(i);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 100ms) << "50 pushes into a 20 ms consumer";
  ASSERT_TRUE(out.drain(10s));
  std::vector<int> want(50);
  for (int i = 0; i < 50; ++i) want[static_cast<size_t>(i)] = i;
  EXPECT_EQ(seen, want) << "lossless and in order";
}

TEST(async_output, lossless_records_merge_when_the_output_falls_behind) {
  std::promise<void> release;
  auto released = release.get_future().share();
  uint64_t consumed_requests = 0, consumed_items = 0;
  async_output<run_item> out(
      "store", output_policy::lossless, 4,
      [&](const run_item& item) {
        released.wait();
        ++consumed_items;
        if (const auto* r = std::get_if<stats::record_ptr>(&item))
          for (const auto& e : (*r)->data.entries) consumed_requests += e.requests;
      },
      coalesce_records);
  for (uint64_t id = 1; id <= 100; ++id) {
    auto r = std::make_shared<stats::interval_record>();
    r->id = id;
    r->start_wall_s = static_cast<double>(id);
    r->end_wall_s = static_cast<double>(id + 1);
    stats::entry_delta e;
    e.method = "GET";
    e.name = "/x";
    e.requests = 3;
    e.min_us = e.max_us = e.intended_min_us = e.intended_max_us = 1000;
    e.sum_us = 3000;
    e.latency = {{1000, 3}};
    r->data.entries.push_back(e);
    out.push(run_item{stats::record_ptr(r)});
    if (id == 50) out.push(run_item{run_event{event_kind::stats_reset, 50.5, 1, 0, ""}});
  }
  EXPECT_TRUE(out.counters().behind);
  EXPECT_GT(out.counters().coalesced, 80u);
  release.set_value();
  ASSERT_TRUE(out.drain(10s));
  EXPECT_EQ(consumed_requests, 300u) << "every request of the 100 intervals, in fewer records";
  EXPECT_LT(consumed_items, 20u);
  EXPECT_FALSE(out.counters().behind);
}

TEST(async_output, latest_only_keeps_the_newest) {
  std::promise<void> release;
  auto released = release.get_future().share();
  std::vector<int> seen;
  std::atomic<bool> first_taken{false};
  async_output<int> out("console", output_policy::latest_only, 1, [&](const int& v) {
    first_taken = true;
    released.wait();
    seen.push_back(v);
  });
  out.push(0);
  while (!first_taken) std::this_thread::yield();
  for (int i = 1; i <= 100; ++i) out.push(i);
  release.set_value();
  ASSERT_TRUE(out.drain(10s));
  EXPECT_EQ(seen, (std::vector<int>{0, 100}));
  EXPECT_EQ(out.counters().replaced, 99u);
}

}  // namespace
}  // namespace endure::engine
