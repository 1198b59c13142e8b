#include "analysis/change_point.hpp"

#include <algorithm>
#include <cmath>

#include "analysis/basic_stats.hpp"

namespace endure::analysis {

change_point most_likely_shift(const std::vector<double>& x, size_t min_segment) {
  change_point best;
  const size_t n = x.size();
  min_segment = std::max<size_t>(min_segment, 2);
  if (n < 2 * min_segment) return best;
  const auto r = ranks(x);
  const double centre = (static_cast<double>(n) + 1) / 2;
  double cusum = 0, peak = -1;
  size_t at = 0;
  for (size_t k = 0; k + 1 < n; ++k) {
    cusum += r[k] - centre;
    const size_t left = k + 1;
    if (left < min_segment || n - left < min_segment) continue;
    if (std::fabs(cusum) > peak) {
      peak = std::fabs(cusum);
      at = left;
    }
  }
  if (peak < 0) return best;
  // The long-run variance of the ranks around their two segment means: a real shift must not
  // inflate it (the test would lose its power), and autocorrelation must (or noise that wanders
  // would look like a shift).
  std::vector<double> resid(r);
  double m1 = 0, m2 = 0;
  for (size_t i = 0; i < at; ++i) m1 += r[i];
  for (size_t i = at; i < n; ++i) m2 += r[i];
  m1 /= static_cast<double>(at);
  m2 /= static_cast<double>(n - at);
  for (size_t i = 0; i < n; ++i) resid[i] -= i < at ? m1 : m2;
  const double lrv = long_run_variance(resid);
  best.index = at;
  if (lrv > 0) {
    best.statistic = peak / std::sqrt(static_cast<double>(n) * lrv);
    best.p = kolmogorov_tail(best.statistic);
  }
  best.before = median(std::vector<double>(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(at)));
  best.after = median(std::vector<double>(x.begin() + static_cast<std::ptrdiff_t>(at), x.end()));
  return best;
}

namespace {

void segment(const std::vector<double>& x, size_t from, size_t to, double alpha, size_t min_segment,
             size_t max_points, std::vector<change_point>& out) {
  if (out.size() >= max_points || to - from < 2 * min_segment) return;
  std::vector<double> part(x.begin() + static_cast<std::ptrdiff_t>(from),
                           x.begin() + static_cast<std::ptrdiff_t>(to));
  auto c = most_likely_shift(part, min_segment);
  if (c.p >= alpha) return;
  c.index += from;
  out.push_back(c);
  segment(x, from, c.index, alpha, min_segment, max_points, out);
  segment(x, c.index, to, alpha, min_segment, max_points, out);
}

}  // namespace

std::vector<change_point> binary_segmentation(const std::vector<double>& x, double alpha,
                                              size_t min_segment, size_t max_points) {
  std::vector<change_point> out;
  segment(x, 0, x.size(), alpha, min_segment, max_points, out);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.index < b.index; });
  return out;
}

}  // namespace endure::analysis
