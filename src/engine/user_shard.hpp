// engine::user_shard: what the run controller needs from a group of users on one thread,
// whatever language they are written in (C++ coroutines in cppfile/, Python greenlets in
// python/), and what a remote worker provides too: absolute user targets per class in, interval
// deltas out. The controller calls these from its control thread; implementations post into
// their own loop. The shard owns its users, their connections and its stats recorder.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/session.hpp"
#include "stats/recorder.hpp"

namespace endure::engine {

// A user class as the controller sees it: its weight and host, and what the front-end needs to
// make one (`handle`: the front-end's class, owned by it).
struct user_class {
  std::string name;
  int weight = 1;
  int fixed_count = 0;
  std::string host;
  bool needs_host = true;  // an HTTP user (a plain User makes no request through endure's client)
  const void* handle = nullptr;
  // The open model: the class's own arrivals per second (a Python class's arrival_rate, C++
  // u.arrival_rate()); nullopt: a share of --arrival-rate by weight.
  std::optional<double> arrival_rate;
  // Session churn of the class's own (a Python class's session_length, C++ u.session_length()):
  // a random length in [min, max] ms per user; 0: the run's --session-length.
  int64_t session_min_ms = 0, session_max_ms = 0;
};

// What every shard of the process shares for its whole life.
struct shard_config {
  client::client_options client;
  std::vector<std::string> tags, exclude_tags;
  std::vector<user_class> classes;  // indices are class indices everywhere
};

// What one test sets (a new test may change them: the web UI's host field).
struct test_settings {
  uint64_t test = 0;                    // 1, 2, ... within the process
  std::string host;                     // --host; empty: each class's own host
  std::optional<uint64_t> iterations;   // -i: stop after this many task runs in total
  uint64_t seed = 0;                    // users' seeds derive from it
  // Session churn (--session-length MIN..MAX): a user ends after a random time in the range and
  // a fresh user of its class takes its place. 0: sessions last the whole test.
  int64_t session_min_ms = 0, session_max_ms = 0;
};

// The open model's share of one shard: arrivals per second and the pool's cap, per class.
struct arrival_targets {
  std::vector<double> rate_per_class;        // 0: no arrivals for that class
  std::vector<uint64_t> max_users_per_class;  // users the shard may have per class
  bool poisson = false;                      // exponential gaps instead of even ones
};

// Shared by the shards of a test and the controller: counters written from shard threads.
struct test_shared {
  std::atomic<uint64_t> task_runs{0};          // for -i/--iterations
  std::atomic<bool> iterations_reached{false};
  // Thread-safe: asks the controller to stop the test (StopTest, the last iteration).
  std::function<void(const char* reason)> request_stop;
};

class user_shard {
 public:
  virtual ~user_shard() = default;
  virtual void start() = 0;  // starts the shard's thread
  // Stops its loop and joins; false when the thread did not end within `limit` (stuck in user
  // code): it is then detached and abandoned.
  virtual bool join_for(std::chrono::milliseconds limit) = 0;
  // Thread-safe. Called before the first targets of each test.
  virtual void begin_test(std::shared_ptr<const test_settings> settings,
                          std::shared_ptr<test_shared> shared) = 0;
  // Thread-safe: this shard's absolute number of users per class (indexed like
  // shard_config::classes). The shard spawns or stops users (the most recent first, gracefully)
  // to reach them.
  virtual void set_targets(const std::vector<uint64_t>& users_per_class) = 0;
  // Thread-safe: the open model. Iterations start at these rates, each run by a free user of
  // the class's pool (a new one while the pool is below its cap; else the arrival is dropped and
  // counted). Replaces set_targets for the test.
  virtual void set_arrivals(const arrival_targets& a) = 0;
  // Users alive per class now (any thread).
  virtual std::vector<uint64_t> live_users_by_class() const = 0;
  // Thread-safe: stops every user; force kills them in their current request or wait.
  virtual void stop_all(bool force) = 0;
  // Any thread: the recorder the control thread takes interval deltas from.
  virtual stats::shard_recorder& recorder() = 0;
  // Users alive now (spawned and not yet ended).
  virtual uint64_t live_users() const = 0;
  // Advances while the shard's loop turns (about every 100 ms): a value that stays put means the
  // loop is stuck in user code.
  virtual uint64_t loop_turns() const = 0;
  // The worst event-loop lag since the previous call, in ms (any thread).
  virtual double take_loop_lag_ms() = 0;
  // Where the shard's current user is ("Class.task"), for a stuck report; any thread.
  virtual std::string current_task() const = 0;
};

using shard_factory =
    std::function<std::unique_ptr<user_shard>(int index, const shard_config& config)>;

// Loop liveness for shard implementations: a 100 ms tick on the shard's loop calls beat(now_ns)
// with the time it was due; lag is how late it ran.
class loop_heartbeat {
 public:
  void beat(int64_t due_ns, int64_t now_ns) {
    turns_.fetch_add(1, std::memory_order_relaxed);
    const int64_t lag_us = (now_ns - due_ns) / 1000;
    int64_t cur = max_lag_us_.load(std::memory_order_relaxed);
    while (lag_us > cur && !max_lag_us_.compare_exchange_weak(cur, lag_us)) {
    }
  }
  uint64_t turns() const { return turns_.load(std::memory_order_relaxed); }
  double take_lag_ms() { return static_cast<double>(max_lag_us_.exchange(0)) / 1000.0; }
  static constexpr std::chrono::milliseconds period{100};

 private:
  std::atomic<uint64_t> turns_{0};
  std::atomic<int64_t> max_lag_us_{0};
};

}  // namespace endure::engine
