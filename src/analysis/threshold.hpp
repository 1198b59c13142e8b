// analysis thresholds and limits: the text of --threshold and --limit parsed into what they
// check. Pass/fail criteria on the load (p95<500ms, fail_ratio<0.01), on trends
// (p95.slope<2ms/h, target.rss.slope<10MB/h), per entry ('GET /products: p99<1s') or for
// Aggregated, over the whole run or a trailing window (p95[10m]<500ms). Pure: no I/O.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "analysis/series.hpp"
#include "analysis/verdict.hpp"
#include "base/result.hpp"

namespace endure::analysis {

enum class threshold_metric {
  quantile,    // pNN: latency percentile (ms)
  avg,         // mean latency (ms)
  min,         // fastest request (ms)
  max,         // slowest request (ms)
  fail_ratio,  // failures / requests
  failures,    // count
  requests,    // count
  rps,         // requests per second
  fail_per_s,  // failures per second
  target,      // a monitor metric (target.NAME)
  generator,   // the generator's cpu (percent), lag (ms) or rss (bytes)
};

enum class comparison { lt, le, gt, ge };
const char* to_string(comparison c);

struct threshold {
  std::string text;  // as written
  // Scope: Aggregated, or an entry by method and name, or a name under any method.
  bool aggregated = true;
  std::string method, name;
  threshold_metric metric = threshold_metric::quantile;
  double quantile = 0;             // threshold_metric::quantile: 0.95 for p95
  std::string sub_metric;          // target: the monitor metric ("rss"); generator: cpu, lag or rss
  bool slope = false;              // the Sen slope of the series (limit per second)
  std::optional<double> window_s;  // trailing window; unset: the whole run
  comparison op = comparison::lt;
  double limit = 0;  // in the metric's unit (ms, ratio, per s, bytes, percent, count)
  unit u = unit::plain;

  // The metric as written without scope and window: "p95", "fail_ratio", "target.rss.slope".
  std::string metric_name() const;
  // The scope as written: "Aggregated", "GET /products", "/products".
  std::string scope() const;
};

base::result<threshold> parse_threshold(std::string_view text);

// --limit METRIC=VALUE: a target metric ("rss", "target.disk_free"), generator.rss, p95, ...
base::result<limit> parse_limit(std::string_view text);

// True when `value` satisfies the threshold's comparison.
bool satisfies(const threshold& t, double value);

}  // namespace endure::analysis
