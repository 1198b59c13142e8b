// analysis change points: level shifts located by a CUSUM of ranks (Pettitt's statistic), scaled
// by a long-run variance so that autocorrelated noise is not taken for a shift, and tested
// against the Kolmogorov distribution; binary segmentation finds several. Pure.
#pragma once
#include <cstddef>
#include <vector>

namespace endure::analysis {

struct change_point {
  size_t index = 0;      // first point of the new level
  double statistic = 0;  // max |rank CUSUM| / (sqrt(n) long-run sd)
  double p = 1;
  double before = 0, after = 0;  // medians of the two segments (within its parent segment)
};

// The single most likely level shift in x, or p = 1 when x is too short. min_segment: points
// each side must have.
change_point most_likely_shift(const std::vector<double>& x, size_t min_segment);

// Shifts significant at alpha, by binary segmentation (at most max_points), in index order.
std::vector<change_point> binary_segmentation(const std::vector<double>& x, double alpha,
                                              size_t min_segment, size_t max_points = 5);

}  // namespace endure::analysis
