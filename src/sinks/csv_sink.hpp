// sinks::csv_sink: Locust's --csv files. PREFIX_stats.csv is replaced atomically on every
// snapshot, PREFIX_stats_history.csv gains rows every second and is flushed (a SIGKILL keeps
// every completed second); _failures.csv and _exceptions.csv are replaced every 10 snapshots
// and at the end.
#pragma once
#include <cstdio>
#include <memory>
#include <string>

#include "base/result.hpp"
#include "sinks/sink.hpp"

namespace endure::sinks {

class csv_sink final : public sink {
 public:
  // Creates the four files with their headers; fails (e.g. missing directory) before the run.
  static base::result<std::unique_ptr<csv_sink>> open(const std::string& prefix, bool full_history);
  ~csv_sink() override;
  csv_sink(const csv_sink&) = delete;
  csv_sink& operator=(const csv_sink&) = delete;

  void on_snapshot(const stats::snapshot& s) override;
  // The last write error ("" when none): on_snapshot cannot return one, the app may report it.
  const std::string& last_error() const { return last_error_; }

 private:
  csv_sink(std::string prefix, bool full_history, std::FILE* history);
  void note(const base::result<base::unit>& r);

  std::string prefix_;
  bool full_history_;
  std::FILE* history_;
  int64_t last_history_second_ = -1;
  uint64_t seen_ = 0;
  std::string last_error_;
};

}  // namespace endure::sinks
