// analysis series: what the soak verdict reads. A run as a common grid of windows (time, users,
// generator saturation) and one value per window for each series: a latency percentile, a
// failure ratio, a throughput, a target or generator metric. Produced by series_collector from
// interval records during a run, and meant to be produced the same way from the run store.
// Plain data: no clocks, no I/O.
#pragma once
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace endure::analysis {

// The unit of a series' values; slopes are these per second.
enum class unit : uint8_t {
  ms,     // latency in milliseconds
  ratio,  // 0..1 (shown as %)
  per_s,  // a rate: requests per second
  bytes,
  percent,  // 0..100 x cores (CPU)
  count,    // file descriptors, threads, connections
  plain,    // anything else a monitor reports
};
const char* to_string(unit u);

enum class series_kind : uint8_t {
  latency,     // a percentile of an entry or of Aggregated
  fail_ratio,  // failures / requests (all errors, or one error kind)
  throughput,  // requests per second
  target,      // a monitor sample (the system under test or its host)
  generator,   // the load generator's own health
};
const char* to_string(series_kind k);

// Which way is bad: latency up, throughput down, disk free down, ...
enum class bad_direction : int8_t { down = -1, up = 1 };

inline constexpr double missing = std::numeric_limits<double>::quiet_NaN();

struct series {
  std::string key;    // stable identifier: "GET /products|p95", "target|pid 4242|rss_bytes"
  std::string label;  // for people: "GET /products p95", "target pid 4242 rss_bytes"
  series_kind kind = series_kind::latency;
  unit u = unit::plain;
  bad_direction bad = bad_direction::up;
  // Load series: the entry ("" method and "Aggregated" name for the total) and, for a failure
  // ratio of one error kind, the error. Target series: the monitor's source and metric.
  std::string method, name, error;
  std::string source, metric;
  double quantile = 0;  // latency series: 0.5, 0.95, 0.99
  // Start-up detection reads the series marked as its reference (Aggregated latency,
  // throughput); when none is marked, every series is a reference.
  bool warmup_reference = false;
  std::vector<double> values;  // one per window of the run_series; `missing` where undefined
};

struct run_series {
  double start_wall_s = 0;  // Unix time of t = 0 (the test's start)
  double interval_s = 1;    // length of the records the windows are made of
  // Per window: the middle and the length of the stretch it covers (seconds from the start),
  // users (mean, min, max), and the share of its intervals where the generator was saturated.
  std::vector<double> t_s, width_s;
  std::vector<double> users_mean, users_min, users_max;
  std::vector<double> saturated;
  std::vector<series> all;
  // Things the producer had to leave out (entries past a cap, ...), said in the verdict's notes.
  std::vector<std::string> notes;

  size_t windows() const { return t_s.size(); }
  double end_s() const { return t_s.empty() ? 0 : t_s.back() + width_s.back() / 2; }
};

}  // namespace endure::analysis
