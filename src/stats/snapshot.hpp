// stats::snapshot: the immutable picture of a run that the engine publishes every interval
// (1 s) and once more at the end. Sinks (console, CSV, JSON, HTML, store, web, exporters) read it
// and never see histograms or shard state. Pure data: no threads, no clocks, no I/O.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "stats/monitor_sample.hpp"

namespace endure::stats {

// The percentiles Locust reports, in its order. 1.0 is the exact maximum.
inline constexpr std::array<double, 11> report_percentiles = {
    0.50, 0.66, 0.75, 0.80, 0.90, 0.95, 0.98, 0.99, 0.999, 0.9999, 1.0};
// Their column titles in CSV and console tables.
inline constexpr std::array<const char*, 11> report_percentile_titles = {
    "50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%", "99.9%", "99.99%", "100%"};

// One row of the statistics table: one (method, name) entry, or the Aggregated row.
// All response times are in milliseconds (double; 3 significant digits from the histogram,
// min/max/avg exact). A row with zero requests has all times 0.
struct row {
  std::string method;  // "GET", "POST", ...; empty for the Aggregated row
  std::string name;    // the request name (URL path or name=); "Aggregated" for the total row
  uint64_t num_requests = 0;
  uint64_t num_failures = 0;
  double avg_ms = 0, min_ms = 0, max_ms = 0, median_ms = 0;
  double avg_content_bytes = 0;
  // Whole-run rates: count / (last request time - run start), as Locust's total_rps.
  double total_rps = 0, total_fail_per_s = 0;
  // Rates over the last 10 seconds (sliding window of whole intervals), as Locust's current_rps.
  double current_rps = 0, current_fail_per_s = 0;
  // Percentiles over the whole run, in report_percentiles order (ms).
  std::array<double, 11> percentiles_ms{};
  // Percentiles over the last 10 seconds (for the history CSV, like Locust's current percentiles).
  // Always on the Aggregated row; on entry rows when the snapshot's view asked for them (the
  // console's busiest rows, or every row for --csv-full-history; see run_totals::view_options),
  // 0 otherwise.
  std::array<double, 11> current_percentiles_ms{};
  // Coordinated-omission corrected percentiles (latency from the intended send time) over the
  // whole run; equal to percentiles_ms when no pacing applied.
  std::array<double, 11> intended_percentiles_ms{};
  // This interval's delta (its percentiles: on rows that have window percentiles).
  uint64_t interval_requests = 0, interval_failures = 0;
  double interval_p50_ms = 0, interval_p95_ms = 0, interval_p99_ms = 0;
  // This interval's latency histogram, (bucket index, count) pairs, and its exact min/max: on the
  // rows that have window percentiles, for charts that merge intervals (empty otherwise).
  std::vector<std::pair<uint32_t, uint64_t>> interval_latency;
  uint64_t interval_min_us = 0, interval_max_us = 0;
  double first_request_wall_s = 0, last_request_wall_s = 0;  // 0 when no request yet
  // Requests in the 10 s window; 0 means the current percentiles are undefined ("N/A").
  uint64_t current_requests = 0;
  // Exact whole-run sums (Locust's total_response_time and total_content_length).
  uint64_t total_latency_us = 0, total_content_bytes = 0;
  // Whole-run latency histogram as (bucket index, count) pairs (see stats/histogram.hpp);
  // filled on the final snapshot only (for JSON output), empty otherwise to keep snapshots cheap.
  std::vector<std::pair<uint32_t, uint64_t>> latency_buckets;
};

struct failure_row {
  std::string method, name, error;
  uint64_t occurrences = 0;
  double first_seen_wall_s = 0, last_seen_wall_s = 0;
};

struct exception_row {
  uint64_t count = 0;
  std::string message;    // e.g. "std::runtime_error: out of stock"
  std::string traceback;  // where it happened: user class and task (C++), or a Python traceback
  std::string nodes;      // which workers/hosts saw it (standalone: "local")
};

// Per user class, what is not a request: open-model arrivals dropped for want of a free user, and
// sessions started and ended (session churn). Whole-run counts and this interval's.
struct class_row {
  std::string user_class;
  uint64_t dropped_arrivals = 0, sessions_started = 0, sessions_ended = 0;
  uint64_t interval_dropped_arrivals = 0, interval_sessions_started = 0, interval_sessions_ended = 0;
};

enum class run_state { ready, spawning, running, stopping, stopped };
const char* to_string(run_state s);

struct snapshot {
  uint64_t sequence = 0;          // 0, 1, 2 ... one per interval
  bool is_final = false;          // the last snapshot of the run (totals are complete)
  run_state state = run_state::ready;
  double wall_s = 0;              // wall clock at the end of the interval (Unix seconds)
  double start_wall_s = 0;        // when the run (or the last --reset-stats) started
  double test_start_wall_s = 0;   // when the test started (a reset of the statistics keeps it)
  double interval_s = 1.0;        // length of the interval this delta covers
  // The interval record this snapshot follows: its id (floor(wall time / length)) and nominal
  // length. History rows are stamped with the interval's end, (id + 1) x length: one row per
  // interval, strictly increasing, one interval apart. 0 when not from a record.
  uint64_t interval_id = 0;
  uint32_t interval_length_ms = 1000;
  // Time a history row carries: the end of its interval (Unix seconds).
  double row_time_s() const {
    return interval_id != 0 ? static_cast<double>(interval_id + 1) * interval_length_ms / 1000.0 : wall_s;
  }
  uint64_t user_count = 0;
  // The most users the test held at any moment so far (a reset of the statistics keeps it).
  uint64_t peak_user_count = 0;
  std::vector<std::pair<std::string, uint64_t>> user_count_by_class;
  std::vector<row> rows;          // sorted by (name, method)
  row aggregated;                 // method "", name "Aggregated"
  std::vector<failure_row> failures;      // sorted by occurrences, descending
  std::vector<exception_row> exceptions;  // sorted by count, descending
  std::vector<class_row> classes;         // classes with drops or sessions, by name
  // The load model's stage when the interval closed (a built-in shape's stage), "" when none.
  std::string stage;
  // The Aggregated latency histogram of this interval alone, (bucket index, count) pairs, and its
  // exact min/max: charts that merge intervals take percentiles from merged histograms.
  std::vector<std::pair<uint32_t, uint64_t>> interval_latency;
  uint64_t interval_min_us = 0, interval_max_us = 0;
  // The monitor samples of this interval's record (target processes, disks, exporters): the
  // outputs write them once per interval, stamped with row_time_s().
  std::vector<monitor_sample> monitor;
  double generator_cpu_percent = 0;       // the generator process's own CPU use (0..100*cores)
  bool generator_cpu_warning = false;     // CPU above 90% for 10 s at some point in the run
};

using snapshot_ptr = std::shared_ptr<const snapshot>;

}  // namespace endure::stats
