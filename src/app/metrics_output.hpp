// app::metrics_output: Prometheus's /metrics for a headless run
// (--metrics-port): the run bus's records feed an exports::prom_exposition on a
// queue of its own (the engine never waits), and a small HTTP server on its own
// thread answers GET /metrics. At the end, when something has been scraping,
// the final values stay served until one more scrape has read them (at most a
// few seconds), so that Prometheus's increase() over the run equals endure's
// totals.
#pragma once
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

#include "base/result.hpp"
#include "cli/options.hpp"
#include "engine/async_output.hpp"
#include "engine/event_bus.hpp"
#include "exports/prom_exposition.hpp"

namespace endure::server {
class http_server;
}

namespace endure::app {

class metrics_output {
public:
  // nullptr without --metrics-port; an error when the port cannot be bound
  // (exit code 2).
  static base::result<std::unique_ptr<metrics_output>>
  open(const cli::options &o);
  // The same page without a port of its own, for the web UI's GET /metrics (web mode).
  static base::result<std::unique_ptr<metrics_output>>
  for_web_ui(const cli::options &o);
  // The page now (counts as a scrape for finish()). Any thread.
  std::string scrape();
  ~metrics_output();
  metrics_output(const metrics_output &) = delete;
  metrics_output &operator=(const metrics_output &) = delete;

  void attach(engine::run_bus &bus);
  // Waits for the queue, then (when something scraped during the run) for one
  // scrape of the final values, at most `linger`.
  void finish(std::chrono::milliseconds linger);
  uint16_t port() const;

private:
  metrics_output(std::unique_ptr<exports::prom_exposition> e,
                 std::unique_ptr<server::http_server> s);

  std::unique_ptr<exports::prom_exposition> exposition_;
  std::unique_ptr<server::http_server> server_;
  std::mutex mutex_;
  std::condition_variable scraped_;
  uint64_t scrapes_ = 0;
  std::unique_ptr<engine::async_output<engine::run_item>> queue_;
  engine::subscription sub_;
};

} // namespace endure::app
