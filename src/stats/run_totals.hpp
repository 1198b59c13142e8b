// stats::run_totals: the whole-run and 10-second-window picture of a test, built from interval
// records (exact merges of sparse histograms), and the snapshots derived from it for the console,
// CSV, JSON, HTML and the web UI. Percentiles are computed when a view is taken, only for entries
// whose data changed since the previous view. Memory is bounded by the number of entries, never
// by the number of intervals. One owner thread at a time.
#pragma once
#include <cstdint>
#include <memory>

#include "stats/interval_record.hpp"
#include "stats/snapshot.hpp"

namespace endure::stats {

class run_totals {
 public:
  explicit run_totals(double start_wall_s = 0);
  ~run_totals();
  run_totals(const run_totals&) = delete;
  run_totals& operator=(const run_totals&) = delete;

  // Adds one interval (exact). Records must come in time order.
  void add(const interval_record& r);
  // --reset-stats, a reset from the UI: forget the statistics; they start again at wall_s (the
  // test's start time and peak user count are kept).
  void reset(double start_wall_s);
  // A new test: forget everything; it starts at wall_s.
  void begin_test(double start_wall_s);

  // What a view computes beyond the whole-run figures (which every row always has).
  struct view_options {
    // Include each row's whole-run histogram (the final JSON output wants it).
    bool with_buckets = false;
    // Rows whose 10 s window percentiles are computed (the Aggregated row's always are): the
    // `window_rows` busiest by whole-run requests (what a console table shows), or every row
    // (--csv-full-history). Other rows carry window counts and rates, and zero percentiles.
    size_t window_rows = 20;
    bool window_all_rows = false;
  };
  // The picture after the last add(): every entry, the Aggregated row, failures, exceptions.
  snapshot_ptr view(const view_options& o);
  snapshot_ptr view() { return view(view_options{}); }

  // Bytes held (approximate), for the statistics budget benchmark.
  size_t memory_bytes() const;
  size_t entry_count() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace endure::stats
