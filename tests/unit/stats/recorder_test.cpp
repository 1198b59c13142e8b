#include "stats/recorder.hpp"
#include "stats/run_totals.hpp"

#include <gtest/gtest.h>

#include <string>

namespace endure::stats {
namespace {

constexpr double t0 = 1'700'000'000.0;

request_sample sample(std::string_view method, std::string_view name, int64_t us, double wall,
                      std::string_view error = {}, uint64_t bytes = 0) {
  request_sample s;
  s.method = method;
  s.name = name;
  s.latency_us = us;
  s.intended_latency_us = us;
  s.error = error;
  s.wall_s = wall;
  s.content_bytes = bytes;
  return s;
}

struct interval_info {
  double wall_s = 0;
  bool is_final = false;
  uint64_t user_count = 0;
};

interval_info at(double wall, bool final = false) { return {wall, final, 3}; }

// The old aggregator's shape over run_totals: deltas merge into the open interval's record,
// close_interval() adds the record and takes a view.
struct harness {
  run_totals totals;
  shard_delta pending;
  double last_end;
  explicit harness(double start) : totals(start), last_end(start) {}
  void merge(shard_delta d) { stats::merge(pending, std::move(d)); }
  snapshot_ptr close_interval(const interval_info& i) {
    interval_record r;
    r.id = static_cast<uint64_t>(i.wall_s) - 1;
    r.start_wall_s = last_end;
    r.end_wall_s = i.wall_s;
    r.user_count = i.user_count;
    r.is_final = i.is_final;
    r.state = i.is_final ? run_state::stopped : run_state::running;
    r.data = std::move(pending);
    pending = {};
    last_end = i.wall_s;
    totals.add(r);
    return totals.view({.with_buckets = i.is_final, .window_all_rows = true});
  }
  void reset(double start) {
    totals.reset(start);
    last_end = start;
  }
};

TEST(run_state, names) {
  EXPECT_STREQ(to_string(run_state::ready), "ready");
  EXPECT_STREQ(to_string(run_state::spawning), "spawning");
  EXPECT_STREQ(to_string(run_state::running), "running");
  EXPECT_STREQ(to_string(run_state::stopping), "stopping");
  EXPECT_STREQ(to_string(run_state::stopped), "stopped");
}

TEST(shard_recorder, delta_holds_interval_and_resets) {
  shard_recorder r;
  r.record(sample("GET", "/a", 1000, t0 + 0.5, {}, 10));
  r.record(sample("GET", "/a", 3000, t0 + 0.7, "500 Server Error", 20));
  r.record(sample("POST", "/b", 2000, t0 + 0.6));
  r.record(sample("GET", "/a", 2000, t0 + 0.8, "500 Server Error"));
  r.record_exception("std::runtime_error: boom", "user X, task y");
  r.record_exception("std::runtime_error: boom", "user X, task y");
  auto d = r.take_delta();
  ASSERT_EQ(d.entries.size(), 2u);
  const entry_delta* a = nullptr;
  for (const auto& e : d.entries)
    if (e.name == "/a") a = &e;
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->method, "GET");
  EXPECT_EQ(a->requests, 3u);
  EXPECT_EQ(a->failures, 2u);
  EXPECT_EQ(a->sum_us, 6000u);
  EXPECT_EQ(a->min_us, 1000u);
  EXPECT_EQ(a->max_us, 3000u);
  EXPECT_EQ(a->content_bytes, 30u);
  EXPECT_DOUBLE_EQ(a->first_wall_s, t0 + 0.5);
  EXPECT_DOUBLE_EQ(a->last_wall_s, t0 + 0.8);
  EXPECT_EQ(a->latency.size(), 3u);
  ASSERT_EQ(d.failures.size(), 1u);
  EXPECT_EQ(d.failures[0].count, 2u);
  EXPECT_EQ(d.failures[0].error, "500 Server Error");
  EXPECT_DOUBLE_EQ(d.failures[0].first_wall_s, t0 + 0.7);
  EXPECT_DOUBLE_EQ(d.failures[0].last_wall_s, t0 + 0.8);
  ASSERT_EQ(d.exceptions.size(), 1u);
  EXPECT_EQ(d.exceptions[0].count, 2u);

  auto d2 = r.take_delta();
  EXPECT_TRUE(d2.empty());
  r.record(sample("GET", "/a", 500, t0 + 1.5));
  auto d3 = r.take_delta();
  ASSERT_EQ(d3.entries.size(), 1u);
  EXPECT_EQ(d3.entries[0].requests, 1u);
  EXPECT_EQ(d3.entries[0].min_us, 500u);
}

TEST(run_totals, totals_rows_and_rates) {
  shard_recorder s1, s2;
  harness agg(t0);
  for (int i = 0; i < 100; ++i) s1.record(sample("GET", "/b", 1000 + i, t0 + 0.5));
  for (int i = 0; i < 50; ++i) s2.record(sample("GET", "/a", 2000, t0 + 0.9, i < 5 ? "boom" : ""));
  s2.record(sample("POST", "/a", 4000, t0 + 0.9));
  agg.merge(s1.take_delta());
  agg.merge(s2.take_delta());
  auto snap = agg.close_interval(at(t0 + 1));
  ASSERT_EQ(snap->rows.size(), 3u);
  // sorted by (name, method)
  EXPECT_EQ(snap->rows[0].name, "/a");
  EXPECT_EQ(snap->rows[0].method, "GET");
  EXPECT_EQ(snap->rows[1].name, "/a");
  EXPECT_EQ(snap->rows[1].method, "POST");
  EXPECT_EQ(snap->rows[2].name, "/b");
  const auto& b = snap->rows[2];
  EXPECT_EQ(b.num_requests, 100u);
  EXPECT_DOUBLE_EQ(b.min_ms, 1.0);
  EXPECT_DOUBLE_EQ(b.max_ms, 1.099);
  EXPECT_DOUBLE_EQ(b.avg_ms, 1.0495);
  EXPECT_DOUBLE_EQ(b.percentiles_ms[10], 1.099);
  EXPECT_NEAR(b.median_ms, 1.049, 0.0011);
  EXPECT_DOUBLE_EQ(b.median_ms, b.percentiles_ms[0]);
  // total_rps uses the run's last request time (t0 + 0.9), like Locust.
  EXPECT_NEAR(b.total_rps, 100 / 0.9, 1e-3);  // t0 + 0.9 is not exact in a double
  EXPECT_NEAR(b.current_rps, 100.0, 1e-9);
  EXPECT_EQ(b.interval_requests, 100u);
  const auto& ag = snap->aggregated;
  EXPECT_EQ(ag.name, "Aggregated");
  EXPECT_EQ(ag.method, "");
  EXPECT_EQ(ag.num_requests, 151u);
  EXPECT_EQ(ag.num_failures, 5u);
  EXPECT_DOUBLE_EQ(ag.max_ms, 4.0);
  EXPECT_DOUBLE_EQ(ag.min_ms, 1.0);
  EXPECT_NEAR(ag.total_fail_per_s, 5 / 0.9, 1e-4);
  EXPECT_EQ(snap->user_count, 3u);
  EXPECT_FALSE(snap->is_final);
  EXPECT_TRUE(ag.latency_buckets.empty());
  ASSERT_EQ(snap->failures.size(), 1u);
  EXPECT_EQ(snap->failures[0].occurrences, 5u);
  EXPECT_EQ(snap->sequence, 0u);

  auto fin = agg.close_interval(at(t0 + 2, true));
  EXPECT_EQ(fin->sequence, 1u);
  EXPECT_TRUE(fin->is_final);
  uint64_t n = 0;
  for (const auto& [i, c] : fin->aggregated.latency_buckets) n += c;
  EXPECT_EQ(n, 151u);
  EXPECT_EQ(fin->aggregated.num_requests, 151u);
  EXPECT_EQ(fin->aggregated.interval_requests, 0u);
  EXPECT_EQ(fin->aggregated.total_latency_us, 100u * 1000 + 4950 + 50u * 2000 + 4000);
}

TEST(run_totals, ten_second_window_slides) {
  harness agg(t0);
  // Interval k (1..15) has k requests of k ms each.
  for (int k = 1; k <= 15; ++k) {
    shard_recorder r;
    for (int i = 0; i < k; ++i)
      r.record(sample("GET", "/w", k * 1000, t0 + k - 0.5, i == 0 ? "err" : ""));
    agg.merge(r.take_delta());
    auto snap = agg.close_interval(at(t0 + k));
    const auto& row = snap->rows.at(0);
    const int first = std::max(1, k - 9);
    int reqs = 0;
    for (int j = first; j <= k; ++j) reqs += j;
    const double window_s = std::min(k, 10);
    EXPECT_EQ(row.current_requests, static_cast<uint64_t>(reqs)) << k;
    EXPECT_NEAR(row.current_rps, reqs / window_s, 1e-9) << k;
    EXPECT_NEAR(row.current_fail_per_s, (k - first + 1) / window_s, 1e-9) << k;
    EXPECT_DOUBLE_EQ(row.current_percentiles_ms[10], k) << k;     // window max
    EXPECT_DOUBLE_EQ(row.current_percentiles_ms[0] > 0 ? 1 : 0, 1);
    EXPECT_GE(row.current_percentiles_ms[0], first) << k;         // oldest slot dropped
    EXPECT_DOUBLE_EQ(row.percentiles_ms[10], k) << k;
    EXPECT_DOUBLE_EQ(row.min_ms, 1.0);
    EXPECT_EQ(row.interval_requests, static_cast<uint64_t>(k));
    EXPECT_DOUBLE_EQ(row.interval_p99_ms, k);
  }
  // 10 idle intervals empty the window but keep totals.
  snapshot_ptr snap;
  for (int k = 16; k <= 25; ++k) snap = agg.close_interval(at(t0 + k));
  EXPECT_EQ(snap->rows[0].current_requests, 0u);
  EXPECT_DOUBLE_EQ(snap->rows[0].current_rps, 0.0);
  EXPECT_DOUBLE_EQ(snap->rows[0].current_percentiles_ms[0], 0.0);
  EXPECT_EQ(snap->rows[0].num_requests, 120u);
  // The window fills again from new data only.
  shard_recorder r;
  r.record(sample("GET", "/w", 7000, t0 + 25.5));
  agg.merge(r.take_delta());
  snap = agg.close_interval(at(t0 + 26));
  EXPECT_EQ(snap->rows[0].current_requests, 1u);
  EXPECT_DOUBLE_EQ(snap->rows[0].current_percentiles_ms[0], 7.0);
  EXPECT_DOUBLE_EQ(snap->rows[0].current_percentiles_ms[10], 7.0);
}

TEST(run_totals, entry_cap_folds_new_names) {
  harness agg(t0);
  shard_recorder r;
  for (size_t i = 0; i < max_entries + 500; ++i) r.record(sample("GET", "/u/" + std::to_string(i), 100, t0));
  agg.merge(r.take_delta());
  auto snap = agg.close_interval(at(t0 + 1));
  EXPECT_LE(snap->rows.size(), max_entries + 1);
  EXPECT_EQ(snap->aggregated.num_requests, max_entries + 500);
  uint64_t total = 0, other = 0;
  for (const auto& row : snap->rows) {
    total += row.num_requests;
    if (row.name == other_names_entry) other = row.num_requests;
  }
  EXPECT_EQ(total, max_entries + 500);
  EXPECT_EQ(other, 500u);
  // Aggregator folds too, when deltas come from many recorders.
  for (int round = 0; round < 3; ++round) {
    shard_recorder r2;
    for (int i = 0; i < 1000; ++i)
      r2.record(sample("GET", "/v/" + std::to_string(round) + "/" + std::to_string(i), 100, t0));
    agg.merge(r2.take_delta());
  }
  snap = agg.close_interval(at(t0 + 2));
  EXPECT_LE(snap->rows.size(), max_entries + 1);
  EXPECT_EQ(snap->aggregated.num_requests, max_entries + 3500);
}

TEST(run_totals, failures_and_exceptions_merge_and_sort) {
  harness agg(t0);
  shard_delta d1, d2;
  d1.failures.push_back({"GET", "/a", "timeout", 2, t0 + 1, t0 + 2});
  d1.failures.push_back({"GET", "/b", "refused", 5, t0 + 3, t0 + 4});
  d2.failures.push_back({"GET", "/a", "timeout", 7, t0 + 0.5, t0 + 9});
  d1.exceptions.push_back({"E1", "tb1", "w1", 1});
  d2.exceptions.push_back({"E2", "tb2", "w1", 3});
  d2.exceptions.push_back({"E1", "tb1", "w2", 2});
  agg.merge(d1);
  agg.merge(d2);
  auto snap = agg.close_interval(at(t0 + 10));
  ASSERT_EQ(snap->failures.size(), 2u);
  EXPECT_EQ(snap->failures[0].error, "timeout");
  EXPECT_EQ(snap->failures[0].occurrences, 9u);
  EXPECT_DOUBLE_EQ(snap->failures[0].first_seen_wall_s, t0 + 0.5);
  EXPECT_DOUBLE_EQ(snap->failures[0].last_seen_wall_s, t0 + 9);
  EXPECT_EQ(snap->failures[1].occurrences, 5u);
  ASSERT_EQ(snap->exceptions.size(), 2u);
  EXPECT_EQ(snap->exceptions[0].count, 3u);
  EXPECT_EQ(snap->exceptions[0].message, "E1");
  EXPECT_EQ(snap->exceptions[0].nodes, "w1, w2");
  EXPECT_EQ(snap->exceptions[1].message, "E2");
}

TEST(run_totals, reset_forgets_everything) {
  harness agg(t0);
  shard_recorder r;
  r.record(sample("GET", "/a", 100, t0 + 0.5, "x"));
  r.record_exception("m", "t");
  agg.merge(r.take_delta());
  agg.close_interval(at(t0 + 1));
  agg.reset(t0 + 5);
  r.record(sample("GET", "/b", 100, t0 + 5.5));
  agg.merge(r.take_delta());
  auto snap = agg.close_interval(at(t0 + 6));
  ASSERT_EQ(snap->rows.size(), 1u);
  EXPECT_EQ(snap->rows[0].name, "/b");
  EXPECT_DOUBLE_EQ(snap->start_wall_s, t0 + 5);
  EXPECT_TRUE(snap->failures.empty());
  EXPECT_TRUE(snap->exceptions.empty());
  EXPECT_EQ(snap->aggregated.num_requests, 1u);
  EXPECT_NEAR(snap->aggregated.total_rps, 1 / 0.5, 1e-9);
  EXPECT_NEAR(snap->aggregated.current_rps, 1.0, 1e-9);
}

TEST(run_totals, intended_percentiles_follow_intended_latency) {
  harness agg(t0);
  shard_recorder r;
  for (int i = 0; i < 100; ++i) {
    auto s = sample("GET", "/p", 1000, t0);
    s.intended_latency_us = 1000 + 100 * i;
    r.record(s);
  }
  agg.merge(r.take_delta());
  auto snap = agg.close_interval(at(t0 + 1));
  EXPECT_DOUBLE_EQ(snap->rows[0].percentiles_ms[10], 1.0);
  EXPECT_DOUBLE_EQ(snap->rows[0].intended_percentiles_ms[10], 10.9);
  EXPECT_NEAR(snap->rows[0].intended_percentiles_ms[0], 5.9, 0.01);
}

}  // namespace
}  // namespace endure::stats
