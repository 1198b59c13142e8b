// cppfile::cpp_environment: what a C++ locustfile's code sees of a run: its event hooks (fired
// from the run bus and the shards), the environment (options, user count, totals, quit) and the
// recorder behind events.request.fire. Shared by the locustfile and its shards; the environment's
// functions are safe from any thread. Knows nothing of consoles, files or the CLI.
#pragma once
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "endure/events.hpp"
#include "engine/event_bus.hpp"
#include "engine/user_shard.hpp"
#include "stats/recorder.hpp"

namespace endure::cppfile {

class cpp_shard;

class cpp_environment final : public endure::environment, private endure::detail::request_recorder {
 public:
  cpp_environment();
  ~cpp_environment() override;
  cpp_environment(const cpp_environment&) = delete;
  cpp_environment& operator=(const cpp_environment&) = delete;

  // endure::environment (any thread).
  endure::events& events() override { return events_; }
  const json& parsed_options() const override { return options_; }
  const std::string& host() const override { return host_; }
  uint64_t user_count() const override;
  stats_totals stats_total() const override;
  void quit() override;

  // Main thread, before any shard runs: the parsed options (Locust's names and the locustfile's
  // own) and --host. Read without a lock afterwards.
  void set_options(nlohmann::json parsed, std::string host);
  // One option's new value between tests (the web UI's start form); no user runs meanwhile.
  void set_option(const std::string& key, nlohmann::json value) { options_[key] = std::move(value); }
  // After the init listeners ran: no listener may be added any more (shards read them unlocked).
  void seal();

  // Shards register while they exist: user_count() and fire() from a thread of the user's own
  // reach them. Any thread.
  void add_shard(cpp_shard* s);
  void remove_shard(cpp_shard* s);
  // The control thread, when a test begins: quit() stops this test.
  void begin_test(std::shared_ptr<engine::test_shared> t);
  // Run bus items, on the control thread (the publishing thread), in order: the totals and the
  // run events' listeners.
  void on_run_item(const engine::run_item& item);

  // The recorder of the shard that runs on this thread (set by the shard's thread); fire() and
  // listener errors on that thread record there without a lock of ours.
  static void set_thread_recorder(stats::shard_recorder* r) noexcept;
  static stats::shard_recorder* thread_recorder() noexcept;

  // A failure of a request grouped by name= (its name is not its URL): the first of each
  // (method, name, error) is logged with the real URL, which the failures table cannot show (it
  // groups by name). At most max_named_failures_logged kinds are logged. Any thread.
  void note_named_failure(std::string_view method, std::string_view name, std::string_view error,
                          std::string_view url);
  static constexpr size_t max_named_failures_logged = 100;

  // What fire() records, as the recorder's sample (exposed for tests).
  static stats::request_sample sample_of(const request_event& e, double now_wall_s) noexcept;

 private:
  void record(const request_event& e) noexcept override;

  endure::events events_;
  nlohmann::json options_ = nlohmann::json::object();
  std::string host_;

  mutable std::mutex mutex_;  // guards everything below
  std::vector<cpp_shard*> shards_;
  std::shared_ptr<engine::test_shared> test_;
  stats_totals totals_;
  uint64_t sum_us_ = 0, max_us_ = 0;
  double start_wall_s_ = 0, last_wall_s_ = 0;
  std::unordered_set<std::string> named_failures_logged_;
};

}  // namespace endure::cppfile
