// analysis warm-up: MSER-5 (White 1997; Franklin and White 2008) picks the truncation point that
// minimises the standard error of the mean of what is left. Applied to the series after
// removing the Theil-Sen line of its second half, so that a steady trend (the thing the verdict
// looks for) is not mistaken for a start-up transient. Pure.
#pragma once
#include <cstddef>
#include <vector>

namespace endure::analysis {

struct warmup_cut {
  size_t points = 0;     // leading points to drop
  bool reliable = true;  // false: the minimum sat at the search limit (half the series)
};

// batch: points per MSER batch (5 for MSER-5 on single intervals; fewer when each point already
// averages several intervals). The cut is a multiple of batch and at most half the points.
warmup_cut mser(const std::vector<double>& t, const std::vector<double>& x, size_t batch = 5);

}  // namespace endure::analysis
