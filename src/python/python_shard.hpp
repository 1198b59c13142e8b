// python::python_shard: engine::user_shard for Python users: one thread (the greenlet hub, see
// hub.hpp) holding the GIL while it runs. The runner calls it from its control thread; every call
// is posted into the hub's loop. Python users always run on exactly one shard per process.
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
  python_shard(engine::run_shared& shared, const hub_config& config);
  ~python_shard() override;
  python_shard(const python_shard&) = delete;
  python_shard& operator=(const python_shard&) = delete;

  void start() override;
  void join() override;
  bool join_for(std::chrono::milliseconds limit) override;
  void spawn(const engine::user_class& cls, size_t class_index, uint64_t user_seed) override;
  void stop_users(size_t class_index, uint64_t count, bool force) override;
  void stop_all(bool force) override;
  void take_delta(std::function<void(stats::shard_delta&&)> done) override;
  uint64_t live_users() const override;

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
