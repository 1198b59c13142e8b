// app::influx_output: --influxdb. Subscribed to the run bus on a queue of its
// own, it turns each interval record into line protocol (exports::influx_lines)
// and hands it to an exports::influx_writer (its own thread, bounded, batched,
// retried). At the end it sends what is queued (a few seconds at most) and
// reports the points written and dropped.
#pragma once
#include <chrono>
#include <memory>

#include "base/result.hpp"
#include "cli/options.hpp"
#include "engine/async_output.hpp"
#include "engine/event_bus.hpp"
#include "exports/influx_lines.hpp"
#include "exports/influx_writer.hpp"

namespace endure::app {

class influx_output {
public:
  // nullptr without --influxdb; an error for a malformed URL or incomplete 2.x
  // credentials.
  static base::result<std::unique_ptr<influx_output>>
  open(const cli::options &o);
  ~influx_output();
  influx_output(const influx_output &) = delete;
  influx_output &operator=(const influx_output &) = delete;

  void attach(engine::run_bus &bus);
  // Sends what is left (at most `limit`), then logs the counts.
  void finish(std::chrono::milliseconds limit);

private:
  influx_output(std::unique_ptr<exports::influx_writer> w,
                exports::influx_tags tags, std::string display);
  std::unique_ptr<exports::influx_writer> writer_;
  exports::influx_tags tags_;
  std::string display_;
  std::unique_ptr<engine::async_output<engine::run_item>> queue_;
  engine::subscription sub_;
};

} // namespace endure::app
