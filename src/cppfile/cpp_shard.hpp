// cppfile::cpp_shard: C++ users (coroutines from a C++ locustfile) on one thread and one event loop
// that owns them, their connections and a stats recorder. Implements engine::user_shard: the
// controller talks to it only through posts into its loop (and takes its recorder's deltas).
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/user_shard.hpp"
#include "stats/histogram.hpp"
#include "stats/recorder.hpp"

namespace endure::detail {
struct class_spec;
}

namespace endure::cppfile {

class cpp_environment;

class cpp_shard final : public engine::user_shard {
 public:
  // env: the locustfile's environment and events (shared by its shards); null: a private one
  // (tests that run classes compiled into the test binary).
  cpp_shard(int index, const engine::shard_config& config,
            std::shared_ptr<cpp_environment> env = nullptr);
  ~cpp_shard() override;
  cpp_shard(const cpp_shard&) = delete;
  cpp_shard& operator=(const cpp_shard&) = delete;

  void start() override;
  bool join_for(std::chrono::milliseconds limit) override;
  void begin_test(std::shared_ptr<const engine::test_settings> settings,
                  std::shared_ptr<engine::test_shared> shared) override;
  void set_targets(const std::vector<uint64_t>& users_per_class) override;
  void set_arrivals(const engine::arrival_targets& a) override;
  std::vector<uint64_t> live_users_by_class() const override;
  // How late arrivals were dispatched so far, in us (the open model's timer precision; bench).
  stats::histogram arrival_lateness();
  void stop_all(bool force) override;
  stats::shard_recorder& recorder() override;
  uint64_t live_users() const override { return live_.load(); }
  // Users asked for by set_targets that the shard's loop has not started yet (any thread): with
  // live_users(), what Locust's runner.user_count counts right after a spawn step.
  uint64_t starting_users() const { return starting_.load(); }
  uint64_t loop_turns() const override;
  double take_loop_lag_ms() override;
  std::string current_task() const override;

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
  std::atomic<uint64_t> live_{0};
  std::atomic<uint64_t> starting_{0};
  std::vector<uint64_t> posted_;  // the targets posted so far this test (control thread)
};

// The class handle cppfile puts in engine::user_class::handle.
inline const detail::class_spec* spec_of(const engine::user_class& c) {
  return static_cast<const detail::class_spec*>(c.handle);
}

}  // namespace endure::cppfile
