// dist::master: the master's side of Locust's protocol, without sockets: the worker table
// (ready, spawning, running, missing), heartbeat liveness, the split of users per class across
// workers, and the merge of worker reports into interval records on the run bus (the same
// pipeline a standalone run feeds). Runs on the scheduler's thread; messages come in through
// on_message() and go out through the send function, so tests drive it in simulated time.
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
#include "engine/plan.hpp"

namespace endure::proto {
struct message;
}

namespace endure::dist {

struct master_config {
  std::vector<engine::class_weight> classes;  // the locustfile's user classes (names, weights)
  uint64_t users = 1;
  double spawn_rate = 1;
  std::optional<std::chrono::milliseconds> run_time;
  std::chrono::milliseconds stop_timeout{0};
  std::string host;
  std::string parsed_options_json = "{}";  // sent in spawn as Locust's parsed_options
  uint64_t expect_workers = 1;
  std::chrono::milliseconds expect_workers_max_wait{0};  // 0: for ever
  // A worker silent this long is missing (Locust: about 4 s); missing this much longer, its users
  // go to the other workers (Locust: about 60 s, then only with --enable-rebalancing).
  std::chrono::milliseconds missing_after{10'000};
  std::chrono::milliseconds redistribute_after{20'000};
  // Intervals are published once this much older than now, so that every worker's report of them
  // (sent every 3 s) is in; a later one merges into the next interval (nothing is dropped).
  std::chrono::milliseconds lateness{6'000};
  // At the end: how long to wait for each worker's last report and quit, beyond the stop timeout.
  std::chrono::milliseconds quit_grace{10'000};
  std::string node_id = "master";
  // For workers started with `-f -`: the master's locustfile (one file), or why it cannot be sent.
  std::string locustfile_name, locustfile_contents, locustfile_error;
};

// Splits per-class totals over n workers: worker k of class c gets floor(t/n), plus one for the
// next t mod n workers of one cycle that continues from class to class (as Locust's cycle).
std::vector<std::vector<uint64_t>> split_users(const std::vector<uint64_t>& class_totals, size_t workers);

class master {
 public:
  using send_fn = std::function<void(const std::string& node_id, const proto::message& m)>;

  master(base::scheduler& sched, master_config cfg, engine::run_bus& bus, send_fn send);
  ~master();
  master(const master&) = delete;
  master& operator=(const master&) = delete;

  // Waits for the expected workers, then runs the test to its run time (or stop()).
  void start();
  void on_message(const proto::message& m);
  // A worker known to be gone (its local process ended): its users go to the others now.
  void worker_lost(const std::string& node_id, const std::string& why);
  // Ends the test: workers are told to quit, their last reports are awaited, then the final record.
  void stop(const std::string& reason);

  bool finished() const;
  bool failed() const;                 // ended before a test could start (no worker came)
  std::string stop_reason() const;
  size_t worker_count() const;         // known workers, missing ones included
  size_t missing_count() const;
  // Users each worker was told to run (by node id), for tests and logs.
  std::map<std::string, uint64_t> assigned() const;
  uint64_t reports_received() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace endure::dist
