// engine::controller: the load test as a steerable service. A state machine (ready, spawning,
// running, stopping, stopped) driven by commands (start, set targets, stop, reset statistics,
// start again), from the CLI, the web UI or a master, run on the scheduler it is given. It ramps
// user targets over its shards (or remote workers standing where shards stand), closes a
// wall-clock-aligned interval record every interval, and publishes records and events on the run
// bus. It knows nothing of consoles, files, web, store or rpc: those subscribe to the bus.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/scheduler.hpp"
#include "engine/event_bus.hpp"
#include "engine/steerable.hpp"
#include "engine/user_shard.hpp"
#include "stats/interval_record.hpp"
#include "stats/snapshot.hpp"

namespace endure::engine {

// What a load shape asks for at a moment of the test (Locust's tick() tuple).
struct shape_tick {
  uint64_t users = 0;
  double spawn_rate = 1;
  std::vector<std::string> user_classes;  // empty: every class, by weight
  std::string stage;                       // the shape's stage, for the outputs ("" when none)
};

// The open model: iterations start at a rate whatever the response times, each run by a free
// user of its class's pool, which grows up to max_users; an arrival that finds no free user is
// dropped and counted.
struct arrival_plan {
  // Arrivals per second at a test's run time (seconds): a constant, a ramp, a built-in shape.
  std::function<double(double run_time_s)> rate;
  // The stage of the rate's shape at a run time ("" when none).
  std::function<std::string(double run_time_s)> stage;
  bool poisson = false;    // exponential gaps between arrivals instead of even ones
  uint64_t max_users = 1000;  // the pools' cap, all classes together
  // Per class index: a rate of the class's own (the locustfile's), or nullopt: the class takes a
  // share of `rate` by its weight.
  std::vector<std::optional<double>> class_rates;
};
// Called about once a second on the control thread with the test's run time and live users;
// nullopt ends the test.
using shape_fn = std::function<std::optional<shape_tick>(double run_time_s, uint64_t user_count)>;

// The generator's own health, sampled once per interval on the control thread.
class health_sampler {
 public:
  virtual ~health_sampler() = default;
  // worst_loop_lag_ms: the worst shard loop lag in the interval; busy_threads: shards in use.
  virtual stats::generator_health sample(int64_t now_ns, double worst_loop_lag_ms,
                                         size_t busy_threads) = 0;
};
// CPU (getrusage), RSS (/proc/self/statm) and the saturation warning of this process.
std::unique_ptr<health_sampler> make_process_sampler();

struct controller_config {
  int threads = 1;  // shards
  shard_config shards;
  shard_factory make_shard;  // required: the front-end's shards
  std::chrono::milliseconds interval{1000};
  std::string node = "local";
  std::optional<uint64_t> seed;  // reproducible runs: test seeds derive from it
  // A shard whose loop has not turned for this long is reported stuck in user code.
  std::chrono::milliseconds stuck_after{3000};
  std::shared_ptr<health_sampler> sampler;  // null: no health figures
  // The target's samples taken since the last call (monitor::sampler::take, which never blocks):
  // put into each interval record as it closes, on the control thread. Empty: no monitoring.
  std::function<std::vector<stats::monitor_sample>()> monitor;
};

struct test_plan {
  uint64_t users = 1;
  double spawn_rate = 1;                  // users started (or stopped) per second
  std::vector<std::string> user_classes;  // the classes to run (empty: all, by weight)
  // Absolute users per class (a worker's targets from its master): replaces users and classes.
  std::optional<std::vector<uint64_t>> class_targets;
  std::optional<std::chrono::milliseconds> run_time;
  std::chrono::milliseconds stop_timeout{0};  // graceful time for running tasks at the stop
  std::optional<uint64_t> iterations;
  std::string host;                        // empty: each class's own host
  bool reset_stats_after_ramp = false;     // --reset-stats
  shape_fn shape;                          // replaces users/spawn_rate when set
  std::optional<arrival_plan> arrivals;    // the open model: replaces users, rate and shape
  // Session churn: each user's session lasts a random time in [min, max]; 0: the whole test.
  std::chrono::milliseconds session_min{0}, session_max{0};
  // The locustfile's own options set from the web UI's start form (by long name, as the command
  // line takes them): a standalone run has set them on its locustfile already; a master sends
  // them to its workers with the test's targets (Locust's parsed_options).
  std::map<std::string, std::string> custom_options;
};

struct test_outcome {
  uint64_t test = 0;
  std::string stop_reason;       // run time, shape, iterations, stop_test, signal, stop requested
  uint64_t abandoned_users = 0;  // users that did not stop in time
  std::vector<std::string> stuck;  // where stuck shards were: "Class.task"
  uint64_t peak_users = 0;
};

class controller final : public steerable {
 public:
  // The scheduler runs every command and timer (its thread is the control thread). Shards start
  // here and live until shutdown().
  controller(base::scheduler& sched, controller_config cfg, run_bus& bus);
  ~controller() override;
  controller(const controller&) = delete;
  controller& operator=(const controller&) = delete;

  // Commands: any thread; executed on the control thread in the order given. A command that does
  // not apply in the current state is logged and ignored (start while running, for example).
  void start(test_plan plan) override;
  // New user targets for the running test (the web UI's edit, a master's spawn message).
  void set_users(uint64_t users, double spawn_rate, std::vector<std::string> user_classes = {}) override;
  void set_class_targets(std::vector<uint64_t> users_per_class, double spawn_rate);
  // The open model: a new arrival plan for the running test (a worker's share of a master's rate
  // changed); ignored when the test does not run the open model.
  void set_arrivals(arrival_plan plan);
  // Stops the test: running tasks get `grace` (default: the plan's stop timeout), then are killed.
  void stop(std::string reason = "stop requested",
            std::optional<std::chrono::milliseconds> grace = std::nullopt) override;
  void kill();  // ends a stop at once: every user is killed in its request or wait
  void reset_stats() override;

  // Any thread.
  stats::run_state state() const override;
  uint64_t user_count() const override;
  uint64_t tests_started() const override;
  test_outcome outcome() const;  // of the last test that stopped
  const shard_config& shards() const;

  // Control thread, after the last test stopped: joins the shard threads. False when a thread was
  // stuck in user code and had to be left behind (end the process with _Exit after the outputs).
  bool shutdown(std::chrono::milliseconds per_shard = std::chrono::seconds(2));

  // The class index of a name, or -1.
  int class_index(const std::string& name) const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

const char* to_string(stats::run_state s);

}  // namespace endure::engine
