// test_support::runner: one test run to its end in-process, on the real engine (controller,
// totals, event loop on the calling thread), with the flat settings the engine tests use.
// C++ user classes of the test binary run on cppfile's shards; a locustfile brings its own.
#pragma once
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/session.hpp"
#include "engine/controller.hpp"
#include "engine/locustfile.hpp"
#include "engine/totals_stage.hpp"

namespace endure::detail {
struct class_spec;
}

namespace endure::test_support {

struct run_config {
  uint64_t users = 1;
  double spawn_rate = 1;
  std::optional<std::chrono::milliseconds> run_time;
  std::chrono::milliseconds stop_timeout{0};
  int threads = 1;
  std::string host;
  client::client_options client;
  std::optional<uint64_t> seed;
  std::optional<uint64_t> iterations;
  std::vector<std::string> tags, exclude_tags;
  bool reset_stats = false;
  engine::shape_fn shape;
  std::chrono::milliseconds interval{1000};
};

class runner {
 public:
  runner(run_config cfg, std::vector<const detail::class_spec*> classes);
  // The locustfile's classes, shards and shape (configure() is called here).
  runner(run_config cfg, engine::locustfile& lf, const nlohmann::json& parsed_options = {});
  ~runner();

  // Before run(): called on the totals thread for every snapshot / on the control thread for
  // every event.
  void on_snapshot(std::function<void(const stats::snapshot_ptr&)> f);
  void on_event(std::function<void(const engine::run_event&)> f);
  // On the control thread for every interval record, as it is published.
  void on_record(std::function<void(const stats::record_ptr&)> f);
  // Runs the test to its end; the final snapshot (null when configure() refused).
  stats::snapshot_ptr run();
  // Thread-safe.
  void request_stop();
  const engine::test_outcome& outcome() const { return outcome_; }
  bool threads_joined() const { return joined_; }
  const engine::controller_config& config() const { return ccfg_; }

 private:
  run_config cfg_;
  engine::controller_config ccfg_;
  engine::locustfile* lf_ = nullptr;
  bool configured_ = true;
  std::vector<std::function<void(const stats::snapshot_ptr&)>> snapshot_fns_;
  std::vector<std::function<void(const engine::run_event&)>> event_fns_;
  std::vector<std::function<void(const stats::record_ptr&)>> record_fns_;
  std::atomic<engine::controller*> ctl_{nullptr};
  engine::test_outcome outcome_;
  bool joined_ = true;
};

// engine::user_class entries for C++ classes of the test binary.
std::vector<engine::user_class> cpp_classes(const std::vector<const detail::class_spec*>& specs);

}  // namespace endure::test_support
