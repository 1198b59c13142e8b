#include "analysis/basic_stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace endure::analysis {

double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

double normal_two_sided_p(double z) { return std::erfc(std::fabs(z) / std::sqrt(2.0)); }

double normal_quantile(double p) {
  if (!(p > 0)) return -std::numeric_limits<double>::infinity();
  if (!(p < 1)) return std::numeric_limits<double>::infinity();
  // A logistic first guess, then Newton steps on the exact cdf: erfc is accurate in both
  // tails, so a few steps reach full double precision without tables of coefficients.
  double x = std::log(p / (1 - p)) / 1.702;
  for (int i = 0; i < 60; ++i) {
    const double density = std::exp(-0.5 * x * x) / std::sqrt(2 * M_PI);
    if (density < 1e-300) break;
    const double step = (normal_cdf(x) - p) / density;
    x -= std::clamp(step, -1.0, 1.0);
    if (std::fabs(step) < 1e-13 * std::max(1.0, std::fabs(x))) break;
  }
  return x;
}

double kolmogorov_tail(double x) {
  if (x <= 0.2) return 1.0;
  // The alternating series converges fast for x above ~0.2 (terms fall like exp(-2 k^2 x^2)).
  double sum = 0;
  for (int k = 1; k <= 100; ++k) {
    const double term = std::exp(-2.0 * k * k * x * x);
    sum += (k % 2 == 1 ? 2.0 : -2.0) * term;
    if (term < 1e-16) break;
  }
  return std::clamp(sum, 0.0, 1.0);
}

double mean(const std::vector<double>& x) {
  if (x.empty()) return std::numeric_limits<double>::quiet_NaN();
  return std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(x.size());
}

double median(std::vector<double> x) {
  if (x.empty()) return std::numeric_limits<double>::quiet_NaN();
  const size_t mid = x.size() / 2;
  std::nth_element(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(mid), x.end());
  const double upper = x[mid];
  if (x.size() % 2 == 1) return upper;
  const double lower = *std::max_element(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(mid));
  return 0.5 * (lower + upper);
}

std::vector<double> ranks(const std::vector<double>& x) {
  const size_t n = x.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return x[a] < x[b]; });
  std::vector<double> r(n);
  for (size_t i = 0; i < n;) {
    size_t j = i + 1;
    while (j < n && x[order[j]] == x[order[i]]) ++j;
    const double average = 0.5 * static_cast<double>(i + 1 + j);  // ranks i+1 .. j
    for (size_t k = i; k < j; ++k) r[order[k]] = average;
    i = j;
  }
  return r;
}

std::vector<double> autocorrelation(const std::vector<double>& x, size_t max_lag) {
  const size_t n = x.size();
  std::vector<double> out(max_lag, 0.0);
  if (n < 2) return out;
  const double m = mean(x);
  double denominator = 0;
  for (double v : x) denominator += (v - m) * (v - m);
  if (denominator <= 0) return out;
  for (size_t k = 1; k <= max_lag && k < n; ++k) {
    double s = 0;
    for (size_t i = 0; i + k < n; ++i) s += (x[i] - m) * (x[i + k] - m);
    out[k - 1] = s / denominator;
  }
  return out;
}

double long_run_variance(const std::vector<double>& x) {
  const size_t n = x.size();
  if (n < 2) return 0;
  const double m = mean(x);
  std::vector<double> e(n);
  for (size_t i = 0; i < n; ++i) e[i] = x[i] - m;
  auto gamma = [&](size_t k) {
    double s = 0;
    for (size_t i = 0; i + k < n; ++i) s += e[i] * e[i + k];
    return s / static_cast<double>(n);
  };
  const double g0 = gamma(0);
  if (g0 <= 0) return 0;
  // Andrews (1991): the Bartlett bandwidth that minimises the MSE if the series were AR(1).
  const double phi = std::clamp(gamma(1) / g0, -0.97, 0.97);
  const double a = 4 * phi * phi / ((1 - phi) * (1 - phi) * (1 + phi) * (1 + phi));
  const double bandwidth = 1.1447 * std::cbrt(a * static_cast<double>(n));
  const size_t lags = std::min(n - 1, static_cast<size_t>(std::ceil(bandwidth)));
  double v = g0;
  for (size_t k = 1; k <= lags; ++k) {
    const double w = 1.0 - static_cast<double>(k) / (bandwidth + 1.0);
    if (w <= 0) break;
    v += 2 * w * gamma(k);
  }
  // Kernel estimates run low under strong autocorrelation in short series; the AR(1) model of the
  // bias-corrected lag-1 autocorrelation (Marriott-Pope) does better there: take the larger.
  const double r1 = std::clamp(phi + (1 + 4 * phi) / static_cast<double>(n), -0.9, 0.98);
  const double ar1 = g0 * (1 + r1) / (1 - r1);
  // The Bartlett kernel keeps v >= 0 in theory; rounding may not.
  return std::max({v, ar1, g0 * 1e-6});
}

line_fit least_squares(const std::vector<double>& t, const std::vector<double>& x) {
  line_fit f;
  const size_t n = std::min(t.size(), x.size());
  if (n == 0) return f;
  double mt = 0, mx = 0;
  for (size_t i = 0; i < n; ++i) {
    mt += t[i];
    mx += x[i];
  }
  mt /= static_cast<double>(n);
  mx /= static_cast<double>(n);
  double stt = 0, stx = 0;
  for (size_t i = 0; i < n; ++i) {
    stt += (t[i] - mt) * (t[i] - mt);
    stx += (t[i] - mt) * (x[i] - mx);
  }
  f.slope = stt > 0 ? stx / stt : 0;
  f.intercept = mx - f.slope * mt;
  for (size_t i = 0; i < n; ++i) {
    const double r = x[i] - f.intercept - f.slope * t[i];
    f.sse += r * r;
  }
  return f;
}

}  // namespace endure::analysis
