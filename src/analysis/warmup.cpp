#include "analysis/warmup.hpp"

#include <algorithm>
#include <limits>

#include "analysis/mann_kendall.hpp"

namespace endure::analysis {

warmup_cut mser(const std::vector<double>& t, const std::vector<double>& x, size_t batch) {
  warmup_cut cut;
  const size_t n = std::min(t.size(), x.size());
  batch = std::max<size_t>(batch, 1);
  const size_t batches = n / batch;
  if (batches < 4) return cut;

  // Detrend with the line of the second half: it is past any warm-up, and MSER assumes a
  // steady state, which for a leaking system is a steady slope rather than a level.
  std::vector<double> t2(t.begin() + static_cast<std::ptrdiff_t>(n / 2),
                         t.begin() + static_cast<std::ptrdiff_t>(n));
  std::vector<double> x2(x.begin() + static_cast<std::ptrdiff_t>(n / 2),
                         x.begin() + static_cast<std::ptrdiff_t>(n));
  const double slope = theil_sen(t2, x2).slope;

  // Batch means of the detrended values; the last partial batch is left out, as in MSER-m.
  std::vector<double> z(batches, 0.0);
  for (size_t j = 0; j < batches; ++j) {
    for (size_t i = j * batch; i < (j + 1) * batch; ++i) z[j] += x[i] - slope * t[i];
    z[j] /= static_cast<double>(batch);
  }
  // MSER(d) = sum_{j >= d} (z_j - mean_d)^2 / (m - d)^2, from suffix sums in one pass.
  std::vector<double> sum(batches + 1, 0.0), sq(batches + 1, 0.0);
  for (size_t j = batches; j-- > 0;) {
    sum[j] = sum[j + 1] + z[j];
    sq[j] = sq[j + 1] + z[j] * z[j];
  }
  const size_t limit = batches / 2;
  double best = std::numeric_limits<double>::infinity();
  size_t best_d = 0;
  for (size_t d = 0; d <= limit; ++d) {
    const auto m = static_cast<double>(batches - d);
    const double ss = std::max(0.0, sq[d] - sum[d] * sum[d] / m);
    const double value = ss / (m * m);
    if (value < best) {
      best = value;
      best_d = d;
    }
  }
  cut.points = best_d * batch;
  cut.reliable = best_d < limit;
  return cut;
}

}  // namespace endure::analysis
