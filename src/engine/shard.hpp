// engine::shard: one thread and one event loop owning its users, their connections and a stats
// recorder. Everything inside runs on the shard's thread; the runner talks to it only by post().
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "client/session.hpp"
#include "stats/recorder.hpp"

namespace endure::detail {
struct class_spec;
}

namespace endure::engine {

struct run_config;

// State shared by all shards of a run (read-mostly, atomics where written).
struct run_shared {
  const run_config* cfg = nullptr;
  std::atomic<uint64_t> task_runs{0};         // for -i/--iterations
  std::atomic<bool> iterations_reached{false};
  std::atomic<bool> stop_test_requested{false};
  std::function<void()> on_stop_test;         // thread-safe: asks the runner to stop
};

// Per-class data computed once: tasks filtered by tags, cumulative weights.
struct class_plan;

class shard {
 public:
  shard(int index, run_shared& shared);
  ~shard();
  shard(const shard&) = delete;
  shard& operator=(const shard&) = delete;

  void start();  // starts the thread
  void join();   // stops the loop and joins (users must be gone)

  // Thread-safe entry points (post into the shard's loop):
  void spawn(const detail::class_spec* cls, size_t class_index, uint64_t user_seed);
  // Stops `count` users of class_index (most recent first); count = SIZE_MAX: all.
  void stop_users(size_t class_index, uint64_t count, bool force);
  void stop_all(bool force);
  // Takes the interval delta on the shard thread and hands it to `done` (on the shard thread).
  void take_delta(std::function<void(stats::shard_delta&&)> done);

  uint64_t live_users() const { return live_.load(); }

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
  std::atomic<uint64_t> live_{0};
};

}  // namespace endure::engine
