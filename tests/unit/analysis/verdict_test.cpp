// The soak verdict on synthetic series with a known truth: linear creep, steps, AR(1) noise with
// heavy tails, daily shapes, limits; and the campaign of docs/verdict.md: false alarms on 20
// seeds of stable 7-day series per kind, detection of a planted trend with the slope's interval
// covering the planted rate. Every seed is printed on failure.
#include "analysis/verdict.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "synthetic.hpp"

using namespace endure::analysis;
namespace syn = endure::analysis::synthetic;

namespace {

series_verdict judge_one(const std::vector<double>& v, double step_s, series_kind k, unit u,
                         bad_direction bad = bad_direction::up, verdict_config cfg = {},
                         soak_verdict* whole = nullptr) {
  auto run = syn::one_series(v, step_s, k, u, bad);
  auto out = judge(run, cfg);
  if (whole) *whole = out;
  return out.rows.at(0);
}

std::string describe(const series_verdict& r) {
  char buf[400];
  std::snprintf(
      buf, sizeof buf,
      "%s (%s) slope %.4g/h [%.4g, %.4g] p=%.3g change %.4g (needs %.4g) step p=%.3g at %.0fs",
      to_string(r.verdict), r.reason.c_str(), r.slope * 3600, r.slope_lower * 3600,
      r.slope_upper * 3600, r.p, r.change, r.practical_change, r.step_p, r.step_t_s);
  return buf;
}

}  // namespace

TEST(verdict, linear_creep_is_degrading_with_the_planted_rate_in_its_interval) {
  // 2 days of a p95 at 80 ms creeping +0.5 ms/h, AR(1) noise with t(3) tails, one point a minute.
  const double per_hour = 0.5;
  for (uint64_t seed : {1, 2, 3}) {
    endure::base::rng rng(seed);
    auto noise = syn::ar1(rng, 2880, 0.9, 4.0, 3);
    std::vector<double> v(2880);
    for (size_t i = 0; i < v.size(); ++i)
      v[i] = 80 + per_hour * static_cast<double>(i) / 60 + noise[i];
    auto r = judge_one(v, 60, series_kind::latency, unit::ms);
    EXPECT_EQ(r.verdict, verdict_kind::degrading) << "seed " << seed << ": " << describe(r);
    EXPECT_LE(r.slope_lower * 3600, per_hour) << "seed " << seed << ": " << describe(r);
    EXPECT_GE(r.slope_upper * 3600, per_hour) << "seed " << seed << ": " << describe(r);
    EXPECT_NEAR(r.relative_change, 48 * per_hour / 80, 0.06) << "seed " << seed;
  }
}

TEST(verdict, falling_throughput_is_degrading_and_falling_latency_improving) {
  std::vector<double> rps(600), ms(600);
  SCOPED_TRACE("seed 5");
  endure::base::rng rng(5);
  for (size_t i = 0; i < 600; ++i) {
    rps[i] = 200 - 0.1 * static_cast<double>(i) + syn::normal(rng);
    ms[i] = 50 - 0.02 * static_cast<double>(i) + 0.5 * syn::normal(rng);
  }
  EXPECT_EQ(judge_one(rps, 1, series_kind::throughput, unit::per_s, bad_direction::down).verdict,
            verdict_kind::degrading);
  EXPECT_EQ(judge_one(ms, 1, series_kind::latency, unit::ms).verdict, verdict_kind::improving);
}

TEST(verdict, a_step_is_a_step_change_with_its_time) {
  // fds at 120 +- AR noise for 3 days, then +60 (connections never closed by a new code path).
  for (uint64_t seed : {1, 2, 3}) {
    auto g = syn::make(syn::kind::fds, seed, 0, 3 * 1440);
    for (size_t i = 1440 + 600; i < g.values.size(); ++i) g.values[i] += 60;
    auto r = judge_one(g.values, 60, series_kind::target, unit::count);
    EXPECT_EQ(r.verdict, verdict_kind::step_change) << "seed " << seed << ": " << describe(r);
    const double at = (1440 + 600) * 60.0;
    EXPECT_NEAR(r.step_t_s, at, 3 * 1020.0) << "seed " << seed << ": " << describe(r);  // 3 windows
    EXPECT_NEAR(r.step_after - r.step_before, 60, 15) << "seed " << seed;
  }
}

TEST(verdict, ar1_heavy_tailed_noise_without_trend_is_never_degrading) {
  int stable = 0;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    endure::base::rng rng(100 + seed);
    auto noise = syn::ar1(rng, 4000, 0.9, 5.0, 3);
    for (double& v : noise) v += 100;
    auto r = judge_one(noise, 10, series_kind::latency, unit::ms);
    EXPECT_NE(r.verdict, verdict_kind::degrading) << "seed " << 100 + seed << ": " << describe(r);
    EXPECT_NE(r.verdict, verdict_kind::step_change) << "seed " << 100 + seed << ": " << describe(r);
    stable += r.verdict == verdict_kind::stable;
  }
  // sd 5 on a level of 100, practical size 10: the interval is narrow enough to say STABLE.
  EXPECT_GE(stable, 18);
}

TEST(verdict, a_daily_shape_is_not_a_trend_and_a_trend_under_it_is_found) {
  // 7.4 days (the run ends mid-day: without the shape removed, the last partial day tilts the
  // line) of throughput following the time of day.
  const size_t n = static_cast<size_t>(7.4 * 1440);
  for (uint64_t seed : {1, 2, 3}) {
    auto flat = syn::make(syn::kind::throughput_daily, seed, 0, n);
    auto r = judge_one(flat.values, 60, series_kind::throughput, unit::per_s, bad_direction::down);
    EXPECT_EQ(r.verdict, verdict_kind::stable) << "seed " << seed << ": " << describe(r);
    EXPECT_EQ(r.seasonal_period_s, 86400) << "seed " << seed;
    auto sinking = syn::make(syn::kind::throughput_daily, seed, -0.05, n);
    auto d =
        judge_one(sinking.values, 60, series_kind::throughput, unit::per_s, bad_direction::down);
    EXPECT_EQ(d.verdict, verdict_kind::degrading) << "seed " << seed << ": " << describe(d);
    EXPECT_LE(d.slope_lower * 3600, -0.05) << "seed " << seed << ": " << describe(d);
    EXPECT_GE(d.slope_upper * 3600, -0.05) << "seed " << seed << ": " << describe(d);
  }
}

TEST(verdict, inconclusive_says_why) {
  std::vector<double> few = {1, 2, 3, 4, 5};
  auto r = judge_one(few, 60, series_kind::latency, unit::ms);
  EXPECT_EQ(r.verdict, verdict_kind::inconclusive);
  EXPECT_EQ(r.reason, "too short: 5 windows, 10 needed");

  // Very noisy: sd 50% of the level over 40 points.
  SCOPED_TRACE("seed 9");
  endure::base::rng rng(9);
  std::vector<double> noisy(40);
  for (double& v : noisy) v = 100 + 50 * syn::normal(rng);
  auto n = judge_one(noisy, 60, series_kind::latency, unit::ms);
  EXPECT_EQ(n.verdict, verdict_kind::inconclusive) << describe(n);
  EXPECT_EQ(n.reason, "too noisy to rule out a change of practical size");

  // A clear creep, but the generator was saturated 30% of the time: load series only.
  std::vector<double> creep(300);
  for (size_t i = 0; i < 300; ++i) creep[i] = 10 + 0.1 * static_cast<double>(i);
  auto run = syn::one_series(creep, 1, series_kind::latency, unit::ms);
  for (size_t i = 100; i < 190; ++i) run.saturated[i] = 1;
  auto target = run.all[0];
  target.kind = series_kind::target;
  target.key = "target";
  run.all.push_back(target);
  auto out = judge(run, {});
  EXPECT_EQ(out.rows[0].verdict, verdict_kind::inconclusive);
  EXPECT_EQ(out.rows[0].reason.rfind("generator saturated 30%", 0), 0u) << out.rows[0].reason;
  EXPECT_EQ(out.rows[1].verdict, verdict_kind::degrading);

  // The offered load changed after the warm-up: load series cannot be judged on it.
  auto varied = syn::one_series(creep, 1, series_kind::latency, unit::ms);
  for (size_t i = 150; i < 300; ++i)
    varied.users_mean[i] = varied.users_min[i] = varied.users_max[i] = 200;
  verdict_config no_warmup;
  no_warmup.warmup_s = 0;
  auto changed = judge(varied, no_warmup);
  EXPECT_EQ(changed.rows[0].reason, "the offered load changed (users 100 to 200)");
}

TEST(verdict, time_to_a_limit_and_the_implicit_floor_of_free_space) {
  // RSS from 1 GB growing 50 MB/h for 10 h, a limit of 8 GB: ~130 h left at the end.
  std::vector<double> rss(600);
  SCOPED_TRACE("seed 4");
  endure::base::rng rng(4);
  for (size_t i = 0; i < 600; ++i)
    rss[i] = 1e9 + 50e6 * static_cast<double>(i) / 60 + 2e6 * syn::normal(rng);
  auto run = syn::one_series(rss, 60, series_kind::target, unit::bytes);
  run.all[0].metric = "rss_bytes";
  verdict_config cfg;
  cfg.limits.push_back({"rss", 8e9, "rss=8GB"});
  auto r = judge(run, cfg).rows[0];
  EXPECT_EQ(r.verdict, verdict_kind::degrading);
  ASSERT_TRUE(r.exhaustion_s.has_value());
  const double expect_h = (8e9 - (1e9 + 50e6 * 599.5 / 60)) / 50e6;
  EXPECT_NEAR(*r.exhaustion_s / 3600, expect_h, 2.0);
  EXPECT_LE(r.exhaustion_lower_s, *r.exhaustion_s);
  EXPECT_GE(r.exhaustion_upper_s, *r.exhaustion_s);

  // Disk free falling 1 GB/h from 500 GB over 20 h: 4% (below the 10% practical size), but it
  // reaches 0 in 480 h; with 8 h of it, exhaustion is within one run length: DEGRADING.
  std::vector<double> disk(600);
  for (size_t i = 0; i < 600; ++i)
    disk[i] = 20e9 - 1e9 * static_cast<double>(i) * 2 / 60 + 1e7 * syn::normal(rng);
  auto d = syn::one_series(disk, 120, series_kind::target, unit::bytes, bad_direction::down);
  d.all[0].metric = "disk_free_bytes";
  auto dv = judge(d, {}).rows[0];
  EXPECT_TRUE(dv.limit_implicit);
  ASSERT_TRUE(dv.exhaustion_s.has_value());
  EXPECT_EQ(dv.verdict, verdict_kind::degrading) << describe(dv);
  EXPECT_TRUE(metric_matches("rss_bytes", "rss"));
  EXPECT_FALSE(metric_matches("rss_anon", "rss"));
}

TEST(verdict, mser_warmup_is_excluded_and_a_set_warmup_wins) {
  // A cold start: p95 starts at 400 ms and settles at 100 ms within ~20 minutes, then is flat.
  std::vector<double> v(720);
  SCOPED_TRACE("seed 21");
  endure::base::rng rng(21);
  for (size_t i = 0; i < 720; ++i)
    v[i] = 100 + 300 * std::exp(-static_cast<double>(i) / 5.0) + 3 * syn::normal(rng);
  soak_verdict whole;
  auto r = judge_one(v, 60, series_kind::latency, unit::ms, bad_direction::up, {}, &whole);
  EXPECT_EQ(r.verdict, verdict_kind::stable) << describe(r);
  EXPECT_TRUE(whole.warmup_auto);
  EXPECT_GE(whole.warmup_s, 10 * 60.0);
  EXPECT_LE(whole.warmup_s, 90 * 60.0);
  verdict_config cfg;
  cfg.warmup_s = 3600;
  judge_one(v, 60, series_kind::latency, unit::ms, bad_direction::up, cfg, &whole);
  EXPECT_FALSE(whole.warmup_auto);
  EXPECT_DOUBLE_EQ(whole.warmup_s, 3600);
}

// The figures of docs/verdict.md: 20 seeds per kind of stable 7-day series (one point a minute,
// 10,080 points), and the same series with a planted trend.
TEST(verdict_campaign, false_alarms_on_stable_7_day_series_at_most_one_per_kind) {
  std::printf("%-52s %7s %7s %7s %7s %7s\n", "stable 7-day series, 20 seeds", "STABLE", "INCONC",
              "DEGRAD", "IMPROV", "STEP");
  for (auto k : syn::all_kinds) {
    size_t counts[5] = {};
    std::string alarms;
    for (uint64_t seed = 1; seed <= 20; ++seed) {
      auto g = syn::make(k, seed);
      auto r = judge_one(g.values, 60, g.sk, g.u, g.bad);
      ++counts[static_cast<int>(r.verdict)];
      if (r.verdict == verdict_kind::degrading || r.verdict == verdict_kind::step_change)
        alarms += " seed " + std::to_string(seed) + ": " + describe(r) + ";";
    }
    std::printf("%-52s %7zu %7zu %7zu %7zu %7zu\n", syn::name_of(k), counts[0], counts[4],
                counts[1], counts[2], counts[3]);
    EXPECT_LE(counts[static_cast<int>(verdict_kind::degrading)] +
                  counts[static_cast<int>(verdict_kind::step_change)],
              1u)
        << syn::name_of(k) << ":" << alarms;
  }
}

TEST(verdict_campaign, planted_trends_are_found_with_the_rate_in_the_interval) {
  std::printf("%-52s %9s %9s %9s\n", "planted trend, 7 days, 20 seeds", "DEGRADING", "covered",
              "median");
  for (auto k : syn::all_kinds) {
    const double rate = syn::planted_per_hour(k);
    size_t found = 0, covered = 0;
    std::vector<double> estimates;
    std::string misses;
    for (uint64_t seed = 1; seed <= 20; ++seed) {
      auto g = syn::make(k, seed, rate);
      auto r = judge_one(g.values, 60, g.sk, g.u, g.bad);
      found += r.verdict == verdict_kind::degrading;
      const bool in = r.slope_lower * 3600 <= rate && rate <= r.slope_upper * 3600;
      covered += in;
      estimates.push_back(r.slope * 3600 / rate);
      if (r.verdict != verdict_kind::degrading || !in)
        misses += " seed " + std::to_string(seed) + ": " + describe(r) + ";";
    }
    std::sort(estimates.begin(), estimates.end());
    std::printf("%-52s %6zu/20 %6zu/20 %8.2fx\n", syn::name_of(k), found, covered, estimates[10]);
    EXPECT_GE(found, 19u) << syn::name_of(k) << " planted " << rate << "/h:" << misses;
    EXPECT_GE(covered, 17u) << syn::name_of(k) << " planted " << rate << "/h:" << misses;
  }
}
