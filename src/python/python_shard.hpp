// python::python_shard: engine::user_shard for Python users: one thread (the greenlet hub, see
// hub.hpp) holding the GIL while it runs. The controller calls it from its control thread; every
// call is posted into the hub's loop. Python users always run on exactly one shard per process.
#pragma once
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "engine/user_shard.hpp"

namespace endure::python {

struct hub;
struct hub_config;

class python_shard final : public engine::user_shard {
 public:
  python_shard(const engine::shard_config& shards, const hub_config& config);
  ~python_shard() override;
  python_shard(const python_shard&) = delete;
  python_shard& operator=(const python_shard&) = delete;

  void start() override;
  bool join_for(std::chrono::milliseconds limit) override;
  void begin_test(std::shared_ptr<const engine::test_settings> settings,
                  std::shared_ptr<engine::test_shared> shared) override;
  void set_targets(const std::vector<uint64_t>& users_per_class) override;
  void set_arrivals(const engine::arrival_targets& a) override;
  std::vector<uint64_t> live_users_by_class() const override;
  void stop_all(bool force) override;
  stats::shard_recorder& recorder() override;
  uint64_t live_users() const override;
  uint64_t loop_turns() const override;
  double take_loop_lag_ms() override;
  // Thread-safe, without the GIL (the stuck-shard report): "UserClass.task" (or
  // "UserClass.TaskSet.task", "UserClass.on_start", "a spawned greenlet (gevent.spawn)",
  // "events.test_start listeners") while Python code runs on the hub; else the class of the user
  // running now; empty when none.
  std::string current_task() const override;

  // Shared with python::program: true once the hub thread has ended (it holds the GIL until then).
  std::shared_ptr<std::atomic<bool>> finished() const { return finished_; }
  // Thread-safe: fires a runner event (test_start, spawning_complete ...) in Python, on the hub.
  void fire(const char* event, uint64_t user_count);

 private:
  std::unique_ptr<hub> hub_;
  std::thread thread_;
  std::shared_ptr<std::atomic<bool>> finished_ = std::make_shared<std::atomic<bool>>(false);
};

}  // namespace endure::python
