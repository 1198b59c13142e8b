// sinks::bounded_series: a time series of chart points whose memory is O(1) in run length.
// When full, adjacent pairs are merged (averaged) and each later point covers twice as many
// snapshots, so the series always spans the whole run at a uniform, coarsening resolution.
#pragma once
#include <cstddef>
#include <vector>

#include "report/html.hpp"

namespace endure::sinks {

class bounded_series {
 public:
  explicit bounded_series(size_t max_points = 1500);
  void add(const report::chart_point& p);
  const std::vector<report::chart_point>& points() const { return points_; }
  // Snapshots per stored point (1, 2, 4, ...).
  size_t stride() const { return stride_; }

 private:
  void flush_pending();

  size_t max_points_;
  size_t stride_ = 1;
  std::vector<report::chart_point> points_;
  report::chart_point pending_{};
  size_t pending_n_ = 0;
};

}  // namespace endure::sinks
