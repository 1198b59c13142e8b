// Wait times between tasks, with Locust's formulas: between, constant, constant_pacing,
// constant_throughput. A wait_time is a function of the user's clock and random source.
#pragma once
#include <chrono>
#include <functional>
#include <algorithm>

namespace endure {

using seconds_d = std::chrono::duration<double>;

// What a wait-time function may ask of its user: a uniform random number from the user's seeded
// generator, and the monotonic time now.
struct wait_context {
  virtual ~wait_context() = default;
  virtual double uniform01() = 0;  // [0, 1)
  virtual seconds_d now() = 0;     // monotonic
  virtual seconds_d last_task_start() = 0;  // monotonic time the task just finished started
};

// Returns how long to wait before the next task. A negative value means "start now, and you are
// already that late": the engine uses it to correct latencies for coordinated omission. Each user (and task set) gets its own copy made
// by the factory, so state such as constant_pacing's last start is per user.
using wait_fn = std::function<seconds_d(wait_context&)>;
using wait_time_factory = std::function<wait_fn()>;

// Uniform random wait in [min, max] (Locust: between(min, max)).
template <class R1, class P1, class R2, class P2>
wait_time_factory between(std::chrono::duration<R1, P1> min, std::chrono::duration<R2, P2> max) {
  double lo = seconds_d(min).count(), hi = seconds_d(max).count();
  return [lo, hi] {
    return wait_fn([lo, hi](wait_context& c) { return seconds_d(lo + (hi - lo) * c.uniform01()); });
  };
}
inline wait_time_factory between(double min_s, double max_s) {
  return between(seconds_d(min_s), seconds_d(max_s));
}

// Always the same wait (Locust: constant(n)).
template <class R, class P>
wait_time_factory constant(std::chrono::duration<R, P> d) {
  double s = seconds_d(d).count();
  return [s] { return wait_fn([s](wait_context&) { return seconds_d(s); }); };
}
inline wait_time_factory constant(double s) { return constant(seconds_d(s)); }

// Starts a task every `period` (Locust: constant_pacing), on a fixed schedule: iteration k of a
// user starts at first + k x period, as wrk2 schedules requests. A task that overruns its period
// makes the next ones start at once until the user is back on schedule, and each of them is
// marked late by how far behind the schedule it started, so its requests carry that delay in
// their intended-start latency (coordinated omission corrected). Unlike Locust, which restarts
// the period from the late task, the user keeps the configured task rate over the run.
template <class R, class P>
wait_time_factory constant_pacing(std::chrono::duration<R, P> period) {
  double p = seconds_d(period).count();
  return [p] {
    return wait_fn([p, next = -1.0](wait_context& c) mutable {
      if (next < 0) next = c.last_task_start().count();
      next += p;
      return seconds_d(next - c.now().count());  // negative: that far behind the schedule
    });
  };
}
inline wait_time_factory constant_pacing(double s) { return constant_pacing(seconds_d(s)); }

// At most `per_second` task runs per second per user (Locust: constant_throughput), i.e.
// constant_pacing(1 / per_second).
inline wait_time_factory constant_throughput(double per_second) {
  return constant_pacing(seconds_d(per_second > 0 ? 1.0 / per_second : 0.0));
}

}  // namespace endure
