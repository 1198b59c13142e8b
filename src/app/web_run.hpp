// app::web_run: the web mode of a run (no --headless): serves the web UI from this process, lets
// it start, edit, stop and restart tests on what it steers (the standalone controller, or a
// master over its workers), and says when the process should end (Ctrl-C, or --autoquit after a
// test). standalone.cpp and master_run.cpp wire it in; the run itself (buses, outputs, exit code)
// stays there.
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "cli/options.hpp"
#include "engine/asio_scheduler.hpp"
#include "engine/controller.hpp"
#include "engine/steerable.hpp"
#include "engine/locustfile.hpp"
#include "engine/totals_stage.hpp"
#include "report/html.hpp"

namespace endure::app {

class web_run {
 public:
  // Starts serving (a port in use is an error now, before any test). base_plan: the command
  // line's test (users, rate, run time, shape, ...); a start from the UI changes users, rate,
  // host, run time and classes. store_file: this run's store ("" with --no-store); its folder is
  // the Runs page's. lf: the locustfile, for its own options and load shape in the start form
  // (null: neither). verdict_page: GET /verdict's JSON (the live soak verdict). Control thread.
  static base::result<std::unique_ptr<web_run>> open(const cli::options& o, engine::asio_scheduler& sched,
                                                     engine::steerable& ctl, engine::snapshot_bus& snapshots,
                                                     engine::test_plan base_plan,
                                                     std::vector<std::string> class_names,
                                                     report::html_run_info info, std::string tasks_json,
                                                     std::string store_file = "",
                                                     std::function<std::string()> metrics_page = {},
                                                     engine::locustfile* lf = nullptr,
                                                     std::function<std::string()> verdict_page = {});
  ~web_run();
  web_run(const web_run&) = delete;
  web_run& operator=(const web_run&) = delete;

  // Control thread: the process should end (a stop signal with no test running, or --autoquit
  // after the last test stopped).
  bool finished(bool signal_received);
  std::string url() const;

  struct impl;

 private:
  explicit web_run(std::unique_ptr<impl> im);
  std::unique_ptr<impl> impl_;
};

}  // namespace endure::app
