// engine::user_shard: what the runner needs from a group of users on one thread, whatever
// language they are written in (C++ coroutines in engine::shard; Python greenlets in python/).
// The runner calls these from its control thread; implementations post into their own loop.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "stats/recorder.hpp"

namespace endure::detail {
struct class_spec;
}

namespace endure::engine {

struct run_config;

// A user class as the runner sees it: its weight and host, and what the shard needs to make one.
struct user_class {
  std::string name;
  int weight = 1;
  int fixed_count = 0;
  std::string host;
  const detail::class_spec* cpp = nullptr;  // C++ users: their spec
  void* foreign = nullptr;                  // other front-ends' class handle (owned by them)
};

user_class make_user_class(const detail::class_spec* spec);

// State shared by all shards of a run (read-mostly, atomics where written).
struct run_shared {
  const run_config* cfg = nullptr;
  std::atomic<uint64_t> task_runs{0};         // for -i/--iterations
  std::atomic<bool> iterations_reached{false};
  std::function<void()> on_stop_test;         // thread-safe: asks the runner to stop
};

class user_shard {
 public:
  virtual ~user_shard() = default;
  virtual void start() = 0;  // starts the shard's thread
  virtual void join() = 0;   // stops its loop and joins (its users must be gone or abandoned)
  // Like join(), but gives up after `limit` (a thread stuck in user code); false: still running.
  virtual bool join_for(std::chrono::milliseconds limit) = 0;
  // Thread-safe: spawns one user of cls (index class_index in the run's class list).
  virtual void spawn(const user_class& cls, size_t class_index, uint64_t user_seed) = 0;
  // Thread-safe: stops `count` users of the class, most recent first.
  virtual void stop_users(size_t class_index, uint64_t count, bool force) = 0;
  virtual void stop_all(bool force) = 0;
  // Takes the interval delta on the shard's thread and hands it to `done` there.
  virtual void take_delta(std::function<void(stats::shard_delta&&)> done) = 0;
  virtual uint64_t live_users() const = 0;
};

using shard_factory = std::function<std::unique_ptr<user_shard>(int index, run_shared& shared)>;

}  // namespace endure::engine
