// analysis::threshold_evaluator: checks --threshold criteria against a test's interval records
// (plain ones: percentiles from exactly merged histograms, ratios, rates, the worst monitor or
// generator value) and against the verdict's series (slope ones: Sen's slope, failing only when
// significant). State is O(1) in run length: whole-run totals, and a trailing window held as at
// most 120 slots. Pure, one thread at a time.
#pragma once
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "analysis/threshold.hpp"
#include "analysis/verdict.hpp"
#include "stats/interval_record.hpp"
#include "stats/sparse.hpp"

namespace endure::analysis {

enum class threshold_status { passed, failed, no_data };
const char* to_string(threshold_status s);  // "passed", "FAILED", "no data"

struct threshold_result {
  threshold spec;
  threshold_status status = threshold_status::no_data;
  double value = missing;  // what was measured, in spec.u (a slope: per second)
  std::string where;       // the series or source the value comes from, when not the scope itself
  std::string note;        // "not significant (p 0.21)", "no request matched", "too short: ..."
};

class threshold_evaluator {
 public:
  explicit threshold_evaluator(std::vector<threshold> list = {});
  bool empty() const { return list_.empty(); }
  size_t size() const { return list_.size(); }
  const std::vector<threshold>& list() const { return list_; }

  void reset();
  void add(const stats::interval_record& r);

  // Every threshold's state now. `run` and `whole` (its verdict) serve the slope thresholds;
  // during a run, no_data means "not measurable yet"; at the end it counts as a failure.
  std::vector<threshold_result> evaluate(const run_series& run, const soak_verdict& whole,
                                         const verdict_config& cfg) const;

 private:
  struct acc {
    stats::sparse_counts latency;
    uint64_t requests = 0, failures = 0, sum_us = 0, min_us = 0, max_us = 0;
    double start_s = 0, end_s = 0;
    bool has_time = false;
    double worst = 0;
    bool has_worst = false;
    std::string worst_where;
  };
  struct slot {
    int64_t id = 0;
    acc data;
  };
  struct state {
    acc whole;
    std::deque<slot> trail;
    double slot_s = 1;
  };

  void add_to(const threshold& t, const stats::interval_record& r, acc& a) const;
  static void combine(acc& into, const acc& from, const threshold& t);
  threshold_result plain(const threshold& t, const acc& a) const;
  threshold_result sloped(const threshold& t, const run_series& run, const soak_verdict& whole,
                          const verdict_config& cfg) const;

  std::vector<threshold> list_;
  std::vector<state> states_;
};

}  // namespace endure::analysis
