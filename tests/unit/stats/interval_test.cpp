// Sparse histograms, the recorder's light and dense modes, the caps that bound memory under a
// flood of distinct errors, and exact merging of interval records across nodes.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "stats/histogram.hpp"
#include "stats/interval_record.hpp"
#include "stats/recorder.hpp"
#include "stats/run_totals.hpp"
#include "stats/sparse.hpp"

namespace endure::stats {
namespace {

constexpr double t0 = 1'700'000'000.0;

request_sample sample(std::string_view name, int64_t us, std::string_view error = {}) {
  request_sample s;
  s.method = "GET";
  s.name = name;
  s.latency_us = us;
  s.intended_latency_us = us;
  s.error = error;
  s.wall_s = t0 + 0.5;
  return s;
}

TEST(sparse, merge_adds_counts_exactly_in_index_order) {
  sparse_counts a{{1, 2}, {5, 1}, {9, 4}}, b{{0, 1}, {5, 3}, {12, 1}};
  merge_into(a, b);
  EXPECT_EQ(a, (sparse_counts{{0, 1}, {1, 2}, {5, 4}, {9, 4}, {12, 1}}));
  sparse_counts empty;
  merge_into(empty, b);
  EXPECT_EQ(empty, b);
  uint32_t log[] = {3, 3, 3, 7, 8, 8};
  sparse_counts c;
  counts_of_sorted(log, 6, c);
  EXPECT_EQ(c, (sparse_counts{{3, 3}, {7, 1}, {8, 2}}));
  EXPECT_EQ(total_count(c), 6u);
}

TEST(sparse, merge_in_place_equals_a_reference_merge) {
  std::mt19937_64 rng(99);
  SCOPED_TRACE("seed=99");
  for (int round = 0; round < 200; ++round) {
    std::map<uint32_t, uint64_t> ref;
    auto make = [&](size_t n) {
      std::map<uint32_t, uint64_t> m;
      for (size_t i = 0; i < n; ++i) m[static_cast<uint32_t>(rng() % 300)] += 1 + rng() % 5;
      sparse_counts c(m.begin(), m.end());
      for (auto& [k, v] : m) ref[k] += v;
      return c;
    };
    sparse_counts a = make(rng() % 40), b = make(rng() % 40);
    merge_into(a, b);
    EXPECT_EQ(a, sparse_counts(ref.begin(), ref.end())) << "round " << round;
  }
}

TEST(sparse, pack_round_trips_and_refuses_garbage) {
  std::mt19937_64 rng(7);
  SCOPED_TRACE("seed=7");
  histogram h;
  for (int i = 0; i < 5000; ++i) h.record(1 + rng() % 5'000'000);
  const sparse_counts c = h.to_sparse();
  const std::string p = pack(c);
  EXPECT_LT(p.size(), c.size() * 4);  // a few bytes a bucket
  sparse_counts back;
  ASSERT_TRUE(unpack(p, back));
  EXPECT_EQ(back, c);
  sparse_counts out{{1, 1}};
  EXPECT_FALSE(unpack(std::string("\x05", 1), out));          // truncated pair
  EXPECT_FALSE(unpack(std::string("\x05\x00", 2), out));      // zero count
  EXPECT_FALSE(unpack(std::string("\x01\x01\x00\x01", 4), out));  // index repeats
  EXPECT_FALSE(unpack(std::string("\xff\xff\xff\xff\x0f\x01", 6), out));  // beyond the buckets
  EXPECT_EQ(out, (sparse_counts{{1, 1}})) << "a refused input leaves out unchanged";
}

TEST(sparse, quantiles_equal_the_dense_histograms) {
  std::mt19937_64 rng(11);
  SCOPED_TRACE("seed=11");
  std::lognormal_distribution<double> lat(std::log(20'000.0), 0.8);
  histogram h;
  for (int i = 0; i < 20000; ++i) h.record(static_cast<uint64_t>(lat(rng)));
  const auto c = h.to_sparse();
  std::array<uint64_t, report_percentiles.size()> dense{}, sparse{};
  h.values_at_quantiles(report_percentiles.data(), dense.size(), dense.data());
  sparse_quantiles(c, h.min(), h.max(), report_percentiles.data(), sparse.size(), sparse.data());
  EXPECT_EQ(dense, sparse);
}

TEST(shard_recorder, light_and_dense_modes_give_the_same_delta) {
  std::mt19937_64 rng(3);
  SCOPED_TRACE("seed=3");
  std::vector<int64_t> values;
  for (int i = 0; i < 10000; ++i) values.push_back(static_cast<int64_t>(100 + rng() % 900'000));
  // One recorder sees them in one interval (dense past 4096 samples), the other in small
  // intervals (light logs); merged, their histograms are the same.
  shard_recorder dense, light;
  shard_delta merged;
  for (size_t i = 0; i < values.size(); ++i) {
    dense.record(sample("/x", values[i]));
    light.record(sample("/x", values[i]));
    if (i % 1000 == 999) merge(merged, light.take_delta());
  }
  auto d = dense.take_delta();
  ASSERT_EQ(d.entries.size(), 1u);
  ASSERT_EQ(merged.entries.size(), 1u);
  EXPECT_EQ(d.entries[0].latency, merged.entries[0].latency);
  EXPECT_EQ(d.entries[0].requests, 10000u);
  EXPECT_EQ(merged.entries[0].requests, 10000u);
  EXPECT_EQ(d.entries[0].sum_us, merged.entries[0].sum_us);
  EXPECT_TRUE(d.entries[0].intended.empty()) << "no pacing: the intended histogram is the same";
  // After a hot interval the entry keeps working in the next one.
  dense.record(sample("/x", 5));
  auto d2 = dense.take_delta();
  ASSERT_EQ(d2.entries.size(), 1u);
  EXPECT_EQ(d2.entries[0].latency, (sparse_counts{{5, 1}}));
}

TEST(shard_recorder, a_narrow_band_of_latencies_counts_as_a_dense_histogram_does) {
  // Light entries count their log over the band of buckets it spans when that band is narrow
  // (here 250-700 us: exact buckets) and sort it when it is wide (a few 30 s outliers): both
  // give what a dense histogram gives, for the latency and the intended latency.
  for (const bool outliers : {false, true}) {
    SCOPED_TRACE(outliers ? "wide" : "narrow");
    std::mt19937_64 rng(5);
    shard_recorder dense, light;
    shard_delta merged;
    for (int i = 0; i < 6000; ++i) {
      auto s = sample("/band", static_cast<int64_t>(250 + rng() % 450));
      if (outliers && i % 997 == 0) s.latency_us = 30'000'000;
      s.intended_latency_us = s.latency_us + (i % 3 == 0 ? static_cast<int64_t>(rng() % 200) : 0);
      dense.record(s);
      light.record(s);
      if (i % 500 == 499) merge(merged, light.take_delta());
    }
    auto d = dense.take_delta();
    ASSERT_EQ(d.entries.size(), 1u);
    ASSERT_EQ(merged.entries.size(), 1u);
    EXPECT_EQ(merged.entries[0].requests, 6000u);
    EXPECT_EQ(d.entries[0].latency, merged.entries[0].latency);
    EXPECT_EQ(d.entries[0].intended, merged.entries[0].intended);
    EXPECT_FALSE(merged.entries[0].intended.empty());
    EXPECT_EQ(total_count(merged.entries[0].latency), 6000u);
  }
}

TEST(shard_recorder, intended_latency_is_kept_only_when_it_differs) {
  shard_recorder r;
  r.record(sample("/p", 1000));
  auto paced = sample("/p", 1000);
  paced.intended_latency_us = 5000;
  r.record(paced);
  auto d = r.take_delta();
  ASSERT_EQ(d.entries.size(), 1u);
  const auto& e = d.entries[0];
  EXPECT_EQ(e.latency, (sparse_counts{{histogram::bucket_index(1000), 2}}));
  EXPECT_EQ(e.intended, (sparse_counts{{histogram::bucket_index(1000), 1},
                                       {histogram::bucket_index(5000), 1}}));
  EXPECT_EQ(e.intended_min_us, 1000u);
  EXPECT_EQ(e.intended_max_us, 5000u);
}

TEST(shard_recorder, a_flood_of_distinct_errors_and_exceptions_stays_bounded) {
  shard_recorder r;
  for (int i = 0; i < 20000; ++i) {
    r.record(sample("/f", 100, "KeyError: 'k" + std::to_string(i) + "'"));
    r.record_exception("KeyError: 'k" + std::to_string(i) + "'", "tb");
  }
  auto d = r.take_delta();
  EXPECT_LE(d.failures.size(), max_failure_kinds + 1);
  EXPECT_LE(d.exceptions.size(), max_exception_kinds + 1);
  uint64_t failures = 0, exceptions = 0, other = 0;
  for (const auto& f : d.failures) {
    failures += f.count;
    if (f.error == other_errors) other = f.count;
  }
  for (const auto& x : d.exceptions) exceptions += x.count;
  EXPECT_EQ(failures, 20000u) << "folded, not lost";
  EXPECT_EQ(exceptions, 20000u);
  EXPECT_EQ(other, 20000u - max_failure_kinds);
  // The totals keep the same bound over many intervals.
  run_totals totals(t0);
  for (int k = 0; k < 5; ++k) {
    for (int i = 0; i < 2000; ++i)
      r.record_exception("E" + std::to_string(k) + "-" + std::to_string(i), "tb");
    interval_record rec;
    rec.id = 1000 + static_cast<uint64_t>(k);
    rec.start_wall_s = t0 + k;
    rec.end_wall_s = t0 + k + 1;
    rec.data = r.take_delta();
    totals.add(rec);
  }
  auto snap = totals.view();
  EXPECT_LE(snap->exceptions.size(), max_exception_kinds + 1);
  uint64_t n = 0;
  for (const auto& x : snap->exceptions) n += x.count;
  EXPECT_EQ(n, 10000u);
}

// Interval n as node A and node B saw it, and as one node seeing every sample: merged, the two
// nodes' records give the one node's totals and percentiles exactly.
TEST(interval_record, merging_two_nodes_equals_one_node) {
  std::mt19937_64 rng(2024);
  SCOPED_TRACE("seed=2024");
  std::lognormal_distribution<double> lat(std::log(15'000.0), 1.0);
  shard_recorder a, b, one;
  const char* names[] = {"/a", "/b", "/c"};
  for (int i = 0; i < 30000; ++i) {
    auto s = sample(names[rng() % 3], static_cast<int64_t>(lat(rng)), rng() % 50 == 0 ? "500" : "");
    s.intended_latency_us = s.latency_us + static_cast<int64_t>(rng() % 3 == 0 ? rng() % 100000 : 0);
    (rng() % 2 ? a : b).record(s);
    one.record(s);
  }
  auto make = [](std::string node, shard_delta d) {
    interval_record r;
    r.id = 42;
    r.node = std::move(node);
    r.start_wall_s = t0;
    r.end_wall_s = t0 + 1;
    r.user_count = 10;
    r.users_by_class = {{"U", 10}};
    r.data = std::move(d);
    return r;
  };
  interval_record ra = make("A", a.take_delta()), rb = make("B", b.take_delta());
  interval_record single = make("one", one.take_delta());
  merge(ra, std::move(rb));
  EXPECT_EQ(ra.user_count, 20u);
  EXPECT_EQ(ra.users_by_class, (std::vector<std::pair<std::string, uint64_t>>{{"U", 20}}));
  ASSERT_EQ(ra.data.entries.size(), single.data.entries.size());
  for (size_t i = 0; i < ra.data.entries.size(); ++i) {
    const auto& x = ra.data.entries[i];
    const auto& y = single.data.entries[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.requests, y.requests);
    EXPECT_EQ(x.failures, y.failures);
    EXPECT_EQ(x.sum_us, y.sum_us);
    EXPECT_EQ(x.min_us, y.min_us);
    EXPECT_EQ(x.max_us, y.max_us);
    EXPECT_EQ(x.latency, y.latency);
    EXPECT_EQ(x.intended, y.intended);
  }
  run_totals merged_totals(t0), single_totals(t0);
  merged_totals.add(ra);
  single_totals.add(single);
  auto m = merged_totals.view(), s = single_totals.view();
  ASSERT_EQ(m->rows.size(), s->rows.size());
  for (size_t i = 0; i < m->rows.size(); ++i) {
    EXPECT_EQ(m->rows[i].percentiles_ms, s->rows[i].percentiles_ms) << m->rows[i].name;
    EXPECT_EQ(m->rows[i].intended_percentiles_ms, s->rows[i].intended_percentiles_ms);
    EXPECT_EQ(m->rows[i].current_percentiles_ms, s->rows[i].current_percentiles_ms);
  }
  EXPECT_EQ(m->aggregated.percentiles_ms, s->aggregated.percentiles_ms);
  EXPECT_EQ(m->aggregated.num_failures, s->aggregated.num_failures);
  ASSERT_EQ(m->failures.size(), s->failures.size());
}

TEST(run_totals, the_window_rate_after_a_reset_uses_the_time_since_the_reset) {
  run_totals totals(t0);
  auto rec = [](uint64_t id, double start, double end, uint64_t n) {
    interval_record r;
    r.id = id;
    r.start_wall_s = start;
    r.end_wall_s = end;
    shard_recorder rr;
    for (uint64_t i = 0; i < n; ++i) rr.record(sample("/r", 1000));
    r.data = rr.take_delta();
    return r;
  };
  for (uint64_t k = 0; k < 12; ++k) totals.add(rec(100 + k, t0 + k, t0 + k + 1, 2000));
  EXPECT_NEAR(totals.view()->aggregated.current_rps, 2000, 1e-6);
  // A reset 0.3 s into an interval: the next record covers 0.7 s with 1400 requests.
  totals.reset(t0 + 12.3);
  totals.add(rec(112, t0 + 12.3, t0 + 13, 1400));
  auto v = totals.view();
  EXPECT_NEAR(v->aggregated.current_rps, 2000, 1e-3) << "not 1400 / 10 s";
  totals.add(rec(113, t0 + 13, t0 + 14, 2000));
  EXPECT_NEAR(totals.view()->aggregated.current_rps, 2000, 1e-3);
}

TEST(run_totals, the_peak_user_count_and_the_test_start_survive_a_reset_of_the_statistics) {
  run_totals totals;
  auto rec = [](uint64_t id, uint64_t users, uint64_t peak) {
    interval_record r;
    r.id = id;
    r.start_wall_s = t0 + static_cast<double>(id);
    r.end_wall_s = r.start_wall_s + 1;
    r.user_count = users;
    r.peak_user_count = peak;
    shard_recorder rr;
    rr.record(sample("/r", 1000));
    r.data = rr.take_delta();
    return r;
  };
  totals.begin_test(t0);
  totals.add(rec(1, 10, 10));
  totals.add(rec(2, 20, 80));  // a spike to 80 inside the interval
  totals.add(rec(3, 20, 20));
  EXPECT_EQ(totals.view()->peak_user_count, 80u);
  totals.reset(t0 + 3.5);
  totals.add(rec(4, 5, 20));
  auto v = totals.view();
  EXPECT_EQ(v->peak_user_count, 80u) << "a reset of the statistics keeps the test's peak";
  EXPECT_EQ(v->user_count, 5u);
  EXPECT_DOUBLE_EQ(v->test_start_wall_s, t0);
  EXPECT_DOUBLE_EQ(v->start_wall_s, t0 + 3.5);
  totals.begin_test(t0 + 10);
  totals.add(rec(11, 3, 0));  // a record without a peak counts its user count
  EXPECT_EQ(totals.view()->peak_user_count, 3u);
  EXPECT_DOUBLE_EQ(totals.view()->test_start_wall_s, t0 + 10);
  // Two nodes' peaks in the same interval add; consecutive intervals keep the higher.
  interval_record a = rec(20, 4, 9), b = rec(20, 6, 7), c = rec(21, 1, 2);
  merge(a, std::move(b));
  EXPECT_EQ(a.peak_user_count, 16u);
  merge(a, std::move(c));
  EXPECT_EQ(a.peak_user_count, 16u);
  EXPECT_EQ(a.user_count, 1u);
}

}  // namespace
}  // namespace endure::stats
