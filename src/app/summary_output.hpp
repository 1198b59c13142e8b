// app summary_output: --summary-json, the run summary document (report/summary.hpp) written once
// at the very end of a run, after every other output and the store, so it can say how each of them
// ended and carry the final exit code. A path that cannot be written fails before the run.
#pragma once
#include <string>
#include <vector>

#include "app/verdict_output.hpp"
#include "base/result.hpp"
#include "report/summary.hpp"

namespace endure::app {

// Before the run: an output file's directory exists and is writable (else one line, exit code 2).
base::result<base::unit> check_output_path(const std::string& flag, const std::string& path);
// Writes the document atomically (a new file renamed over the old one). On failure: one line on
// stderr ("endure: cannot write --summary-json ...") and false (the exit code becomes 4).
bool write_summary(const std::string& path, const report::summary_input& in);

class monitor_output;

// What a run knows as it ends, for its own summary (standalone and master alike).
struct run_end {
  std::string store_path, locustfile, host;
  const stats::snapshot* totals = nullptr;  // the final snapshot
  std::string end_reason;
  int exit_code = 0;
  std::vector<std::string> exit_reasons;  // why the code is not 0, one sentence each
  const verdict_output::final_state* soak = nullptr;  // null: not judged
  monitor_output* monitor = nullptr;                   // null: no --monitor-*
};
// Why a run with failed requests or task exceptions exits with --exit-code-on-error's code.
std::string failures_reason(const stats::snapshot& totals, int exit_code_on_error);
// Writes the run's summary document to `path`; write_summary's answer.
bool write_run_summary(const std::string& path, const run_end& r);

}  // namespace endure::app
