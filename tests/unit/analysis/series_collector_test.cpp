// series_collector: coarse buckets nest the fine ones, window percentiles are the percentiles of
// every request in the window, memory stays bounded over a long run, and monitor, failure and
// generator series come out as the records said.
#include "analysis/series_collector.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "analysis/verdict.hpp"
#include "base/rng.hpp"
#include "stats/histogram.hpp"

using namespace endure;
using namespace endure::analysis;

namespace {

// A record of one interval with one entry whose latencies are `us`.
stats::interval_record record(uint64_t id, const std::vector<uint64_t>& us, uint64_t failures = 0,
                              const std::string& name = "/a") {
  stats::interval_record r;
  r.id = id;
  r.start_wall_s = static_cast<double>(id);
  r.end_wall_s = static_cast<double>(id + 1);
  r.user_count = 10;
  std::vector<uint32_t> indices;
  for (auto v : us) indices.push_back(stats::histogram::bucket_index(v));
  std::sort(indices.begin(), indices.end());
  stats::entry_delta e;
  e.method = "GET";
  e.name = name;
  e.requests = us.size();
  e.failures = failures;
  e.min_us = us.empty() ? 0 : *std::min_element(us.begin(), us.end());
  e.max_us = us.empty() ? 0 : *std::max_element(us.begin(), us.end());
  stats::counts_of_sorted(indices.data(), indices.size(), e.latency);
  r.data.entries.push_back(e);
  return r;
}

const series* find(const run_series& run, const std::string& key) {
  for (const auto& s : run.all)
    if (s.key == key) return &s;
  return nullptr;
}

}  // namespace

TEST(series_collector, coarse_buckets_nest_fine_ones_and_are_narrow) {
  for (uint64_t us = 0; us < 5'000'000; us = us < 5000 ? us + 1 : us + us / 997) {
    const uint32_t fine = stats::histogram::bucket_index(us);
    const uint32_t c = coarse_index(us);
    ASSERT_LE(coarse_lower_us(c), stats::histogram::bucket_lower_us(fine)) << us;
    ASSERT_GE(coarse_upper_us(c), stats::histogram::bucket_upper_us(fine)) << us;
    ASSERT_LE(coarse_lower_us(c), us);
    ASSERT_GE(coarse_upper_us(c), us);
    const double width = static_cast<double>(coarse_upper_us(c) - coarse_lower_us(c) + 1);
    ASSERT_LE(width, std::max(1.0, static_cast<double>(coarse_lower_us(c)) / 128.0)) << us;
  }
}

TEST(series_collector, a_windows_p95_is_the_p95_of_all_its_requests) {
  // 1,000 intervals of 200 requests, lognormal-ish latencies whose level drifts: after the
  // windows merged (stride 4 or 8), each window's p95 equals the p95 of the raw samples of its
  // intervals within the coarse resolution.
  const uint64_t seed = 17;
  base::rng rng(seed);
  series_collector c({.max_windows = 256});
  std::vector<std::vector<uint64_t>> raw;
  for (uint64_t i = 0; i < 1000; ++i) {
    std::vector<uint64_t> us(200);
    for (auto& v : us)
      v = static_cast<uint64_t>(2000 * (1 + i / 500.0) * std::exp(1.5 * rng.uniform()));
    raw.push_back(us);
    c.add(record(1000 + i, us));
  }
  EXPECT_LE(c.windows(), 256u);
  EXPECT_EQ(c.stride(), 4u);
  auto run = c.to_run_series();
  const auto* p95 = find(run, "Aggregated|p95");
  ASSERT_NE(p95, nullptr);
  for (size_t w = 0; w < run.windows(); ++w) {
    std::vector<uint64_t> all;
    for (uint64_t i = w * c.stride(); i < std::min<uint64_t>(1000, (w + 1) * c.stride()); ++i)
      all.insert(all.end(), raw[i].begin(), raw[i].end());
    std::sort(all.begin(), all.end());
    const double exact =
        static_cast<double>(all[static_cast<size_t>(std::ceil(0.95 * all.size())) - 1]) / 1000;
    ASSERT_NEAR(p95->values[w], exact, exact / 128) << "window " << w << " seed " << seed;
  }
  // Throughput: 200 requests per 1-second interval.
  const auto* rps = find(run, "Aggregated|req/s");
  ASSERT_NE(rps, nullptr);
  EXPECT_NEAR(rps->values[10], 200, 1e-9);
  EXPECT_NEAR(run.t_s[0], c.stride() / 2.0, 1e-9);
}

TEST(series_collector, memory_is_bounded_in_run_length) {
  series_collector c;
  SCOPED_TRACE("seed 3");
  base::rng rng(3);
  auto feed = [&](uint64_t from, uint64_t to) {
    for (uint64_t i = from; i < to; ++i) {
      std::vector<uint64_t> us(20);
      for (auto& v : us) v = 1000 + rng.below(200000);
      c.add(record(i, us));
    }
  };
  feed(0, 5'000);
  const size_t early = c.histogram_bytes();
  feed(5'000, 60'000);
  EXPECT_LE(c.windows(), 256u);
  // Windows of 10x more intervals hold wider histograms, but bounded by the bucket count.
  EXPECT_LT(c.histogram_bytes(), 3 * early + 200'000);
  EXPECT_GE(c.windows(), 128u);
}

TEST(series_collector, failures_errors_monitors_generator_and_reset) {
  series_collector c;
  for (uint64_t i = 0; i < 20; ++i) {
    auto r = record(i, std::vector<uint64_t>(100, 5000), 10);
    r.data.failures.push_back({"GET", "/a", "timeout", 4, 0, 0});
    r.data.failures.push_back({"GET", "/a", "HTTP 500", 6, 0, 0});
    r.monitor.push_back({"pid 42", "rss_bytes", 1e9 + 1e6 * static_cast<double>(i)});
    r.monitor.push_back({"disk /", "disk_free_bytes", 5e9});
    r.health.cpu_percent = 30;
    r.health.loop_lag_ms = 2;
    r.health.cpu_high = i >= 15;
    r.health.cpu_saturated = i >= 10;  // sticky: not what the verdict counts
    c.add(r);
  }
  auto run = c.to_run_series();
  EXPECT_NEAR(find(run, "GET /a|fail ratio")->values[3], 0.1, 1e-12);
  EXPECT_NEAR(find(run, "GET /a|fail ratio|timeout")->values[3], 0.04, 1e-12);
  EXPECT_NEAR(find(run, "GET /a|fail ratio|HTTP 500")->values[3], 0.06, 1e-12);
  EXPECT_NEAR(find(run, "GET /a|p50")->values[0], 5.0, 5.0 / 128);
  const auto* rss = find(run, "target|pid 42|rss_bytes");
  ASSERT_NE(rss, nullptr);
  EXPECT_EQ(rss->u, unit::bytes);
  EXPECT_EQ(rss->bad, bad_direction::up);
  EXPECT_NEAR(rss->values[7], 1.007e9, 1);
  EXPECT_EQ(find(run, "target|disk /|disk_free_bytes")->bad, bad_direction::down);
  EXPECT_NEAR(find(run, "generator|cpu")->values[0], 30, 1e-12);
  EXPECT_EQ(run.saturated[16], 1.0);
  EXPECT_EQ(run.saturated[2], 0.0);
  EXPECT_EQ(run.users_mean[0], 10);
  // A percentile needs enough requests: p99 of 100 requests is defined, of 50 it is not.
  EXPECT_FALSE(std::isnan(find(run, "GET /a|p99")->values[0]));
  c.reset();
  c.add(record(500, std::vector<uint64_t>(50, 100)));
  run = c.to_run_series();
  EXPECT_EQ(run.windows(), 1u);
  EXPECT_TRUE(std::isnan(find(run, "GET /a|p99")->values[0]));
  EXPECT_EQ(find(run, "target|pid 42|rss_bytes"), nullptr);
}

TEST(series_collector, entries_past_the_cap_are_only_in_aggregated) {
  series_collector c({.max_entries = 2});
  c.add(record(1, {1000}, 0, "/a"));
  c.add(record(2, {1000}, 0, "/b"));
  c.add(record(3, {1000}, 0, "/c"));
  auto run = c.to_run_series();
  EXPECT_NE(find(run, "GET /b|p50"), nullptr);
  EXPECT_EQ(find(run, "GET /c|p50"), nullptr);
  EXPECT_EQ(find(run, "Aggregated|req/s")->values[2], 1.0);
  ASSERT_EQ(run.notes.size(), 1u);
  EXPECT_EQ(run.notes[0], "names beyond the first 2 are only in Aggregated");
}

TEST(series_collector, records_to_verdict_find_a_creep_and_a_leak) {
  // 150 one-second intervals (a 2.5-minute run): latency 5 ms + noise with a creep of +2 ms over
  // the run, target RSS growing 64 KB per request at 250 requests per second.
  const uint64_t seed = 8;
  base::rng rng(seed);
  series_collector c;
  for (uint64_t i = 0; i < 150; ++i) {
    std::vector<uint64_t> us(250);
    for (auto& v : us)
      v = 5000 +
          static_cast<uint64_t>(2000.0 * static_cast<double>(i) / 150 + 1500 * rng.uniform());
    auto r = record(1'700'000'000 + i, us);
    r.monitor.push_back({"pid 7", "rss_bytes",
                         20e6 + 250.0 * 65536 * static_cast<double>(i) + 3e6 * rng.uniform()});
    c.add(r);
  }
  auto v = judge(c.to_run_series(), {});
  const auto* p95 = v.find("Aggregated|p95");
  ASSERT_NE(p95, nullptr);
  EXPECT_EQ(p95->verdict, verdict_kind::degrading) << p95->reason << " seed " << seed;
  const auto* rss = v.find("target|pid 7|rss_bytes");
  ASSERT_NE(rss, nullptr);
  EXPECT_EQ(rss->verdict, verdict_kind::degrading) << rss->reason;
  EXPECT_LE(rss->slope_lower, 250.0 * 65536);
  EXPECT_GE(rss->slope_upper, 250.0 * 65536);
  EXPECT_EQ(v.find("Aggregated|fail ratio")->verdict, verdict_kind::stable);
}
