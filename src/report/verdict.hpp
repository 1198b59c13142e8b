// report soak verdict: the verdict table and threshold results as console text (the end of the
// run's summary), JSON (per entry in --json, whole in the run-level object) and an HTML section.
// Values keep their unit (ms, MB, %, req/s); trends are per hour (per minute for runs under an
// hour). Pure: no I/O.
#pragma once
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "analysis/threshold_eval.hpp"
#include "analysis/verdict.hpp"

namespace endure::report {

// A value in its unit: "12.4 ms", "1.23 GB", "0.52%", "48.1 req/s", "37%", "1,024".
std::string format_value(double v, analysis::unit u);
// A rate of change (value units per second) per `per_s` seconds, signed: "+3.1 ms/h".
std::string format_trend(double per_second, analysis::unit u, double per_s);
// A time offset or length, two largest units: "2d 03h", "12m", "2m 30s", "45s".
std::string format_offset(double seconds);

struct verdict_table_options {
  // Beyond this many rows, per-entry rows that did not change (STABLE, INCONCLUSIVE) are counted
  // on one line instead of listed (Aggregated, target and generator rows are always listed).
  size_t max_rows = 24;
  size_t min_points = 10;  // as analysis::verdict_config, for the "too short" line
};

// The console block: header, one row per series, notes, then the thresholds (when any).
std::string verdict_table(const analysis::soak_verdict& v,
                          const std::vector<analysis::threshold_result>& thresholds,
                          verdict_table_options options = {});
// One line per threshold for the table and the log: "FAILED  GET /products: p99<1s: 1.42 s"
// (without the status for stderr's list of failures).
std::string threshold_line(const analysis::threshold_result& r, bool with_status = true);
// One log line for a series: "GET /products p95 is DEGRADING: +3.1 ms/h [+2.4, +3.9], +21% ...".
std::string verdict_line(const analysis::series_verdict& r, double analysed_s);

nlohmann::json verdict_json(const analysis::soak_verdict& v,
                            const std::vector<analysis::threshold_result>& thresholds);
// The rows of each entry, by (method, name), for the per-entry objects of --json.
std::map<std::pair<std::string, std::string>, nlohmann::json> entry_verdicts_json(
    const analysis::soak_verdict& v);

std::string verdict_html(const analysis::soak_verdict& v,
                         const std::vector<analysis::threshold_result>& thresholds);

}  // namespace endure::report
