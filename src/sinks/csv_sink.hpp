// sinks::csv_sink: Locust's --csv files. PREFIX_stats.csv is replaced atomically on every
// snapshot, PREFIX_stats_history.csv grows by whole rows every second (a failed append is cut
// back, and the rows are held and written late when the disk has room again); _failures.csv
// and _exceptions.csv are replaced every 10 snapshots and at the end. It must not write a
// partial line that a later write continues, nor log a failing file more than once.
#pragma once
#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

#include "base/result.hpp"
#include "sinks/file_io.hpp"
#include "sinks/file_util.hpp"
#include "sinks/sink.hpp"

namespace endure::sinks {

class csv_sink final : public sink {
 public:
  struct settings {
    bool full_history = false;  // --csv-full-history: every entry's row each second
    // History rows held in memory while the history file cannot be written (they are written,
    // late and in order, once it can); beyond this the oldest seconds are dropped and the gap
    // is logged and reported. 16 MiB is about a day of Aggregated-only rows.
    size_t held_bytes_max = size_t{16} << 20;
    file_io* io = nullptr;  // not owned; nullptr: the real files
  };

  // Creates the four files with their headers, all or none: on any failure (a missing
  // directory, a full disk) nothing new is left behind and files of an earlier run with the
  // same prefix are untouched. Fails before the run, with exit code 2.
  static base::result<std::unique_ptr<csv_sink>> open(const std::string& prefix, settings s);
  static base::result<std::unique_ptr<csv_sink>> open(const std::string& prefix,
                                                      bool full_history) {
    return open(prefix, settings{full_history});
  }
  void on_snapshot(const stats::snapshot& s) override;

  // With --csv-full-history: what the history file grows per day at the current number of
  // entries (bytes), known 20 s after the first row; also logged then, and again when it
  // doubles. nullopt before, and without --csv-full-history.
  std::optional<double> history_bytes_per_day() const { return history_bytes_per_day_; }

 private:
  // One file replaced whole, with the time of its last good write.
  struct replaced_file {
    file_health health;
    double written_wall_s = 0;
  };
  // One second's history rows, not yet written.
  struct held_rows {
    int64_t second;
    std::string rows;
  };

  csv_sink(std::string prefix, settings s, file_io& io, append_file history);
  void replace(replaced_file& f, const std::string& content, double wall_s);
  void write_history(const stats::snapshot& s);
  // Opens the history file again when it was deleted under us (or a re-creation failed).
  std::error_code open_history(double wall_s);
  void note_history_cost(const std::string& rows, double wall_s);
  void publish_status();

  std::string prefix_;
  settings settings_;
  file_io& io_;
  replaced_file stats_, failures_, exceptions_;
  append_file history_;
  file_health history_health_;
  std::deque<held_rows> held_;
  size_t held_bytes_ = 0;
  // Seconds of history dropped from a full buffer: how many, the first and last, and why.
  uint64_t lost_seconds_ = 0;
  int64_t lost_first_ = 0, lost_last_ = 0;
  std::string lost_why_;
  double deleted_at_wall_s_ = 0;  // when the history file was found deleted (0: never)
  int64_t last_history_second_ = -1;
  uint64_t seen_ = 0;
  // --csv-full-history cost: the last 10 seconds' row bytes, the first row's time.
  std::array<size_t, 10> recent_bytes_{};
  uint64_t history_seconds_ = 0;
  double first_history_wall_s_ = 0;
  std::optional<double> history_bytes_per_day_;
  double logged_bytes_per_day_ = 0;
};

}  // namespace endure::sinks
