// engine::runner: runs one load test in this process: spawns users over --threads shards at the
// spawn rate, stops them at the run time or on request, collects interval statistics and publishes
// snapshots through hooks. Knows nothing of consoles, files, web or rpc: sinks subscribe.
// Construct, subscribe, then call run() on the control thread; request_stop() is thread-safe.
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
#include "engine/user_shard.hpp"
#include "stats/snapshot.hpp"

namespace endure::detail {
struct class_spec;
}

namespace endure::engine {

// What a load shape asks for at a moment of the run (Locust's tick() tuple).
struct shape_tick {
  uint64_t users = 0;
  double spawn_rate = 1;
  std::vector<std::string> user_classes;  // empty: every class, by weight
};

struct run_config {
  uint64_t users = 1;
  double spawn_rate = 1;                              // users per second
  std::optional<std::chrono::milliseconds> run_time;  // none: until stopped
  std::chrono::milliseconds stop_timeout{0};          // graceful time for running tasks
  int threads = 1;                                    // shards
  std::string host;                                   // --host; overrides classes' host
  client::client_options client;
  std::optional<uint64_t> seed;                       // reproducible task choices
  std::optional<uint64_t> iterations;                 // -i: stop after this many task runs
  std::vector<std::string> tags, exclude_tags;
  bool reset_stats = false;                           // reset statistics once spawning completes
  std::chrono::milliseconds interval{1000};           // statistics interval
  bool handle_signals = false;                        // SIGINT/SIGTERM: stop; 2nd SIGINT: force
  // A load shape: called about once a second with the run time and the live user count; its
  // answer sets the user targets; nullopt ends the test. Replaces users/spawn_rate. Called on
  // the control thread.
  std::function<std::optional<shape_tick>(double run_time_s, uint64_t user_count)> shape;
  // Makes the shards; empty: C++ user shards (engine::shard). Python users bring their own.
  shard_factory make_shard;
};

struct hooks {
  std::vector<std::function<void()>> test_start;
  std::vector<std::function<void(uint64_t user_count)>> spawning_complete;
  std::vector<std::function<void(const stats::snapshot_ptr&)>> snapshot;  // every interval + final
  std::vector<std::function<void()>> reset_stats;  // --reset-stats took effect
  std::vector<std::function<void()>> test_stopping;
  std::vector<std::function<void()>> test_stop;
};

class runner {
 public:
  runner(run_config cfg, std::vector<user_class> classes);
  // C++ user classes.
  runner(run_config cfg, const std::vector<const detail::class_spec*>& classes);
  ~runner();
  runner(const runner&) = delete;
  runner& operator=(const runner&) = delete;

  hooks& events();
  // Runs the test to its end on the calling thread. Returns the final snapshot.
  stats::snapshot_ptr run();
  // Thread-safe and signal-safe to call from another thread. force: kill users at once.
  void request_stop(bool force = false);
  // Why the run ended: "run time", "iterations", "signal", "stop_test", "stop requested".
  std::string stop_reason() const;
  // True when a shard thread was stuck in user code at the end and had to be abandoned: the
  // process should end with std::_Exit after its outputs are written.
  bool abandoned_threads() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace endure::engine
