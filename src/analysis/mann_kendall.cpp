#include "analysis/mann_kendall.hpp"

#include <algorithm>
#include <cmath>

#include "analysis/basic_stats.hpp"

namespace endure::analysis {

namespace {

std::vector<double> pairwise_slopes(const std::vector<double>& t, const std::vector<double>& x) {
  const size_t n = std::min(t.size(), x.size());
  std::vector<double> slopes;
  slopes.reserve(n * (n - 1) / 2);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j)
      if (t[j] > t[i]) slopes.push_back((x[j] - x[i]) / (t[j] - t[i]));
  return slopes;
}

double intercept_for(const std::vector<double>& t, const std::vector<double>& x, double slope) {
  std::vector<double> r(x.size());
  for (size_t i = 0; i < x.size(); ++i) r[i] = x[i] - slope * t[i];
  return median(std::move(r));
}

// The slope at a 1-based, possibly fractional rank of the sorted slopes (interpolated).
double at_rank(const std::vector<double>& sorted, double rank) {
  const double last = static_cast<double>(sorted.size());
  rank = std::clamp(rank, 1.0, last);
  const auto lo = static_cast<size_t>(std::floor(rank));
  const double f = rank - static_cast<double>(lo);
  if (lo >= sorted.size()) return sorted.back();
  return sorted[lo - 1] + f * (sorted[lo] - sorted[lo - 1]);
}

}  // namespace

sen_slope theil_sen(const std::vector<double>& t, const std::vector<double>& x) {
  sen_slope s;
  auto slopes = pairwise_slopes(t, x);
  if (slopes.empty()) {
    s.intercept = median(x);
    return s;
  }
  s.slope = median(std::move(slopes));
  s.intercept = intercept_for(t, x, s.slope);
  s.lower = s.upper = s.lower_narrow = s.upper_narrow = s.slope;
  return s;
}

mann_kendall mann_kendall_test(const std::vector<double>& t, const std::vector<double>& x,
                               double alpha) {
  mann_kendall r;
  const size_t n = std::min(t.size(), x.size());
  r.n = n;
  if (n < 3) {
    r.sen = theil_sen(t, x);
    return r;
  }
  double s = 0;
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j) s += (x[j] > x[i]) - (x[j] < x[i]);
  r.s = s;

  // Var(S) under independence, less the tie groups' share (Kendall 1975).
  std::vector<double> sorted(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(n));
  std::sort(sorted.begin(), sorted.end());
  double ties = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i + 1;
    while (j < n && sorted[j] == sorted[i]) ++j;
    const auto g = static_cast<double>(j - i);
    ties += g * (g - 1) * (2 * g + 5);
    i = j;
  }
  const auto nd = static_cast<double>(n);
  r.variance = (nd * (nd - 1) * (2 * nd + 5) - ties) / 18.0;

  // Sen's slope first: Hamed and Rao take the autocorrelation of the detrended series' ranks.
  auto slopes = pairwise_slopes(t, x);
  std::sort(slopes.begin(), slopes.end());
  r.sen.slope = median(slopes);
  r.sen.intercept = intercept_for(t, x, r.sen.slope);

  std::vector<double> detrended(n);
  for (size_t i = 0; i < n; ++i) detrended[i] = x[i] - r.sen.slope * t[i];
  const auto rho = autocorrelation(ranks(detrended), n - 1);
  // Hamed and Rao sum only the lags whose autocorrelation is significant at 5%. With strong
  // autocorrelation that under-corrects badly (the sample autocorrelations are biased low and
  // the long tail of small lags is dropped): in our simulations of AR(1) noise with phi 0.6 to
  // 0.9 it rejected 15-30% of trendless series at alpha 5%. So the same sum is also taken over
  // the AR(1) model of the bias-corrected lag-1 autocorrelation (rho_k = rho_1^k), which held
  // 5-10% there, and the larger of the two corrections is used.
  const double bound = normal_quantile(0.975) / std::sqrt(nd);
  double significant = 0, modelled = 0;
  // Marriott-Pope bias correction; a constant detrended series has no autocorrelation at all.
  const bool constant =
      std::all_of(detrended.begin(), detrended.end(), [&](double v) { return v == detrended[0]; });
  const double r1 = constant ? 0.0 : std::clamp(rho[0] + (1 + 4 * rho[0]) / nd, -0.9, 0.99);
  double power = 1;
  for (size_t k = 1; k < n; ++k) {
    const auto m = static_cast<double>(n - k);
    const double weight = m * (m - 1) * (m - 2);
    power *= r1;
    modelled += weight * power;
    if (std::fabs(rho[k - 1]) > bound) significant += weight * rho[k - 1];
  }
  const double scale = 2.0 / (nd * (nd - 1) * (nd - 2));
  // Negative autocorrelation would shrink the variance; never below independence, so that a
  // quirk of the estimate cannot make a trend look more significant than plain Mann-Kendall.
  r.correction_significant_lags = 1.0 + scale * significant;
  r.correction_ar1 = 1.0 + scale * modelled;
  r.correction = std::max({1.0, r.correction_significant_lags, r.correction_ar1});
  const double var = r.variance * r.correction;
  if (var > 0) {
    const double cc = s > 0 ? s - 1 : s < 0 ? s + 1 : 0;  // continuity correction
    r.z = cc / std::sqrt(var);
    r.p = normal_two_sided_p(r.z);
  }

  // Sen's confidence interval (Gilbert 1987): the ranks (N -+ z sqrt(Var S)) / 2 of the N sorted
  // pairwise slopes, with the corrected variance so that autocorrelation widens it.
  if (!slopes.empty()) {
    const auto count = static_cast<double>(slopes.size());
    auto interval = [&](double a, double& lo, double& hi) {
      const double c = normal_quantile(1 - a / 2) * std::sqrt(std::max(var, 0.0));
      lo = at_rank(slopes, (count - c) / 2);
      hi = at_rank(slopes, (count + c) / 2 + 1);
    };
    interval(alpha, r.sen.lower, r.sen.upper);
    interval(std::min(2 * alpha, 0.5), r.sen.lower_narrow, r.sen.upper_narrow);
  }
  return r;
}

}  // namespace endure::analysis
