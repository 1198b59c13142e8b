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
#include "engine/user_shard.hpp"
#include "stats/recorder.hpp"

namespace endure::detail {
struct class_spec;
}

namespace endure::engine {

// Per-class data computed once: tasks filtered by tags, cumulative weights.
struct class_plan;

// C++ users: coroutines on one thread and one event loop.
class shard final : public user_shard {
 public:
  shard(int index, run_shared& shared);
  ~shard();
  shard(const shard&) = delete;
  shard& operator=(const shard&) = delete;

  void start() override;
  void join() override;
  bool join_for(std::chrono::milliseconds limit) override;
  void spawn(const user_class& cls, size_t class_index, uint64_t user_seed) override;
  void stop_users(size_t class_index, uint64_t count, bool force) override;
  void stop_all(bool force) override;
  void take_delta(std::function<void(stats::shard_delta&&)> done) override;
  uint64_t live_users() const override { return live_.load(); }

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
  std::atomic<uint64_t> live_{0};
};

}  // namespace endure::engine
