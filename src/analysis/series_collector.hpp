// analysis::series_collector: turns a test's interval records into the windows the soak verdict
// reads (analysis::run_series), in memory O(1) in the run's length: at most max_windows windows;
// when full, neighbours merge pairwise and each window covers twice as many intervals. Latency
// histograms merge exactly (counts add), so a window's p95 is the p95 of every request in it (at
// 1/128 octave resolution, 0.4%: see coarse_index). Pure data structure, one thread at a time;
// the store can produce the same run_series from its rows instead.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "analysis/series.hpp"
#include "stats/interval_record.hpp"
#include "stats/sparse.hpp"

namespace endure::analysis {

struct collector_limits {
  size_t max_windows = 256;  // even; windows hold between half and all of it once full
  size_t max_entries = 100;  // (method, name) entries followed on their own (all are in Aggregated)
  size_t max_errors = 50;    // error kinds followed per kind
  size_t max_monitors = 100;  // monitor (source, metric) series
};

// The bucket of a latency in the collector's histograms: stats::histogram's log-linear layout with
// 128 sub-buckets per power of two instead of 1024 (exact below 256 us). A fine bucket always lies
// inside one coarse bucket, so coarsening a histogram is exact at this resolution.
uint32_t coarse_index(uint64_t us);
uint64_t coarse_lower_us(uint32_t index);
uint64_t coarse_upper_us(uint32_t index);
// stats::histogram's sparse counts mapped to coarse buckets (exact).
stats::sparse_counts coarsen_histogram(const stats::sparse_counts& fine);
// The quantile q of coarse counts: the midpoint of the bucket holding the ceil(q x count)-th value,
// clamped to [min_us, max_us] (the rule of stats::sparse_quantiles).
double coarse_quantile_us(const stats::sparse_counts& coarse, double q, uint64_t min_us,
                          uint64_t max_us);

class series_collector {
 public:
  explicit series_collector(collector_limits limits = {});

  // Forgets everything: a new test, or the statistics were reset.
  void reset();
  // Adds one record (in order). Records of earlier intervals than the first are put in the first
  // window.
  void add(const stats::interval_record& r);

  // The windows so far as series: per entry and Aggregated p50/p95/p99, failure ratio (and per
  // error kind, for entries with several), requests per second; the generator's CPU, loop lag and
  // RSS; every monitor series.
  run_series to_run_series() const;

  size_t windows() const { return windows_.size(); }
  uint64_t stride() const { return stride_; }  // intervals per window
  uint64_t records() const { return records_; }
  double start_wall_s() const { return start_wall_s_; }
  double last_wall_s() const { return last_wall_s_; }
  // Bytes held by the windows' histograms (for the memory bound's test).
  size_t histogram_bytes() const;

 private:
  struct entry_acc {
    uint64_t requests = 0, failures = 0, min_us = 0, max_us = 0;
    std::string packed;         // closed windows: stats::pack of the coarse counts
    stats::sparse_counts open;  // the window being filled
  };
  struct monitor_acc {
    double sum = 0;
    uint64_t n = 0;
  };
  struct window {
    uint64_t intervals = 0;
    double start_s = 0, end_s = 0;  // wall clock covered
    double users_sum = 0, users_min = 0, users_max = 0;
    double cpu_sum = 0, lag_sum = 0, rss_sum = 0;
    uint64_t saturated = 0;
    // Records of the test's wind-down (stopping, stopped): their users are leaving, so they say
    // nothing about the user count the load ran at; a window of only those is left out.
    uint64_t winding_down = 0;
    std::vector<entry_acc> entries;  // by entry slot; 0 is Aggregated
    std::vector<uint64_t> errors;    // by error slot
    std::vector<monitor_acc> monitors;
  };
  struct error_key {
    size_t entry = 0;  // entry slot
    std::string error;
  };

  size_t entry_slot(const std::string& method, const std::string& name);
  static void close(window& w);
  static void combine(window& into, window&& from);
  void halve();

  collector_limits limits_;
  uint64_t stride_ = 1;
  uint64_t first_id_ = 0;
  bool started_ = false;
  uint64_t records_ = 0;
  double start_wall_s_ = 0, last_wall_s_ = 0, interval_s_ = 1;
  std::vector<window> windows_;
  std::vector<std::pair<std::string, std::string>> entries_;  // slot -> (method, name)
  std::map<std::pair<std::string, std::string>, size_t> entry_slots_;
  std::vector<error_key> errors_;
  std::map<std::tuple<std::string, std::string, std::string>, size_t> error_slots_;
  std::vector<std::pair<std::string, std::string>> monitors_;  // slot -> (source, metric)
  std::map<std::pair<std::string, std::string>, size_t> monitor_slots_;
  uint64_t untracked_entries_ = 0, untracked_errors_ = 0, untracked_monitors_ = 0;
};

}  // namespace endure::analysis
