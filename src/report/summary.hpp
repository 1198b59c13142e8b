// report summary: the run summary document of --summary-json (and `endure report --summary-json`):
// one JSON object a pipeline reads instead of parsing tables: how the run ended and its exit code,
// Aggregated and per-entry totals with percentiles, failures, dropped arrivals, thresholds, the
// soak verdict and the target monitoring summary. Pure: everything comes in as data. Field by
// field in docs/outputs.md ("Run summary JSON").
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "analysis/threshold_eval.hpp"
#include "analysis/verdict.hpp"
#include "report/monitor.hpp"
#include "stats/snapshot.hpp"

namespace endure::report {

// The value of the document's "schema" member; a change that removes or retypes a field bumps it.
inline constexpr const char* summary_schema = "endure-run-summary/1";

struct summary_input {
  // "run": what ran and how it ended.
  std::string endure_version;
  std::string source;  // "run" (written by the run itself) or "store" (by `endure report`)
  std::string run_id, store_path, locustfile, host;
  double start_wall_s = 0;  // the test's start (Unix seconds)
  bool ended = true;        // false: a store without an end record (killed, or still running)
  double end_wall_s = 0;
  std::string end_reason;                        // "run time", "signal", "threshold", ...
  std::optional<int> exit_code;                  // unset: not known (a killed run)
  std::vector<std::string> exit_reasons;         // why the exit code is not 0, one sentence each
  // The statistics: the final snapshot (the run) or the store's totals of a window.
  const stats::snapshot* totals = nullptr;
  std::string window;  // "whole run" or the window `endure report` was given
  // The soak verdict and thresholds (may be null: not judged).
  const analysis::soak_verdict* verdict = nullptr;
  const std::vector<analysis::threshold_result>* thresholds = nullptr;
  // Thresholds that failed while the test ran (logged live), and the one that stopped it with
  // --abort-on-threshold (""). Unknown (null in the JSON) when rebuilt from a store.
  std::optional<std::vector<std::string>> failed_live;
  std::optional<std::string> aborted_by;
  // Target monitoring; empty rows and has_monitor false when no --monitor-* was given.
  bool has_monitor = false;
  std::vector<monitor_summary> monitor;
  std::vector<std::string> monitor_problems;
};

// The document, as JSON text (indented by 2, ending with a newline).
std::string summary_json(const summary_input& in);

// A name for an exit code of docs/cli.md: "ok", "failures", "usage", "thresholds",
// "outputs_incomplete", "stuck_users", "internal", else "other" (the locustfile's own, or
// --exit-code-on-error's).
const char* exit_code_name(int code);

}  // namespace endure::report
