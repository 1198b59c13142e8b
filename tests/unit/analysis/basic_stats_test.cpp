// The numerical pieces: normal quantiles, the Kolmogorov tail, ranks with ties,
// autocorrelation and the long-run variance of AR(1) noise.
#include "analysis/basic_stats.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "synthetic.hpp"

using namespace endure::analysis;

TEST(basic_stats, normal_distribution_and_its_inverse) {
  EXPECT_NEAR(normal_cdf(0), 0.5, 1e-15);
  EXPECT_NEAR(normal_cdf(1.959963984540054), 0.975, 1e-12);
  EXPECT_NEAR(normal_quantile(0.975), 1.959963984540054, 1e-9);
  EXPECT_NEAR(normal_quantile(0.05), -1.6448536269514722, 1e-9);
  EXPECT_NEAR(normal_quantile(1e-10), -6.361340902404056, 1e-6);
  for (double p : {1e-8, 0.001, 0.2, 0.5, 0.7, 0.999, 1 - 1e-9})
    EXPECT_NEAR(normal_cdf(normal_quantile(p)), p, 1e-9 * std::max(1.0, p / (1 - p))) << p;
  EXPECT_NEAR(normal_two_sided_p(1.959963984540054), 0.05, 1e-12);
}

TEST(basic_stats, kolmogorov_tail_matches_known_critical_values) {
  EXPECT_NEAR(kolmogorov_tail(1.3581), 0.05, 5e-4);
  EXPECT_NEAR(kolmogorov_tail(1.6276), 0.01, 2e-4);
  EXPECT_NEAR(kolmogorov_tail(1.2238), 0.10, 5e-4);
  EXPECT_EQ(kolmogorov_tail(0.1), 1.0);
  EXPECT_LT(kolmogorov_tail(5), 1e-15);
}

TEST(basic_stats, ranks_average_ties_and_median) {
  auto r = ranks({10, 20, 10, 30, 20, 20});
  std::vector<double> expect = {1.5, 4, 1.5, 6, 4, 4};
  EXPECT_EQ(r, expect);
  EXPECT_EQ(median({3, 1, 2}), 2);
  EXPECT_EQ(median({4, 1, 3, 2}), 2.5);
  EXPECT_TRUE(std::isnan(median({})));
}

TEST(basic_stats, autocorrelation_and_long_run_variance_of_ar1) {
  const uint64_t seed = 42;
  endure::base::rng rng(seed);
  const double phi = 0.6;
  auto x = synthetic::ar1(rng, 20000, phi, 1.0);
  auto rho = autocorrelation(x, 3);
  EXPECT_NEAR(rho[0], phi, 0.03) << "seed " << seed;
  EXPECT_NEAR(rho[1], phi * phi, 0.04) << "seed " << seed;
  // For AR(1) with unit variance the long-run variance is (1 + phi) / (1 - phi) = 4.
  EXPECT_NEAR(long_run_variance(x), 4.0, 0.6) << "seed " << seed;
  std::vector<double> flat(50, 3.0);
  EXPECT_EQ(autocorrelation(flat, 2)[0], 0.0);
}

TEST(basic_stats, least_squares_line) {
  auto f = least_squares({0, 1, 2, 3}, {1, 3, 5, 7});
  EXPECT_NEAR(f.slope, 2, 1e-12);
  EXPECT_NEAR(f.intercept, 1, 1e-12);
  EXPECT_NEAR(f.sse, 0, 1e-12);
}
