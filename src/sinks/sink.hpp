// sinks: consumers of run snapshots that print or write files (console, CSV, JSON, HTML).
// Each sink is driven by one thread, one snapshot at a time; sinks never touch engine state.
// Each publishes its status (every file whole, or which file is not and why) for the end
// summary and the exit code (base::exit_code::outputs_incomplete).
#pragma once
#include <mutex>
#include <string>
#include <vector>

#include "stats/snapshot.hpp"

namespace endure::sinks {

// One output file that is not whole and up to date, and why.
struct file_problem {
  std::string path;    // as the user named it; "stdout" for the console and --json
  std::string reason;  // one line, e.g. "not written: No space left on device"
};

struct output_status {
  std::vector<file_problem> incomplete;  // empty: every file of the output is whole
  bool is_complete() const { return incomplete.empty(); }
};

class sink {
 public:
  virtual ~sink();
  // Called once per interval and once more with the final snapshot (snapshot.is_final).
  virtual void on_snapshot(const stats::snapshot& s) = 0;
  // The status as of the latest on_snapshot (or construction). Thread-safe: another thread
  // (the app at the end, a UI) may read it while the sink's own thread writes.
  output_status status() const;

 protected:
  void publish(output_status s);

 private:
  mutable std::mutex mutex_;
  output_status status_;
};

// Every incomplete file of these outputs, in order, and the --logfile when it lost lines.
std::vector<file_problem> incomplete_files(const std::vector<const sink*>& outputs);
// The end summary's block for incomplete files ("" when none), one file per line:
//   endure: 2 output files incomplete:
//     run.json: not written: No space left on device
std::string incomplete_summary(const std::vector<file_problem>& files);

}  // namespace endure::sinks
