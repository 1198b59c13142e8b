#include "app/summary_output.hpp"

#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "app/monitor_output.hpp"
#include "sinks/file_util.hpp"
#include "stats/snapshot.hpp"

namespace endure::app {

base::result<base::unit> check_output_path(const std::string& flag, const std::string& path) {
  const std::filesystem::path p(path);
  const auto dir = p.has_parent_path() ? p.parent_path() : std::filesystem::path(".");
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    return base::make_error("cannot write " + flag + " '" + path + "': directory '" + dir.string() +
                            "' does not exist");
  if (::access(dir.c_str(), W_OK) != 0)
    return base::make_error("cannot write " + flag + " '" + path + "': directory '" + dir.string() +
                            "' is not writable");
  return base::unit{};
}

bool write_summary(const std::string& path, const report::summary_input& in) {
  if (auto r = sinks::write_file_atomic(path, report::summary_json(in)); !r) {
    // "cannot write PATH: reason"
    std::fprintf(stderr, "endure: --summary-json: %s\n", r.err().message.c_str());
    std::fflush(stderr);
    return false;
  }
  return true;
}

std::string failures_reason(const stats::snapshot& totals, int exit_code_on_error) {
  return std::to_string(totals.aggregated.num_failures) + " of " + std::to_string(totals.aggregated.num_requests) +
         " requests failed, " + std::to_string(totals.exceptions.size()) +
         " kinds of exceptions in tasks (--exit-code-on-error " + std::to_string(exit_code_on_error) + ")";
}

bool write_run_summary(const std::string& path, const run_end& r) {
  report::summary_input in;
  in.endure_version = ENDURE_VERSION;
  in.source = "run";
  in.store_path = r.store_path;
  in.locustfile = r.locustfile;
  in.host = r.host;
  in.start_wall_s = r.totals->test_start_wall_s;
  in.end_wall_s = r.totals->wall_s;
  in.end_reason = r.end_reason;
  in.exit_code = r.exit_code;
  in.exit_reasons = r.exit_reasons;
  in.totals = r.totals;
  in.window = "whole run";
  if (r.soak) {
    in.verdict = &r.soak->verdict;
    in.thresholds = &r.soak->thresholds;
    in.failed_live = r.soak->failed_live;
    in.aborted_by = r.soak->aborted_by;
  }
  if (r.monitor) {
    auto m = r.monitor->summary(std::chrono::seconds(0));
    in.has_monitor = true;
    in.monitor = std::move(m.rows);
    in.monitor_problems = std::move(m.problems);
  }
  return write_summary(path, in);
}

}  // namespace endure::app
