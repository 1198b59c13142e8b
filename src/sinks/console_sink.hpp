// sinks::console_sink: Locust-style stats tables on a FILE* (stdout by default): the table every
// 2nd snapshot while running, and the full summary (whole-run rates) on the final snapshot.
#pragma once
#include <cstdio>

#include "report/console.hpp"
#include "sinks/sink.hpp"

namespace endure::sinks {

class console_sink final : public sink {
 public:
  // only_summary: print nothing until the final summary (--only-summary).
  // print_stats: print the periodic tables at all (off when e.g. the web UI runs).
  // The final summary is printed in every case. `out` is not owned and must outlive the sink.
  console_sink(std::FILE* out, bool only_summary, bool print_stats,
               report::console_options options = {});
  void on_snapshot(const stats::snapshot& s) override;

 private:
  std::FILE* out_;
  bool only_summary_, print_stats_;
  report::console_options options_;
  uint64_t seen_ = 0;
};

}  // namespace endure::sinks
