// sinks::console_sink: Locust-style stats tables on a FILE* (stdout by default): the table every
// 2nd snapshot while running (the busiest entries only, see console_options::max_rows), and the
// full summary (whole-run rates, every entry) on the final snapshot.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>

#include "report/console.hpp"
#include "sinks/file_util.hpp"
#include "sinks/final_annex.hpp"
#include "sinks/sink.hpp"

namespace endure::sinks {

class console_sink final : public sink {
 public:
  // only_summary: print nothing until the final summary (--only-summary).
  // print_stats: print the periodic tables at all (off when e.g. the web UI runs).
  // The final summary is printed in every case. `out` is not owned and must outlive the sink;
  // `label` names it in the log and the status ("stdout").
  console_sink(std::FILE* out, bool only_summary, bool print_stats,
               report::console_options options = {}, std::string label = "stdout");
  void on_snapshot(const stats::snapshot& s) override;
  // Text printed right after the final summary (the soak verdict). Before the run starts.
  void set_annex(annex_source source) { annex_ = std::move(source); }

 private:
  void print(const std::string& text, bool is_summary);

  std::FILE* out_;
  bool only_summary_, print_stats_;
  report::console_options options_;
  uint64_t seen_ = 0;
  file_health health_;
  uint64_t tables_lost_ = 0;
  std::string tables_lost_why_;
  std::string summary_lost_;  // why the final summary could not be printed ("" when it was)
  annex_source annex_;
};

}  // namespace endure::sinks
