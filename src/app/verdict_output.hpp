// app::verdict_output: the soak verdict and the thresholds of a run. Subscribed to the run bus, it
// feeds an analysis::series_collector and an analysis::threshold_evaluator on its own thread (a
// lossless queue whose records coalesce when it falls behind, so the engine never waits on it),
// judges live every few intervals (logging each series' first DEGRADING or STEP CHANGE once a look
// at 1.5 times the elapsed time confirms it, and each threshold failure; stopping the test with
// --abort-on-threshold) and once more on the test's
// final record. The console, JSON and HTML outputs get the final verdict through annex(); the
// exit code reads final_result().
#pragma once
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "analysis/series_collector.hpp"
#include "analysis/threshold_eval.hpp"
#include "analysis/verdict.hpp"
#include "base/result.hpp"
#include "cli/options.hpp"
#include "engine/async_output.hpp"
#include "engine/event_bus.hpp"
#include "sinks/final_annex.hpp"

namespace endure::app {

// At the end of a test (or of `endure report`): a threshold that could not be measured is not met.
// Returns how many failed.
size_t settle_final_thresholds(std::vector<analysis::threshold_result>& results);
// Lists the failed thresholds on stderr ("endure: 2 thresholds failed:" then a line each) and
// returns true when there was one (the exit code becomes 3); prints nothing otherwise.
bool report_failed_thresholds(const std::vector<analysis::threshold_result>& results);

class verdict_output {
 public:
  struct settings {
    analysis::verdict_config verdict;
    std::vector<analysis::threshold> thresholds;
    bool abort_on_threshold = false;
    // How long the outputs wait for the final verdict at the end (it takes well under a second).
    std::chrono::milliseconds annex_wait{30'000};
  };
  // From the run's options (thresholds and limits were checked when read: an error here is a bug).
  static base::result<settings> settings_from(const cli::options& o);

  explicit verdict_output(settings s);
  ~verdict_output();
  verdict_output(const verdict_output&) = delete;
  verdict_output& operator=(const verdict_output&) = delete;

  // For outputs::open: the console table, JSON and HTML section of the final verdict.
  sinks::annex_source annex();
  // A resumed run (a master restarted on its store): the stored records of the current test, in
  // order, before attach().
  void seed(const stats::interval_record& r);
  // Subscribes to the bus; `stop` ends the test (--abort-on-threshold), from this output's thread.
  void attach(engine::run_bus& bus, std::function<void(const std::string& reason)> stop);
  // Waits until every item published so far is consumed.
  bool drain(std::chrono::milliseconds limit);

  struct final_state {
    analysis::soak_verdict verdict;
    std::vector<analysis::threshold_result> thresholds;
    size_t failed = 0;  // thresholds failed (no data at the end counts as failed)
    std::vector<std::string> failed_live;  // thresholds that failed while the test ran
    std::string aborted_by;  // the threshold that stopped it (--abort-on-threshold), or ""
  };
  // The final verdict of the last test, waiting up to `wait` for it.
  std::optional<final_state> final_result(std::chrono::milliseconds wait) const;
  // The latest judgement of the current test for the web UI, as JSON: every few intervals while
  // it runs (the judgement the live alarms come from), then the final one:
  // {"state": "none"|"live"|"final", "at": Unix s, "elapsed_s", "table": the console's text,
  //  "verdict": report::verdict_json (rows and thresholds)}. Any thread; never waits.
  std::string latest_json() const;

 private:
  void consume(const engine::run_item& item);
  void on_record(const stats::interval_record& r);
  void live(double elapsed_s);
  void finish();
  void publish(const analysis::soak_verdict& v, const std::vector<analysis::threshold_result>& t,
               const char* state, double elapsed_s);

  settings settings_;
  // The output's thread only.
  analysis::series_collector collector_;
  analysis::threshold_evaluator thresholds_;
  uint64_t since_live_ = 0;
  std::set<std::string> announced_, failed_live_;
  std::vector<std::string> failed_live_order_;
  std::string aborted_by_;
  std::map<std::string, double> pending_;  // series alarmed at every look since this elapsed time
  bool stopped_ = false, finished_ = false;
  std::function<void(const std::string&)> stop_;
  // Shared with the outputs' threads and the app.
  mutable std::mutex mutex_;
  mutable std::condition_variable ready_;
  std::optional<final_state> final_;
  std::string latest_;  // latest_json()'s answer; "" : none yet
  std::unique_ptr<engine::async_output<engine::run_item>> queue_;
  engine::subscription sub_;
};

// The final verdict's findings (every threshold's result, every non-stable verdict row) as events
// of the run's timeline, for its store (standalone and master alike).
std::vector<engine::run_event> soak_events(const verdict_output::final_state& soak, double wall_s, uint64_t test);

}  // namespace endure::app
