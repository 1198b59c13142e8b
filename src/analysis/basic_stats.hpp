// analysis basic statistics: the small numerical pieces the trend methods share (normal
// distribution, Kolmogorov tail, ranks, medians, autocorrelation, long-run variance). Pure
// functions on vectors: no clocks, no I/O, no state.
#pragma once
#include <cstddef>
#include <vector>

namespace endure::analysis {

// Standard normal distribution function and its inverse (p in (0, 1)).
double normal_cdf(double z);
double normal_quantile(double p);
// Two-sided p-value of a standard normal statistic.
double normal_two_sided_p(double z);

// P(sup |B(t)| > x) for a Brownian bridge B: the asymptotic null distribution of a CUSUM
// statistic scaled by its (long-run) standard deviation.
double kolmogorov_tail(double x);

double mean(const std::vector<double>& x);
// Median of x (copied); NaN for an empty vector.
double median(std::vector<double> x);
// Ranks 1..n, ties get the average of their ranks.
std::vector<double> ranks(const std::vector<double>& x);
// Sample autocorrelation at lags 1..max_lag (index 0 holds lag 1). A constant series has none:
// every value is 0.
std::vector<double> autocorrelation(const std::vector<double>& x, size_t max_lag);
// Long-run variance of x around its mean: the larger of the Bartlett (Newey-West) kernel with
// Andrews' AR(1) plug-in bandwidth and the AR(1) model of the bias-corrected lag-1
// autocorrelation. The variance of the mean of n autocorrelated values is about this over n.
double long_run_variance(const std::vector<double>& x);

// Ordinary least-squares line through (t, x): x ~ a + b t. Residual sum of squares in sse.
struct line_fit {
  double intercept = 0, slope = 0, sse = 0;
};
line_fit least_squares(const std::vector<double>& t, const std::vector<double>& x);

}  // namespace endure::analysis
