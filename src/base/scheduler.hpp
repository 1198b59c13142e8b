// base::scheduler: where the engine's control logic gets its time and runs its timers. The real
// one wraps an event loop (engine/asio_scheduler.hpp); sim_scheduler is a manual clock for tests,
// so ramps, shapes, stop timeouts and intervals over days run in milliseconds of real time.
// Everything posted or timed runs on the scheduler's one thread, in time order.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <unordered_map>
#include <utility>
#include <vector>

namespace endure::base {

class scheduler {
 public:
  using task = std::function<void()>;
  using timer_id = uint64_t;  // 0 is never a valid id

  virtual ~scheduler() = default;
  // Monotonic nanoseconds (arbitrary epoch) and wall-clock Unix seconds, on the same clock.
  virtual int64_t now_ns() const = 0;
  virtual double wall_s() const = 0;
  // Runs fn on the scheduler's thread soon. The real scheduler accepts posts from any thread.
  virtual void post(task fn) = 0;
  // Runs fn at monotonic time at_ns (at once when past). Scheduler thread only.
  virtual timer_id call_at(int64_t at_ns, task fn) = 0;
  timer_id call_after(std::chrono::nanoseconds d, task fn) { return call_at(now_ns() + d.count(), std::move(fn)); }
  // Forgets a timer that has not fired; ignores ids that fired or were cancelled. Scheduler thread.
  virtual void cancel(timer_id id) = 0;
};

// A scheduler on a manual clock, for single-threaded tests: time moves only in run_for/run_until,
// which fire every due timer and posted task in order.
class sim_scheduler final : public scheduler {
 public:
  explicit sim_scheduler(double start_wall_s = 1'767'225'600.0)  // 2026-01-01T00:00:00Z
      : wall_epoch_s_(start_wall_s) {}

  int64_t now_ns() const override { return now_ns_; }
  double wall_s() const override { return wall_epoch_s_ + static_cast<double>(now_ns_) / 1e9; }
  void post(task fn) override { posted_.push_back(std::move(fn)); }
  timer_id call_at(int64_t at_ns, task fn) override {
    const timer_id id = ++next_id_;
    const int64_t at = std::max(at_ns, now_ns_);
    timers_.emplace(std::make_pair(at, id), std::move(fn));
    when_.emplace(id, at);
    return id;
  }
  void cancel(timer_id id) override {
    auto w = when_.find(id);
    if (w == when_.end()) return;
    timers_.erase(std::make_pair(w->second, id));
    when_.erase(w);
  }

  // Runs posted tasks, then timers due up to `until_ns` in time order; the clock ends at until_ns.
  void run_until_ns(int64_t until_ns) {
    drain_posted();
    while (!timers_.empty() && timers_.begin()->first.first <= until_ns) {
      fire_first();
    }
    now_ns_ = std::max(now_ns_, until_ns);
  }
  void run_for(std::chrono::nanoseconds d) { run_until_ns(now_ns_ + d.count()); }
  // Runs until pred() holds (checked after each step) or `limit` of simulated time passes.
  // Returns pred().
  template <class Pred>
  bool run_until(Pred pred, std::chrono::nanoseconds limit) {
    const int64_t end = now_ns_ + limit.count();
    drain_posted();
    while (!pred()) {
      if (timers_.empty() || timers_.begin()->first.first > end) {
        now_ns_ = std::max(now_ns_, end);
        return pred();
      }
      fire_first();
    }
    return true;
  }
  size_t pending_timers() const { return timers_.size(); }
  // From inside a handler: the handler takes `d` (a blocked control loop). Time moves on and no
  // timer fires meanwhile; the ones that came due fire late, after the handler returns.
  void block_for(std::chrono::nanoseconds d) { now_ns_ += d.count(); }

 private:
  void fire_first() {
    auto node = timers_.extract(timers_.begin());
    now_ns_ = std::max(now_ns_, node.key().first);  // a late timer fires late, never in the past
    when_.erase(node.key().second);
    node.mapped()();
    drain_posted();
  }
  void drain_posted() {
    while (!posted_.empty()) {
      std::vector<task> batch;
      batch.swap(posted_);
      for (auto& f : batch) f();
    }
  }

  int64_t now_ns_ = 0;
  double wall_epoch_s_;
  timer_id next_id_ = 0;
  std::map<std::pair<int64_t, timer_id>, task> timers_;  // ordered by (time, id): FIFO at ties
  std::unordered_map<timer_id, int64_t> when_;
  std::vector<task> posted_;
};

}  // namespace endure::base
