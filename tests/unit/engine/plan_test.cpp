#include "engine/plan.hpp"

#include <gtest/gtest.h>

#include <map>

#include "endure/wait_time.hpp"

using namespace endure::engine;

TEST(plan, distributes_by_weight_with_largest_remainder) {
  std::vector<class_weight> c = {{"A", 1, 0}, {"B", 2, 0}};
  EXPECT_EQ(distribute_users(c, 3), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(distribute_users(c, 100), (std::vector<uint64_t>{33, 67}));
  EXPECT_EQ(distribute_users(c, 1), (std::vector<uint64_t>{0, 1}));
  EXPECT_EQ(distribute_users(c, 0), (std::vector<uint64_t>{0, 0}));
}

TEST(plan, fixed_count_first_then_weights) {
  std::vector<class_weight> c = {{"A", 1, 0}, {"Admin", 5, 2}, {"B", 3, 0}};
  EXPECT_EQ(distribute_users(c, 10), (std::vector<uint64_t>{2, 2, 6}));
  EXPECT_EQ(distribute_users(c, 1), (std::vector<uint64_t>{0, 1, 0}));
}

TEST(plan, spawn_order_keeps_proportions_in_every_prefix) {
  auto order = spawn_order({1, 2});
  ASSERT_EQ(order.size(), 3u);
  std::map<size_t, int> n;
  for (auto i : order) n[i]++;
  EXPECT_EQ(n[0], 1);
  EXPECT_EQ(n[1], 2);
  auto big = spawn_order({30, 60, 10});
  int a = 0, b = 0;
  for (size_t k = 0; k < big.size(); ++k) {
    a += big[k] == 0;
    b += big[k] == 1;
    if (k + 1 == 10) {
      EXPECT_EQ(a, 3);
      EXPECT_EQ(b, 6);
    }
  }
}

TEST(plan, weighted_picker_follows_weights_with_a_seed) {
  weighted_picker p({1, 2});
  endure::base::rng r(12345);
  int counts[2] = {0, 0};
  for (int i = 0; i < 30000; ++i) counts[p.pick(r)]++;
  EXPECT_NEAR(counts[1] / double(counts[0]), 2.0, 0.1) << "seed 12345";
  weighted_picker zero({0, 5});
  for (int i = 0; i < 100; ++i) EXPECT_EQ(zero.pick(r), 1u);
}

namespace {
struct fake_ctx : endure::wait_context {
  double u = 0.5, t = 100, start = 99;
  double uniform01() override { return u; }
  endure::seconds_d now() override { return endure::seconds_d(t); }
  endure::seconds_d last_task_start() override { return endure::seconds_d(start); }
};
}  // namespace

TEST(wait_time, formulas_match_locust) {
  using namespace std::chrono_literals;
  fake_ctx c;
  auto b = endure::between(1s, 5s)();
  c.u = 0;
  EXPECT_DOUBLE_EQ(b(c).count(), 1.0);
  c.u = 0.5;
  EXPECT_DOUBLE_EQ(b(c).count(), 3.0);
  EXPECT_DOUBLE_EQ(endure::constant(2s)()(c).count(), 2.0);
  // constant_pacing(10s) keeps a schedule from the first task's start (99): next at 109.
  auto p = endure::constant_pacing(10s)();
  EXPECT_DOUBLE_EQ(p(c).count(), 9.0);
  // The second task started on time (109) but took 12 s (now 121): the third was due at 119,
  // so it starts at once, 2 s late (negative) ...
  c.start = 109;
  c.t = 121;
  EXPECT_DOUBLE_EQ(p(c).count(), -2.0);
  // ... and the fourth is due at 129 whatever the third took: the user catches up.
  c.start = 121;
  c.t = 122;
  EXPECT_DOUBLE_EQ(p(c).count(), 7.0);
  // constant_throughput(0.5) == constant_pacing(2 s)
  c.start = 99.5;
  c.t = 100;
  EXPECT_DOUBLE_EQ(endure::constant_throughput(0.5)()(c).count(), 1.5);
}
