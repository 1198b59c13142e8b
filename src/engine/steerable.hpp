// engine::steerable: a load test as a service a front-end steers (the web UI, signals): start a
// test, edit its users and rate, stop it, reset the statistics, read its state. The standalone
// engine::controller implements it, and so does a master over its workers (dist::master_control),
// so the same UI serves both. Every member may be called from any thread; commands are carried
// out on the implementation's own (control) thread, in the order given.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "stats/snapshot.hpp"

namespace endure::engine {

struct test_plan;  // engine/controller.hpp

// One worker as a master sees it (Locust's web API "workers" items).
struct worker_status {
  std::string id;
  std::string state;  // ready, spawning, running, stopped, missing
  uint64_t user_count = 0;
  double cpu_percent = 0;      // of one core, as the worker last said
  uint64_t memory_bytes = 0;   // its RSS, as the worker last said
  // Seconds since the master last heard from it (any message), as of the master's last view
  // refresh (once a second): the master's own clock, nothing more on the wire.
  double last_heard_s = 0;
};

class steerable {
 public:
  virtual ~steerable() = default;
  // Starts a test (ignored, and logged, while one runs).
  virtual void start(test_plan plan) = 0;
  // New user targets for the running test (Locust's edit).
  virtual void set_users(uint64_t users, double spawn_rate, std::vector<std::string> user_classes = {}) = 0;
  // Stops the test: running tasks get `grace` (default: the plan's stop timeout).
  virtual void stop(std::string reason = "stop requested",
                    std::optional<std::chrono::milliseconds> grace = std::nullopt) = 0;
  virtual void reset_stats() = 0;

  virtual stats::run_state state() const = 0;
  virtual uint64_t user_count() const = 0;
  virtual uint64_t tests_started() const = 0;
  // Why a start would be refused now ("" : it would not be), e.g. a master with no worker.
  virtual std::string start_refusal() const { return {}; }
  // A master's workers; a standalone run has none.
  virtual bool is_distributed() const { return false; }
  virtual std::vector<worker_status> workers() const { return {}; }
};

}  // namespace endure::engine
