// app signals: SIGINT and SIGTERM stop the test (its --stop-timeout applies); a second SIGINT kills
// the users at once. Handled on the control thread's event loop, never in a signal handler.
#pragma once
#include <functional>
#include <memory>

#include "engine/asio_scheduler.hpp"
#include "engine/controller.hpp"

namespace endure::app {

class stop_signals {
 public:
  stop_signals(engine::asio_scheduler& sched, engine::controller& ctl);
  // The same for a run without a local controller (the master): stop on the first signal, kill
  // on a second SIGINT.
  stop_signals(engine::asio_scheduler& sched, std::function<void()> stop, std::function<void()> kill);
  ~stop_signals();
  stop_signals(const stop_signals&) = delete;
  stop_signals& operator=(const stop_signals&) = delete;
  bool received() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace endure::app
