// sinks::html_sink: --html. Keeps a bounded chart series (O(1) memory in run length) and writes
// the self-contained report at the final snapshot, or on demand (e.g. on a signal). Its status
// is incomplete until the report is written at the end.
#pragma once
#include <string>

#include "base/result.hpp"
#include "report/html.hpp"
#include "sinks/bounded_series.hpp"
#include "sinks/file_io.hpp"
#include "sinks/file_util.hpp"
#include "sinks/final_annex.hpp"
#include "sinks/sink.hpp"

namespace endure::sinks {

class html_sink final : public sink {
 public:
  // `io` is not owned (the real files by default).
  html_sink(std::string path, report::html_run_info info, size_t max_points = 1500,
            file_io& io = real_file_io());
  void on_snapshot(const stats::snapshot& s) override;
  // Writes the report from the latest snapshot seen (atomically). Error when none was seen yet
  // or the file cannot be written. Same thread as on_snapshot.
  base::result<base::unit> write_now();
  const bounded_series& series() const { return series_; }
  // A section added to the final report (the soak verdict). Before the run.
  void set_annex(annex_source source) { annex_ = std::move(source); }

 private:
  std::string path_;
  report::html_run_info info_;
  bounded_series series_;
  stats::snapshot last_;
  bool has_last_ = false;
  file_io& io_;
  file_health health_;
  annex_source annex_;
};

}  // namespace endure::sinks
