// The chart history: bounded memory whatever the run's length, windows answered with at most the
// points asked for, and percentiles of merged points equal to those of the merged histogram.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "stats/histogram.hpp"
#include "web/history.hpp"

using namespace endure;
using namespace endure::web;

namespace {

// One interval's latencies as a snapshot carries them: (fine bucket, count) pairs.
std::vector<std::pair<uint32_t, uint64_t>> fine_pairs(const std::vector<uint64_t>& us) {
  std::map<uint32_t, uint64_t> m;
  for (auto v : us) ++m[stats::histogram::bucket_index(v)];
  return {m.begin(), m.end()};
}

// The q-quantile of raw values, by the same rank rule (ceil(q n)).
uint64_t raw_quantile(std::vector<uint64_t> v, double q) {
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::max(1.0, std::ceil(q * static_cast<double>(v.size()))));
  return v[rank - 1];
}

}  // namespace

TEST(history, coarse_buckets_tile_the_range_within_two_percent) {
  for (uint64_t us : {0ull, 1ull, 127ull, 128ull, 129ull, 255ull, 256ull, 1000ull, 123456ull, 3'600'000'000ull}) {
    const uint16_t b = coarse_bucket(us);
    EXPECT_LE(coarse_lower_us(b), us);
    EXPECT_GE(coarse_upper_us(b), us);
    EXPECT_LE(static_cast<double>(coarse_upper_us(b) - coarse_lower_us(b)), 0.016 * static_cast<double>(us) + 1) << us;
  }
  for (uint16_t b = 0; b < 1700; ++b) EXPECT_EQ(coarse_lower_us(b + 1), coarse_upper_us(b) + 1) << b;
}

TEST(history, merged_points_take_percentiles_from_merged_histograms) {
  std::mt19937_64 rng(7);
  history h(100);
  std::vector<uint64_t> all;
  // 60 one-second intervals: latencies around 2 ms, with a slow minute-long tail in the middle.
  for (int s = 0; s < 60; ++s) {
    std::vector<uint64_t> v;
    for (int i = 0; i < 200; ++i) {
      uint64_t us = 1500 + rng() % 1000;
      if (s >= 20 && s < 25 && i < 40) us = 80'000 + rng() % 20'000;
      v.push_back(us);
    }
    all.insert(all.end(), v.begin(), v.end());
    auto [mn, mx] = std::minmax_element(v.begin(), v.end());
    h.add(1000.0 + s + 1, 1.0, v.size(), 1, 10, fine_pairs(v), *mn, *mx);
  }
  auto one = h.window(1000, 1061, 1);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].requests, 12000u);
  EXPECT_EQ(one[0].failures, 60u);
  for (double q : {0.5, 0.9, 0.95, 0.99, 0.999}) {
    const double want = static_cast<double>(raw_quantile(all, q)) / 1000;
    EXPECT_NEAR(one[0].percentile_ms(q), want, 0.02 * want) << q;
  }
  // The average of the per-second p99s would be far below the merged p99: the tail is 5 s of 60.
  double avg_p99 = 0;
  for (const auto& p : h.window(1000, 1061, 1000)) avg_p99 += p.percentile_ms(0.99) / 60;
  EXPECT_GT(one[0].percentile_ms(0.99), 3 * avg_p99);
  auto chart = history::chart(one);
  // The chart's percentile choice (p50/p90/p95/p99/p99.9) is the merged histogram's.
  EXPECT_DOUBLE_EQ(chart[0].p90_ms, one[0].percentile_ms(0.9));
  EXPECT_DOUBLE_EQ(chart[0].p999_ms, one[0].percentile_ms(0.999));
  EXPECT_NEAR(chart[0].p999_ms, static_cast<double>(raw_quantile(all, 0.999)) / 1000, 0.02 * chart[0].p999_ms);
  EXPECT_DOUBLE_EQ(chart[0].rps, 200);
  EXPECT_DOUBLE_EQ(chart[0].users, 10);
}

TEST(history, a_week_stays_bounded_and_every_window_has_at_most_the_points_asked) {
  history h(1200);
  const double t0 = 1'800'000'000;
  const int week = 7 * 86400;
  std::vector<std::pair<uint32_t, uint64_t>> lat = {{stats::histogram::bucket_index(1000), 90},
                                                    {stats::histogram::bucket_index(5000), 9},
                                                    {stats::histogram::bucket_index(90000), 1}};
  for (int s = 0; s < week; ++s) h.add(t0 + s + 1, 1.0, 100, s % 1000 == 0 ? 1 : 0, 50, lat, 1000, 90000);
  EXPECT_LE(h.points_held(), 5u * 1200);
  EXPECT_LT(h.memory_bytes(), 2u << 20);
  for (double width : {60.0, 600.0, 3600.0, 86400.0, 7.0 * 86400}) {
    size_t level = 0;
    auto pts = h.window(t0 + week - width, t0 + week + 1, 500, &level);
    ASSERT_FALSE(pts.empty()) << width;
    EXPECT_LE(pts.size(), 500u) << width;
    uint64_t req = 0;
    for (const auto& p : pts) req += p.requests;
    // The window is covered whole (give or take the coarse level's edge slots).
    EXPECT_GE(static_cast<double>(req), 100 * (width - history::level_seconds[level])) << width;
    EXPECT_LE(static_cast<double>(req), 100 * (width + 2 * history::level_seconds[level])) << width;
    EXPECT_NEAR(pts.back().percentile_ms(0.5), 1.0, 0.02);
    EXPECT_NEAR(history::chart(pts).back().rps, 100, 1e-9);
  }
  // The whole week: from the 10-minute ring (the finest that reaches back), or the hourly one.
  size_t level = 0;
  auto all = h.window(t0, t0 + week + 1, 2000, &level);
  EXPECT_EQ(history::level_seconds[level], 600);
  EXPECT_EQ(all.size(), 1008u);
  uint64_t total = 0;
  for (const auto& p : all) total += p.requests;
  EXPECT_EQ(total, 100ull * week);
  auto coarse = h.window(t0, t0 + week + 1, 200, &level);
  EXPECT_EQ(history::level_seconds[level], 3600);
  EXPECT_LE(coarse.size(), 200u);
  total = 0;
  for (const auto& p : coarse) total += p.requests;
  EXPECT_EQ(total, 100ull * week);
}

TEST(history, memory_stops_growing_once_every_ring_is_full) {
  // Rings of 40 points: the hourly one is full after 40 h; from then on memory is flat.
  history h(40);
  std::vector<std::pair<uint32_t, uint64_t>> lat = {{stats::histogram::bucket_index(1000), 10},
                                                    {stats::histogram::bucket_index(30000), 1}};
  size_t at_50h = 0;
  for (int s = 0; s < 80 * 3600; ++s) {
    h.add(1e9 + s + 1, 1.0, 11, 0, 5, lat, 1000, 30000);
    if (s == 50 * 3600) at_50h = h.memory_bytes();
  }
  EXPECT_EQ(h.points_held(), 5u * 40);
  EXPECT_LE(h.memory_bytes(), at_50h + at_50h / 20);  // vector capacities may differ a little
  // The oldest hours are gone; a window over them is empty. The last minute is older than the 1 s
  // ring (40 s): the 10 s ring answers it, whole.
  EXPECT_TRUE(h.window(1e9, 1e9 + 3600, 100).empty());
  size_t level = 0;
  auto minute = h.window(1e9 + 80 * 3600 - 60, 1e9 + 80 * 3600 + 1, 100, &level);
  EXPECT_EQ(level, 1u);
  ASSERT_EQ(minute.size(), 6u);
  uint64_t req = 0;
  for (const auto& p : minute) req += p.requests;
  EXPECT_EQ(req, 60u * 11);
}

TEST(history, clear_forgets_everything) {
  history h(10);
  h.add(101, 1, 5, 0, 1, {}, 0, 0);
  EXPECT_GT(h.points_held(), 0u);
  h.clear();
  EXPECT_EQ(h.points_held(), 0u);
  EXPECT_TRUE(h.window(0, 1e12, 10).empty());
  EXPECT_EQ(h.first_s(), 0);
}
