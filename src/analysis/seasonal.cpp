#include "analysis/seasonal.hpp"

#include <algorithm>
#include <cmath>

#include "analysis/basic_stats.hpp"
#include "analysis/mann_kendall.hpp"

namespace endure::analysis {

namespace {

size_t bin_of(double t, double period, size_t bins) {
  double phase = std::fmod(t, period);
  if (phase < 0) phase += period;
  return std::min(bins - 1, static_cast<size_t>(phase / period * static_cast<double>(bins)));
}

}  // namespace

seasonal_fit fit_seasonal(const std::vector<double>& t, const std::vector<double>& x,
                          const std::vector<double>& periods_s, double wall_offset_s,
                          double min_strength) {
  seasonal_fit best;
  const size_t n = std::min(t.size(), x.size());
  if (n < 8) return best;
  const double span = t[n - 1] - t[0];
  const double spacing = span / static_cast<double>(n - 1);
  // Detrend first (Theil-Sen, robust to the shape itself): the profile must not absorb a trend.
  const auto line = theil_sen(t, x);
  std::vector<double> r(n);
  for (size_t i = 0; i < n; ++i) r[i] = x[i] - line.intercept - line.slope * t[i];
  const double m = mean(r);
  double total = 0;
  for (double v : r) total += (v - m) * (v - m);
  if (total <= 0) return best;

  for (double period : periods_s) {
    if (period <= 0 || span < 2 * period) continue;
    // Bins of at least two points each per period, at most 24 (hourly for a day).
    const auto bins = std::min<size_t>(24, static_cast<size_t>(period / spacing / 2));
    if (bins < 4) continue;
    std::vector<std::vector<double>> members(bins);
    for (size_t i = 0; i < n; ++i)
      members[bin_of(t[i] + wall_offset_s, period, bins)].push_back(r[i]);
    std::vector<double> profile(bins, 0.0);
    for (size_t b = 0; b < bins; ++b)
      // Medians: one spike must not bend the profile of its hour.
      profile[b] = members[b].empty() ? 0.0 : median(members[b]);
    const double centre = mean(profile);
    for (double& p : profile) p -= centre;
    double left = 0;
    for (size_t i = 0; i < n; ++i) {
      const double e = r[i] - m - profile[bin_of(t[i] + wall_offset_s, period, bins)];
      left += e * e;
    }
    const double strength = 1.0 - left / total;
    if (strength >= min_strength && strength > best.strength) {
      best.applied = true;
      best.period_s = period;
      best.strength = strength;
      best.profile = std::move(profile);
    }
  }
  return best;
}

std::vector<double> remove_seasonal(const std::vector<double>& t, const std::vector<double>& x,
                                    const seasonal_fit& fit, double wall_offset_s) {
  if (!fit.applied || fit.profile.empty()) return x;
  std::vector<double> out(x);
  for (size_t i = 0; i < out.size() && i < t.size(); ++i)
    out[i] -= fit.profile[bin_of(t[i] + wall_offset_s, fit.period_s, fit.profile.size())];
  return out;
}

}  // namespace endure::analysis
