// sinks::bounded_series: a run's Aggregated time series whose memory is O(1) in run length. Each
// point holds its stretch's merged latency histogram and counts; when full, adjacent pairs merge
// (histograms add exactly) and each later point covers twice as many intervals, so the series
// spans the whole run at a uniform, coarsening resolution. Percentiles of a point are taken from
// its merged histogram, never by averaging percentiles.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "report/html.hpp"
#include "stats/sparse.hpp"

namespace endure::sinks {

// One interval's Aggregated figures (from a snapshot).
struct series_input {
  double wall_s = 0;      // end of the interval
  double interval_s = 1;  // seconds it covers
  uint64_t requests = 0, failures = 0;
  double users = 0;
  stats::sparse_counts latency;  // this interval's histogram
  uint64_t min_us = 0, max_us = 0;
};

class bounded_series {
 public:
  explicit bounded_series(size_t max_points = 1500);
  void add(const series_input& in);
  // The chart points (percentiles computed here, from each point's merged histogram).
  std::vector<report::chart_point> points() const;
  size_t size() const { return points_.size() + (pending_.intervals ? 1 : 0); }
  // Intervals per stored point (1, 2, 4, ...).
  size_t stride() const { return stride_; }

 private:
  struct point {
    double wall_s = 0, covered_s = 0, users_sum = 0;
    uint64_t requests = 0, failures = 0, min_us = 0, max_us = 0;
    size_t intervals = 0;
    std::string packed;  // merged histogram (stats::pack)
  };
  static void combine(point& a, const point& b);
  void flush_pending();

  size_t max_points_;
  size_t stride_ = 1;
  std::vector<point> points_;
  point pending_;
};

}  // namespace endure::sinks
