// engine::asio_scheduler: base::scheduler on an Asio io_context run by the calling thread (the
// control thread): steady_clock time, steady timers, posts from any thread. The app runs it with
// run_until(); signal handling and other control-thread work can share its io_context.
#pragma once
#include <chrono>
#include <functional>
#include <memory>

#include "base/scheduler.hpp"

namespace boost::asio {
class io_context;
}

namespace endure::engine {

class asio_scheduler final : public base::scheduler {
 public:
  asio_scheduler();
  ~asio_scheduler() override;
  asio_scheduler(const asio_scheduler&) = delete;
  asio_scheduler& operator=(const asio_scheduler&) = delete;

  int64_t now_ns() const override;
  double wall_s() const override;
  void post(task fn) override;
  timer_id call_at(int64_t at_ns, task fn) override;
  void cancel(timer_id id) override;

  // Runs the loop on this thread until done() holds (checked after each handler) or stop().
  void run_until(const std::function<bool()>& done);
  // Runs what is ready now without waiting.
  void poll();
  // Any thread: makes run_until return after the current handler.
  void stop();
  boost::asio::io_context& io();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace endure::engine
