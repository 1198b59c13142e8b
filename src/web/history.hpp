// web history: the run's chart series kept as roll-ups at a few fixed resolutions (1 s, 10 s,
// 1 min, 10 min, 1 h), each a ring of at most `points_per_level` points, so its memory does not
// grow with the run's length and a window of any width is answered from the finest level that
// still covers it, merged down to a fixed number of points. Each point keeps a compact latency
// histogram (log-linear, 64 sub-buckets per octave: within 1.6%), so the percentiles of a merged
// point come from the merged histogram, never from averaged percentiles. Pure data; one owner
// (callers lock).
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "report/html.hpp"

namespace endure::web {

// The compact histogram's bucket of a latency, and a bucket's bounds (µs).
uint16_t coarse_bucket(uint64_t us);
uint64_t coarse_lower_us(uint16_t bucket);
uint64_t coarse_upper_us(uint16_t bucket);

struct history_point {
  double start_s = 0, end_s = 0;   // wall-clock stretch covered (Unix seconds)
  uint64_t requests = 0, failures = 0;
  double user_seconds = 0;         // users x seconds (an average over merged stretches)
  double seconds = 0;              // time with data (gaps between tests do not count)
  uint64_t min_us = 0, max_us = 0; // exact
  std::vector<std::pair<uint16_t, uint32_t>> latency;  // (coarse bucket, count), by bucket

  void merge(const history_point& o);
  // The q-quantile (0 < q <= 1) of the merged latencies in ms; NaN without requests.
  double percentile_ms(double q) const;
};

class history {
 public:
  static constexpr double level_seconds[] = {1, 10, 60, 600, 3600};
  explicit history(size_t points_per_level = 1200);

  // One interval of the Aggregated row: it ended at end_s and lasted length_s. `latency` holds
  // (stats::histogram bucket index, count) pairs, as snapshots carry them. Times must not go back.
  void add(double end_s, double length_s, uint64_t requests, uint64_t failures, uint64_t users,
           std::span<const std::pair<uint32_t, uint64_t>> latency, uint64_t min_us, uint64_t max_us);
  void clear();

  // The points of [from_s, to_s], at most max_points (>= 1): the finest level whose ring still
  // reaches back to from_s, with neighbours merged when it holds more than max_points there.
  // level_used (optional): which level answered.
  std::vector<history_point> window(double from_s, double to_s, size_t max_points, size_t* level_used = nullptr) const;
  // As chart points (rates per second, p50/p95/p99, average users).
  static std::vector<report::chart_point> chart(const std::vector<history_point>& points);

  double first_s() const { return first_s_; }  // 0 when empty
  double last_s() const { return last_s_; }
  size_t points_held() const;
  size_t memory_bytes() const;

 private:
  struct level {
    std::vector<history_point> ring;  // circular once full
    size_t head = 0;                  // index of the oldest point when full
    size_t count = 0;
    const history_point& at(size_t i) const { return ring[(head + i) % ring.size()]; }
    history_point& at(size_t i) { return ring[(head + i) % ring.size()]; }
  };
  size_t cap_;
  std::vector<level> levels_;
  double first_s_ = 0, last_s_ = 0;
};

}  // namespace endure::web
