// app store commands: `endure report`, `endure runs` and `endure compare`, which read run stores
// (store::reader) and format with report/. Bad input of any kind is one `endure: error:` line and
// exit code 2; `compare --fail-on` conditions that match exit with 3.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "cli/command.hpp"
#include "stats/snapshot.hpp"

namespace endure::app {

int report_main(const cli::invocation& inv);
int runs_main(const cli::invocation& inv);
int compare_main(const cli::invocation& inv);

// --from/--to: an offset from the run's start ("48h", "2d3h", "90m", "30") or an ISO time
// ("2026-12-01T09:00:00Z"; "+02:00" offsets; no zone: UTC). Unix seconds.
base::result<double> parse_when(std::string_view text, double run_start_wall_s);

// `--fail-on 'p95>+10%'`: [ENTRY: ]METRIC OP VALUE.
//   METRIC  rps, fail% (failure percentage), avg, p50 p66 p75 p80 p90 p95 p98 p99 p99.9
//   OP      > < >= <=
//   VALUE   +N or -N: the change from the base run to the new one, in percent with '%', else in
//           the metric's unit (ms for times, 's' allowed; percentage points for fail%);
//           N without a sign: the new run's value.
//   ENTRY   "Aggregated", "GET /products" or "/products" (any method); default: every entry the
//           two runs share, and Aggregated.
struct compare_condition {
  std::string text;
  std::string entry;
  std::string metric;
  std::string op;
  bool is_change = false;
  bool is_relative = false;
  double value = 0;
};
base::result<compare_condition> parse_condition(std::string_view text);

// The value of a metric in a row (ms for times, percent for fail%, per second for rps).
double metric_value(const stats::row& r, const std::string& metric);
// Whether a condition holds for a (base, new) pair of one row's metric.
bool condition_holds(const compare_condition& c, double base, double now);
// Whether a condition's entry part names this row.
bool condition_applies(const compare_condition& c, const stats::row& r);

}  // namespace endure::app
