// The methods one by one on series whose answer is known: Mann-Kendall and Sen's slope, the
// Hamed-Rao correction, MSER-5, the daily shape and the rank-CUSUM change point.
#include <gtest/gtest.h>

#include <cmath>

#include "analysis/change_point.hpp"
#include "analysis/mann_kendall.hpp"
#include "analysis/seasonal.hpp"
#include "analysis/warmup.hpp"
#include "synthetic.hpp"

using namespace endure::analysis;

namespace {
std::vector<double> steps(size_t n, double dt = 1) {
  std::vector<double> t(n);
  for (size_t i = 0; i < n; ++i) t[i] = static_cast<double>(i) * dt;
  return t;
}
}  // namespace

TEST(mann_kendall, statistic_variance_and_p_by_hand) {
  auto mk = mann_kendall_test(steps(10), {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  EXPECT_EQ(mk.s, 45);
  EXPECT_DOUBLE_EQ(mk.variance, 125);  // 10 * 9 * 25 / 18
  EXPECT_EQ(mk.correction, 1);
  EXPECT_NEAR(mk.z, 44 / std::sqrt(125.0), 1e-12);
  EXPECT_NEAR(mk.p, 8.32e-5, 1e-6);
  EXPECT_NEAR(mk.sen.slope, 1, 1e-12);
  EXPECT_NEAR(mk.sen.intercept, 1, 1e-12);

  auto down = mann_kendall_test(steps(5), {5, 3, 4, 1, 2});
  EXPECT_EQ(down.s, -6);
  // Ties: the group {2, 2, 2} removes 3 * 2 * 11 = 66 from n(n-1)(2n+5) = 5 * 4 * 15 = 300.
  auto tied = mann_kendall_test(steps(5), {2, 2, 2, 1, 3});
  EXPECT_DOUBLE_EQ(tied.variance, (300.0 - 66.0) / 18.0);
}

TEST(mann_kendall, sen_interval_covers_the_planted_slope_under_autocorrelation) {
  // 40 seeds of a line plus AR(1) noise (phi 0.7): the 95% interval must cover the true slope in
  // most of them, and Hamed-Rao must widen it (correction > 1) for such noise.
  const double slope = 0.02;
  int covered = 0, corrected = 0;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    endure::base::rng rng(seed);
    auto noise = synthetic::ar1(rng, 200, 0.7, 1.0);
    auto t = steps(200);
    std::vector<double> x(200);
    for (size_t i = 0; i < 200; ++i) x[i] = 10 + slope * t[i] + noise[i];
    auto mk = mann_kendall_test(t, x);
    covered += mk.sen.lower <= slope && slope <= mk.sen.upper;
    corrected += mk.correction > 1.5;
    EXPECT_LE(mk.sen.lower, mk.sen.slope) << "seed " << seed;
    EXPECT_GE(mk.sen.upper, mk.sen.slope) << "seed " << seed;
  }
  EXPECT_GE(covered, 34) << "the 95% interval covered the planted slope in " << covered << "/40";
  EXPECT_GE(corrected, 30) << "autocorrelation detected in " << corrected << "/40";
}

TEST(mann_kendall, false_positive_rate_on_ar1_noise_is_near_alpha) {
  // Plain Mann-Kendall rejects far too often on autocorrelated noise; with the correction the
  // rate stays near the nominal 5% (Hamed-Rao is known to run a little above it).
  int rejected = 0;
  const int seeds = 200;
  for (uint64_t seed = 1; seed <= seeds; ++seed) {
    endure::base::rng rng(1000 + seed);
    auto x = synthetic::ar1(rng, 200, 0.6, 1.0, 4);
    rejected += mann_kendall_test(steps(200), x).p < 0.05;
  }
  EXPECT_LE(rejected, 0.12 * seeds)
      << rejected << " of " << seeds << " rejected (seeds 1001..1200)";
}

TEST(warmup, mser5_finds_the_end_of_a_start_up_transient) {
  // 600 points: a transient that decays over ~60 points, then noise around a level.
  SCOPED_TRACE("seed 7");
  endure::base::rng rng(7);
  auto t = steps(600);
  std::vector<double> x(600);
  for (size_t i = 0; i < 600; ++i)
    x[i] = 100 + 80 * std::exp(-static_cast<double>(i) / 15.0) + 2 * synthetic::normal(rng);
  auto cut = mser(t, x, 5);
  EXPECT_GE(cut.points, 40u);
  EXPECT_LE(cut.points, 120u);
  EXPECT_TRUE(cut.reliable);
  // The same transient on top of a steady creep: the creep must not be cut away as "warm-up".
  for (size_t i = 0; i < 600; ++i) x[i] += 0.5 * static_cast<double>(i);
  auto creeping = mser(t, x, 5);
  EXPECT_GE(creeping.points, 40u);
  EXPECT_LE(creeping.points, 120u);
}

TEST(seasonal, a_daily_shape_is_found_and_removed) {
  // 5.5 days at 10-minute points: traffic-like daily sine plus noise.
  const size_t n = 5 * 144 + 72;
  auto t = steps(n, 600);
  SCOPED_TRACE("seed 3");
  endure::base::rng rng(3);
  std::vector<double> x(n);
  for (size_t i = 0; i < n; ++i)
    x[i] = 50 + 20 * std::sin(2 * M_PI * t[i] / 86400) + synthetic::normal(rng);
  auto fit = fit_seasonal(t, x, {86400});
  ASSERT_TRUE(fit.applied);
  EXPECT_GT(fit.strength, 0.9);
  auto y = remove_seasonal(t, x, fit);
  double peak = 0;
  for (double v : y) peak = std::max(peak, std::fabs(v - 50));
  EXPECT_LT(peak, 10);
  // Less than two periods: no fit.
  std::vector<double> t1(t.begin(), t.begin() + 200), x1(x.begin(), x.begin() + 200);
  EXPECT_FALSE(fit_seasonal(t1, x1, {86400}).applied);
}

TEST(change_point, a_level_shift_is_located_and_noise_is_not_one) {
  SCOPED_TRACE("seed 11");
  endure::base::rng rng(11);
  auto noise = synthetic::ar1(rng, 300, 0.5, 1.0, 3);
  std::vector<double> x(noise);
  for (size_t i = 180; i < 300; ++i) x[i] += 3;
  auto c = most_likely_shift(x, 10);
  EXPECT_NEAR(static_cast<double>(c.index), 180, 5);
  EXPECT_LT(c.p, 1e-4);
  EXPECT_NEAR(c.after - c.before, 3, 0.8);
  EXPECT_GT(most_likely_shift(noise, 10).p, 0.05);

  // Two shifts by binary segmentation.
  for (size_t i = 60; i < 300; ++i) x[i] += 4;
  auto all = binary_segmentation(x, 0.01, 10);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_NEAR(static_cast<double>(all[0].index), 60, 5);
  EXPECT_NEAR(static_cast<double>(all[1].index), 180, 5);
}
