// store::reader: reads a run store (a finished run, a killed one, or one still being written):
// the run's metadata, a window's totals as a stats::snapshot (the run's own totals, exactly, for
// the whole run), and time series with at most N points per series for any window, taken from the
// roll-up tier that fits (percentiles of a merged point come from merged histograms). For the web
// UI, the reports, `endure runs`/`compare` and the soak verdict. One connection: use a reader from
// one thread at a time (open one per thread); it never writes.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/result.hpp"
#include "stats/snapshot.hpp"
#include "store/writer.hpp"

namespace endure::store {

struct locustfile_info {
  std::string path;
  std::string sha256;
  uint64_t size_bytes = 0;
};

struct run_info {
  std::string path;
  std::string run_id;
  int schema_version = 0;
  std::string endure_version;
  double start_wall_s = 0;
  std::vector<std::string> command_line;
  std::vector<option_value> options;
  std::string host;
  std::string node;
  uint32_t interval_ms = 1000;
  std::vector<locustfile_info> locustfiles;
  std::vector<class_info> classes;
  machine_info machine;
  // The end record. Absent (has_end false) when the run was killed, or is still running.
  bool has_end = false;
  double end_wall_s = 0;
  std::string end_reason;  // "run time", "signal", "shape", "iterations", "stop_test", ...
  int exit_code = 0;
  // What was recorded: the first and last interval's wall times (0 when none).
  double first_data_wall_s = 0, last_data_wall_s = 0;
  uint64_t peak_users = 0;
  // The statistics segment the run's own totals cover: from the last test start or stats reset.
  double totals_start_wall_s = 0;
  // The locustfile name for listings: the first file's stem ("ecommerce").
  std::string locustfile_name() const;
};

// A stretch of the run, in Unix seconds. Unset ends: the run's start / its last data.
struct window {
  std::optional<double> from_wall_s, to_wall_s;
  bool is_whole_run() const { return !from_wall_s && !to_wall_s; }
};

// One point of a series: the figures of the rows merged into [start_wall_s, end_wall_s).
struct series_point {
  double start_wall_s = 0, end_wall_s = 0;
  uint64_t requests = 0, failures = 0;
  double rps = 0, fail_per_s = 0;  // over the time the point's data covers
  double avg_ms = 0, min_ms = 0, max_ms = 0;
  double p50_ms = 0, p90_ms = 0, p95_ms = 0, p99_ms = 0;
};

struct entry_series {
  std::string method, name;          // "" and "Aggregated" for the Aggregated series
  std::vector<series_point> points;  // only where the entry has requests
};

// The run's own figures per point: users and the generator's health.
struct run_point {
  double start_wall_s = 0, end_wall_s = 0;
  uint64_t user_count = 0;  // at the end of the point
  uint64_t user_count_max = 0;
  double cpu_percent = 0;  // mean
  uint64_t rss_bytes = 0;  // max
  double loop_lag_ms = 0;  // max
  bool cpu_saturated = false;
};

struct failure_series {
  std::string method, name, error;
  std::vector<std::pair<double, uint64_t>> counts;  // (point start, failures in the point)
};

struct monitor_point {
  double start_wall_s = 0;
  double value = 0, min = 0, max = 0, last = 0;  // value: the mean of the samples
  uint64_t samples = 0;
};
struct monitor_series {
  std::string source, metric;
  std::vector<monitor_point> points;
};

struct series_request {
  window w;
  size_t max_points = 2000;  // per series
  bool all_entries = false;  // every (method, name) series besides Aggregated
  std::vector<std::pair<std::string, std::string>> entries;  // or these (method, name)
  bool failures = false;                                     // failures per (method, name, error)
};

struct series_set {
  double step_s = 0;         // the width of a point
  int64_t row_length_s = 0;  // the stored rows it was built from (the coarsest used)
  double from_wall_s = 0, to_wall_s = 0;
  std::vector<run_point> run;
  entry_series aggregated;
  std::vector<entry_series> entries;
  std::vector<failure_series> failures;
  std::vector<monitor_series> monitor;
};

struct event_row {
  double wall_s = 0;
  std::string kind, detail;
  uint64_t test = 0, user_count = 0;
};

// The run's Aggregated whole-run figures, cheaper than totals() (no per-entry work).
struct run_summary {
  uint64_t requests = 0, failures = 0;
  double p50_ms = 0, p95_ms = 0, p99_ms = 0;
  double duration_s = 0;  // of the data (first to last interval)
};

class reader {
 public:
  // One clear line (exit code 2) for a missing file, a file that is not an endure store, a
  // truncated or damaged file, or a store of a newer schema.
  static base::result<std::unique_ptr<reader>> open(const std::string& path);
  ~reader();
  reader(const reader&) = delete;
  reader& operator=(const reader&) = delete;

  // As of the last query: totals(), series() and summary() refresh what a live run changes.
  const run_info& info() const;
  // A window's totals. The whole run (an empty window) is exactly what the run itself reported
  // at its end (or would have, for a killed run): the last statistics segment, full resolution.
  // A window merges every segment in it; its edges are rounded to the rows stored for that time
  // (1 s for the last 3 hours of data, then 10 s, 1 min, 10 min, 1 h; see schema.hpp).
  // with_buckets: each row's histogram (for JSON's response_times).
  base::result<stats::snapshot_ptr> totals(const window& w = {}, bool with_buckets = false);
  base::result<run_summary> summary();
  base::result<series_set> series(const series_request& r);
  base::result<std::vector<event_row>> events(const window& w = {});
  // The window's stored rows as interval records, in time order, with their histograms and
  // monitor samples: from the finest tier that still covers each stretch (records of coarser
  // tiers span their row's length). For the soak verdict and thresholds of `endure report`.
  base::result<base::unit> each_record(const window& w,
                                       const std::function<void(const stats::interval_record&)>& f);
  // The rows the whole-run totals are made of (the last statistics segment, full resolution),
  // as records in time order: a resumed master rebuilds its totals from them.
  base::result<base::unit> each_totals_record(
      const std::function<void(const stats::interval_record&)>& f);
  // The stored content of a locustfile (by path as recorded).
  base::result<std::string> locustfile_content(const std::string& path);
  // A consistent copy of the store as of now into `dest` (which must not exist): one file, the
  // write-ahead log folded in, so a run still being written can be downloaded whole (VACUUM INTO).
  base::result<base::unit> copy_to(const std::string& dest);

 private:
  struct impl;
  explicit reader(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace endure::store
