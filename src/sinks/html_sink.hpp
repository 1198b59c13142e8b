// sinks::html_sink: --html. Keeps bounded chart series (O(1) memory in run length: the run's, and
// the busiest endpoints') and writes the self-contained report atomically at the final snapshot,
// every info.rewrite_every_s of the run's time while it runs (so a week-long run has a current
// report, also after a crash), and on demand. Its status is incomplete until the final report.
#pragma once
#include <string>

#include "base/result.hpp"
#include "report/html.hpp"
#include "sinks/bounded_series.hpp"
#include "sinks/endpoint_series.hpp"
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
  const endpoint_series& endpoints() const { return endpoints_; }
  // Endpoints charted in the report (the busiest of those followed).
  static constexpr size_t charted_endpoints = 10;
  // A section added to the final report (the soak verdict). Before the run.
  void set_annex(annex_source source) { annex_ = std::move(source); }
  // The most stage bands kept for the charts (older ones merge).
  static constexpr size_t max_stage_bands = 200;
  const std::vector<report::chart_band>& stages() const { return info_.stages; }

 private:
  void track_stage(const stats::snapshot& s);
  std::string path_;
  report::html_run_info info_;
  bounded_series series_;
  endpoint_series endpoints_;
  double last_write_wall_s_ = 0;  // the snapshot time of the last mid-run write (0: none yet)
  stats::snapshot last_;
  bool has_last_ = false;
  file_io& io_;
  file_health health_;
  annex_source annex_;
};

}  // namespace endure::sinks
