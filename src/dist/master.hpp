// dist::master: the master's side of Locust's protocol, without sockets: the worker table
// (ready, spawning, running, missing), heartbeat liveness, the split of users per class across
// workers, and the merge of worker reports into interval records on the run bus (the same
// pipeline a standalone run feeds). Headless it runs one test and quits its workers; serving a
// web UI it runs test after test (start, edit, stop, reset) until quit(). Runs on the
// scheduler's thread; messages come in through on_message() and go out through the send
// function, so tests drive it in simulated time. master_control steers it from any thread.
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
#include "engine/controller.hpp"
#include "engine/plan.hpp"
#include "engine/steerable.hpp"
#include "stats/interval_record.hpp"

namespace endure::proto {
struct message;
}

namespace endure::dist {

// One test as the master runs it (from the command line, or a start from the web UI).
struct master_test {
  uint64_t users = 1;
  double spawn_rate = 1;
  std::vector<std::string> user_classes;  // empty: every class, by weight
  std::optional<std::chrono::milliseconds> run_time;
  std::string host;                       // "" : the config's host
  bool reset_stats_after_ramp = false;    // --reset-stats
  // A load shape (--shape, a locustfile's LoadTestShape): asked once a second, as Locust's
  // master does; its users, rate and classes replace the ones above; nullopt ends the test.
  engine::shape_fn shape;
  // -i/--iterations: task runs in total, split over the workers there are at the start (each
  // stops its users once its share has run); the test ends when every one of them has.
  std::optional<uint64_t> iterations;
  // The locustfile's own options from the web UI's form (by long name, as the command line takes
  // them): they replace the command line's in the parsed_options sent with every spawn.
  std::map<std::string, std::string> custom_options;
};

struct master_config {
  std::vector<engine::class_weight> classes;  // the locustfile's user classes (names, weights)
  // The command line's test (users, rate, run time, host): started by start() when autostart.
  uint64_t users = 1;
  double spawn_rate = 1;
  std::optional<std::chrono::milliseconds> run_time;
  std::chrono::milliseconds stop_timeout{0};
  std::string host;
  bool reset_stats_after_ramp = false;
  engine::shape_fn shape;  // the command line's load shape (see master_test)
  std::optional<uint64_t> iterations;  // -i (see master_test)
  // The open model (--arrival-rate, classes with an arrival_rate): every test runs it. The workers
  // there are at a test's start share the rate (and --max-users) evenly; each builds the same
  // rate from `arrival_rate` (the option's text) and scales it by its share.
  bool open_model = false;
  std::string arrival_rate;
  bool poisson = false;
  uint64_t max_users = 1000;
  // --session-length: sent to every worker with its targets (each user's session, in ms).
  std::chrono::milliseconds session_min{0}, session_max{0};
  // Headless: start the command line's test once the expected workers are in, and quit the
  // workers when it ends. With a web UI: tests come from start_test() (autostart: the first from
  // the command line), a test's end tells the workers to stop (they stay for the next), and
  // quit() ends the process.
  bool autostart = true;
  bool quit_after_test = true;
  std::string parsed_options_json = "{}";  // sent in spawn as Locust's parsed_options
  // The locustfile's own options' types by long name ("flag", "int", "float" or "" for text), to
  // send master_test::custom_options' values typed.
  std::map<std::string, std::string> custom_option_types;
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
  // The target's samples since the last call (--monitor-*), put into each published record.
  std::function<std::vector<stats::monitor_sample>()> monitor;
  // A master restarted on the store of a run that did not end (--resume): start() carries that
  // run's test on (the command line's targets, run time counted from the test's start) instead
  // of starting one. The workers that still run its users re-register and are adopted: targets
  // are sent once the expected workers are back (or missing_after has passed), so a worker never
  // gets the whole load for a moment. Endure workers send again what they reported after
  // last_id (the last interval in the store); reports already received are not counted twice.
  struct resume_state {
    uint64_t test = 1;             // the test number the records go on with
    double test_start_wall_s = 0;  // the test's start: the run time counts from it
    uint64_t last_id = 0;          // the last interval recorded (0: none)
    double down_since_wall_s = 0;  // the end of the last interval recorded
  };
  std::optional<resume_state> resume;
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

  // Opens for workers; with autostart, waits for the expected workers, then runs the command
  // line's test to its run time (or stop()).
  void start();
  // A new test (between tests only). wait_for_expected: as --expect-workers (headless,
  // --autostart); otherwise it starts on the workers there are (none: refused, logged).
  void start_test(master_test t, bool wait_for_expected);
  // New users, rate and classes for the running test (the web UI's edit).
  void set_users(uint64_t users, double spawn_rate, std::vector<std::string> user_classes);
  void reset_stats();
  void on_message(const proto::message& m);
  // A worker known to be gone (its local process ended): its users go to the others now.
  void worker_lost(const std::string& node_id, const std::string& why);
  // Ends the test: headless, workers are told to quit and the master finishes; otherwise they are
  // told to stop and the master waits for the next test. Their last reports are awaited, then
  // the test's final record.
  void stop(const std::string& reason);
  // Ends the master: a running test is stopped, every worker is told to quit.
  void quit(const std::string& reason);

  bool finished() const;
  bool failed() const;                 // ended before a test could start (no worker came)
  std::string stop_reason() const;
  size_t worker_count() const;         // known workers, missing ones included
  size_t missing_count() const;
  // Users each worker was told to run (by node id), for tests and logs.
  std::map<std::string, uint64_t> assigned() const;
  uint64_t reports_received() const;

  // Any thread: what the web UI shows.
  stats::run_state state() const;
  uint64_t user_count() const;
  uint64_t tests_started() const;
  size_t ready_workers() const;  // connected and not missing
  std::vector<engine::worker_status> workers() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// The master as the web UI steers it (the interface the standalone controller implements too):
// commands from any thread are posted to the master's scheduler.
class master_control final : public engine::steerable {
 public:
  master_control(base::scheduler& sched, master& m) : sched_(sched), m_(m) {}
  void start(engine::test_plan plan) override;
  void set_users(uint64_t users, double spawn_rate, std::vector<std::string> user_classes = {}) override;
  void stop(std::string reason = "stop requested",
            std::optional<std::chrono::milliseconds> grace = std::nullopt) override;
  void reset_stats() override;
  stats::run_state state() const override { return m_.state(); }
  uint64_t user_count() const override { return m_.user_count(); }
  uint64_t tests_started() const override { return m_.tests_started(); }
  std::string start_refusal() const override;
  bool is_distributed() const override { return true; }
  std::vector<engine::worker_status> workers() const override { return m_.workers(); }

 private:
  base::scheduler& sched_;
  master& m_;
};

}  // namespace endure::dist
