// sinks::monitor_sink: PREFIX_monitor.csv when target monitoring is on: one
// record per monitor sample per interval (Timestamp, Source, Metric, Value),
// appended as whole records like the history CSV, flushed every interval.
#pragma once
#include <memory>
#include <string>

#include "base/result.hpp"
#include "sinks/file_util.hpp"
#include "sinks/sink.hpp"

namespace endure::sinks {

class monitor_sink final : public sink {
public:
  // Creates the file with its header; fails before the run (exit code 2).
  static base::result<std::unique_ptr<monitor_sink>>
  open(const std::string &prefix, file_io *io = nullptr);
  void on_snapshot(const stats::snapshot &s) override;

private:
  monitor_sink(file_io &io, append_file file);
  file_io &io_;
  append_file file_;
  file_health health_;
  uint64_t rows_lost_ = 0;
};

} // namespace endure::sinks
