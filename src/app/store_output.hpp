// app store output: the run store behind its own thread. It picks the store's path (--store, or
// ./runs/<start>-<locustfile>.db), creates it before the run (a path that cannot be written is
// refused with exit code 2), records what the run is (options, command line, locustfiles, classes,
// machine), then takes every interval record and event from the run bus on a lossless queue that
// merges intervals when the disk is slow, so the engine never waits on the disk.
#pragma once
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "cli/options.hpp"
#include "engine/async_output.hpp"
#include "engine/event_bus.hpp"
#include "engine/user_shard.hpp"
#include "sinks/sink.hpp"
#include "store/writer.hpp"

namespace endure::app {

// The store file for a run: `store_option` names a file or a folder ("" : ./runs); a folder gets a
// new file named after the start time and the locustfile. Creates the default folder; refuses a
// folder that does not exist or cannot be written (one line, exit code 2).
base::result<std::string> store_path(const std::string& store_option,
                                     const std::string& locustfile_spec, double start_wall_s);

// What a run is, for the store's run tables: options with their sources (secrets masked), the
// command line (secrets masked), the locustfile files and their contents, the classes.
store::run_meta run_meta_of(const cli::options& o, const std::vector<std::string>& command_line,
                            const std::vector<engine::user_class>& classes, const std::string& host,
                            double start_wall_s);

// A restarted master's run store: with --resume, --store's file, or the newest run that did not
// end in --store's folder (default ./runs); without it, --store's file when it holds a run that
// did not end (the same --store path). nullopt: a new store. Errors (exit code 2): --resume with
// nothing to resume, or a run that has ended.
base::result<std::optional<std::string>> resumable_store(const cli::options& o);

class store_output {
 public:
  // queue: records held before intervals are merged (the disk is slower than the run).
  static constexpr size_t default_queue = 120;
  static base::result<std::unique_ptr<store_output>> open(const std::string& path,
                                                          const store::run_meta& meta,
                                                          store::writer_settings settings = {},
                                                          size_t queue = default_queue);
  // Reopens the store of a run that did not end, to carry it on (store::writer::resume).
  static base::result<std::unique_ptr<store_output>> resume(const std::string& path,
                                                            store::resume_point& at,
                                                            size_t queue = default_queue);
  ~store_output();
  store_output(const store_output&) = delete;
  store_output& operator=(const store_output&) = delete;

  void attach(engine::run_bus& bus);
  // Any thread (attach() does this for every item of the bus).
  void push(const engine::run_item& item);
  // Waits until everything pushed so far is in the store (or could not be written).
  bool drain(std::chrono::milliseconds limit);
  // After drain(): the end record. False when the store is incomplete.
  bool finish(double end_wall_s, const std::string& reason, int exit_code);
  // The store as an incomplete output for the end summary (nullopt: whole).
  std::optional<sinks::file_problem> problem() const;
  const std::string& path() const { return writer_->path(); }
  engine::output_counters counters() const { return queue_->counters(); }
  // CPU time the store's thread has used so far (its share of the run's cost), seconds.
  double cpu_seconds() const { return static_cast<double>(cpu_ns_.load()) / 1e9; }

 private:
  store_output(std::unique_ptr<store::writer> w, size_t queue);
  std::unique_ptr<store::writer> writer_;
  std::atomic<int64_t> cpu_ns_{0};
  std::unique_ptr<engine::async_output<engine::run_item>> queue_;
  engine::subscription sub_;
};

}  // namespace endure::app
