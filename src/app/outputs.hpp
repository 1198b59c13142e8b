// app outputs: the console, CSV, JSON and HTML outputs a run's options ask for, each on its own
// thread behind an engine::async_output subscribed to the snapshot bus (files lossless, the
// console latest-only), so no output can slow the engine or another output.
#pragma once
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "cli/options.hpp"
#include "engine/async_output.hpp"
#include "engine/totals_stage.hpp"
#include "report/html.hpp"
#include "sinks/final_annex.hpp"
#include "sinks/sink.hpp"

namespace endure::app {

class outputs {
 public:
  // Opens every output first, so a bad path fails before the run with nothing half written.
  // per_class: also PREFIX_users.csv (the open model or session churn is on). `annex` adds to the
  // final console summary, JSON and HTML (the soak verdict); may be empty.
  static base::result<std::unique_ptr<outputs>> open(const cli::options& o,
                                                     const report::html_run_info& info,
                                                     bool per_class = false,
                                                     sinks::annex_source annex = {});
  ~outputs();
  outputs(const outputs&) = delete;
  outputs& operator=(const outputs&) = delete;

  void attach(engine::snapshot_bus& bus);
  // Waits until each output has written every snapshot published so far.
  bool drain(std::chrono::milliseconds limit);
  // After drain(): the files that could not be written whole (and --logfile's lost lines).
  std::vector<sinks::file_problem> incomplete() const;

 private:
  outputs() = default;
  void add(std::string name, engine::output_policy policy, std::unique_ptr<sinks::sink> s);

  struct one {
    std::unique_ptr<sinks::sink> sink;
    std::unique_ptr<engine::async_output<stats::snapshot_ptr>> queue;
  };
  std::vector<one> outs_;
  std::vector<engine::subscription> subs_;
};

}  // namespace endure::app
