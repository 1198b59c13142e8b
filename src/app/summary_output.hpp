// app summary_output: --summary-json, the run summary document (report/summary.hpp) written once
// at the very end of a run, after every other output and the store, so it can say how each of them
// ended and carry the final exit code. A path that cannot be written fails before the run.
#pragma once
#include <string>

#include "base/result.hpp"
#include "report/summary.hpp"

namespace endure::app {

// Before the run: the file's directory exists and is writable (else one line, exit code 2).
base::result<base::unit> check_summary_path(const std::string& flag, const std::string& path);
// Writes the document atomically (a new file renamed over the old one). On failure: one line on
// stderr ("endure: cannot write --summary-json ...") and false (the exit code becomes 4).
bool write_summary(const std::string& path, const report::summary_input& in);

}  // namespace endure::app
