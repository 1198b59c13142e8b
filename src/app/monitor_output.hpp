// app::monitor_output: target monitoring for a run. Built from the options
// before the run (a bad pid, name, path or URL fails then, exit code 2), it
// owns the monitor::sampler (one thread per source) whose samples the
// controller puts into every interval record (feed()), so they reach the store,
// the CSV, the soak verdict and every other output with the load. Subscribed to
// the run bus on its own queue, it keeps a bounded summary per series (first,
// last, min, max, slope, a chart's points) for the console summary and the HTML
// report (annex()).
#pragma once
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "base/result.hpp"
#include "cli/options.hpp"
#include "engine/async_output.hpp"
#include "engine/event_bus.hpp"
#include "monitor/sampler.hpp"
#include "report/monitor.hpp"
#include "sinks/final_annex.hpp"

namespace endure::app {

class monitor_output {
public:
  // nullptr when the options ask for no monitoring.
  static base::result<std::unique_ptr<monitor_output>>
  open(const cli::options &o, std::chrono::milliseconds interval);
  ~monitor_output();
  monitor_output(const monitor_output &) = delete;
  monitor_output &operator=(const monitor_output &) = delete;

  // For controller_config::monitor: the samples since the last call (never
  // blocks).
  std::function<std::vector<stats::monitor_sample>()> feed();
  void attach(engine::run_bus &bus);
  void start() { sampler_->start(); }
  // Ends the sampling threads (after the test stopped) and waits for the queue.
  bool drain(std::chrono::milliseconds limit);
  // Adds the monitoring table (console) and section (HTML) before what `inner`
  // adds.
  sinks::annex_source annex(sinks::annex_source inner);

  // The summary per series and the sources that failed, once the final record is in (waiting
  // up to `wait` for it): the console table, the HTML section and --summary-json.
  struct summary_state {
    std::vector<report::monitor_summary> rows;
    std::vector<std::string> problems;  // "pid 4242: 3 failed samples (last: ...)"
    double start_s = 0;                 // the first record's start (Unix seconds)
  };
  summary_state summary(std::chrono::milliseconds wait) const;

private:
  explicit monitor_output(std::unique_ptr<monitor::sampler> s);
  void consume(const engine::run_item &item);

  std::unique_ptr<monitor::sampler> sampler_;
  mutable std::mutex mutex_;
  mutable std::condition_variable ready_;
  bool final_seen_ = false;
  double start_s_ = 0;
  report::monitor_accumulator series_;
  std::unique_ptr<engine::async_output<engine::run_item>> queue_;
  engine::subscription sub_;
};

} // namespace endure::app
