#include "dist/master.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <exception>
#include <string>
#include <mutex>
#include <set>

#include "base/log.hpp"
#include "engine/controller.hpp"
#include "proto/locust_stats.hpp"
#include "proto/message.hpp"

namespace endure::dist {

std::vector<std::vector<uint64_t>> split_users(const std::vector<uint64_t>& class_totals, size_t workers) {
  std::vector<std::vector<uint64_t>> out(workers, std::vector<uint64_t>(class_totals.size(), 0));
  if (workers == 0) return out;
  size_t cursor = 0;
  for (size_t c = 0; c < class_totals.size(); ++c) {
    const uint64_t t = class_totals[c];
    for (size_t w = 0; w < workers; ++w) out[w][c] = t / workers;
    for (uint64_t k = 0; k < t % workers; ++k) out[(cursor + k) % workers][c] += 1;
    cursor = (cursor + t % workers) % workers;
  }
  return out;
}

namespace {

// The command line's parsed options, with the locustfile's own options (the command line's, and
// the web form's over them) at the top level under their dest names, typed as the options are (a
// flag a boolean, int and float numbers, else text), as Locust's master sends them.
nlohmann::json parsed_options_of(const master_config& cfg, const master_test& t) {
  nlohmann::json parsed = nlohmann::json::parse(cfg.parsed_options_json, nullptr, false);
  if (!parsed.is_object()) parsed = nlohmann::json::object();
  // The command line's values ("extra", by long name), then the form's over them.
  std::map<std::string, std::string> values;
  if (auto e = parsed.find("extra"); e != parsed.end() && e->is_object())
    for (const auto& [name, v] : e->items())
      if (v.is_string()) values[name] = v.get<std::string>();
  for (const auto& [name, text] : t.custom_options) values[name] = text;
  for (const auto& [name, text] : values) {
    std::string dest = name;
    std::replace(dest.begin(), dest.end(), '-', '_');
    const auto found = cfg.custom_option_types.find(name);
    const std::string type = found == cfg.custom_option_types.end() ? "" : found->second;
    try {
      if (type == "flag") parsed[dest] = text == "true";
      else if (type == "int") parsed[dest] = std::stoll(text);
      else if (type == "float") parsed[dest] = std::stod(text);
      else parsed[dest] = text;
    } catch (const std::exception&) {
      parsed[dest] = text;  // the form checked it; a value that still does not convert goes as text
    }
  }
  return parsed;
}

using nlohmann::json;
constexpr const char* component = "master";

struct worker_entry {
  std::string id;
  int index = 0;
  std::string state = "ready";
  int64_t last_seen_ns = 0;
  int64_t missing_since_ns = 0;
  bool missing = false;
  bool in_dispatch = true;  // gets users when the test runs
  bool endure = false;      // an endure worker: exact records, heartbeats answered
  uint64_t user_count = 0;
  std::map<std::string, uint64_t> users_by_class;
  std::vector<uint64_t> targets;
  bool spawn_acked = true;
  bool stop_pending = false;  // told to stop; its client_stopped not seen yet
  // -i: this worker's share of the iterations (none: not in this test), and how far it is: 0 told,
  // 1 it began spawning, 2 seen spawning or running, 3 it stopped on its own (its share ran).
  std::optional<uint64_t> iterations;
  int iterations_progress = 0;
  // The open model: this worker's share of the arrival rate (none: not in this test), and the
  // share its last spawn carried.
  std::optional<double> arrival_share, sent_share;
  double cpu_percent = 0;
  uint64_t memory_bytes = 0;
};

}  // namespace

struct master::impl {
  // idle: between tests (web UI); waiting: a test waits for the expected workers; stopping: the
  // workers were told to stop (web UI) or to quit (headless); quitting: the master ends.
  enum class phase { idle, waiting, running, stopping, quitting, done };

  base::scheduler& sched;
  master_config cfg;
  engine::run_bus& bus;
  send_fn send;
  std::map<std::string, worker_entry> workers;
  int next_index = 0;
  phase ph = phase::idle;
  bool failed = false;
  std::string reason;
  master_test test;  // the current (or last) test
  std::atomic<uint64_t> tests{0};
  uint64_t reset_floor_id = 0;  // reports of intervals before a statistics reset are dropped
  bool first_ramp = true;
  int64_t started_ns = 0, stop_deadline_ns = 0;
  base::scheduler::timer_id tick_timer = 0, run_timer = 0, shape_timer = 0;
  int64_t test_start_ns = 0;
  std::optional<engine::shape_tick> last_tick;
  std::string stage;  // the shape's stage now
  std::map<uint64_t, stats::interval_record> pending;
  uint64_t last_flushed = 0;
  bool any_flushed = false;
  uint64_t reports = 0;
  bool spawning_complete_published = false;
  // A resumed run: targets wait until the workers are back (adopting, until adopt_until_ns);
  // reports of intervals up to resume_floor_id are in the store already.
  bool adopting = false;
  bool any_worker_seen = false;
  int64_t adopt_until_ns = 0;
  uint64_t resume_floor_id = 0;
  std::atomic<stats::run_state> run_state{stats::run_state::ready};
  // What other threads read (the web UI): refreshed on the scheduler's thread.
  mutable std::mutex view_mutex;
  std::vector<engine::worker_status> view_workers;
  std::atomic<uint64_t> view_users{0};
  std::atomic<size_t> view_ready{0};

  impl(base::scheduler& s, master_config c, engine::run_bus& b, send_fn f)
      : sched(s), cfg(std::move(c)), bus(b), send(std::move(f)) {}

  uint64_t now_id() const { return static_cast<uint64_t>(std::floor(sched.wall_s())); }

  void publish_event(engine::event_kind kind, std::string detail) {
    engine::run_event e;
    e.kind = kind;
    e.wall_s = sched.wall_s();
    e.test = tests.load();
    e.user_count = total_users();
    e.detail = std::move(detail);
    bus.publish(engine::run_item(std::move(e)));
  }

  uint64_t total_users() const {
    uint64_t n = 0;
    for (auto& [id, w] : workers)
      if (!w.missing) n += w.user_count;
    return n;
  }

  void tell(const std::string& node, const std::string& type, json data = nullptr) {
    send(node, proto::message{type, std::move(data), cfg.node_id});
  }

  void schedule_tick() {
    tick_timer = sched.call_after(std::chrono::seconds(1), [this] {
      tick_timer = 0;
      tick();
      if (ph != phase::done) schedule_tick();
    });
  }

  void start() {
    schedule_tick();
    if (cfg.resume) return resume_run();
    if (!cfg.autostart) return;
    start_test(command_line_test(), true);
  }

  // The command line's test (users, rate, run time, host, shape, -i, --reset-stats).
  master_test command_line_test() const {
    master_test t;
    t.users = cfg.users;
    t.spawn_rate = cfg.spawn_rate;
    t.run_time = cfg.run_time;
    t.host = cfg.host;
    t.reset_stats_after_ramp = cfg.reset_stats_after_ramp;
    t.shape = cfg.shape;
    t.iterations = cfg.iterations;
    return t;
  }

  std::map<std::string, std::string> form_options;  // the web form's locustfile options so far

  // Carries on the test of a run whose master was restarted (master_config::resume).
  void resume_run() {
    const auto& r = *cfg.resume;
    test = command_line_test();  // (-i is refused with a resume; --reset-stats ran before)
    tests = std::max<uint64_t>(r.test, 1);
    first_ramp = false;  // --reset-stats happened (or not) before the restart
    last_flushed = r.last_id;
    any_flushed = r.last_id > 0;
    resume_floor_id = r.last_id;
    const double now_wall = sched.wall_s();
    const double start_wall = r.test_start_wall_s > 0 ? r.test_start_wall_s : now_wall;
    test_start_ns = sched.now_ns() - static_cast<int64_t>(std::max(0.0, now_wall - start_wall) * 1e9);
    started_ns = sched.now_ns();
    ph = phase::running;
    run_state = stats::run_state::running;
    spawning_complete_published = true;
    adopting = true;
    adopt_until_ns = sched.now_ns() + std::chrono::nanoseconds(cfg.missing_after).count();
    const double down_s = r.down_since_wall_s > 0 ? std::max(0.0, now_wall - r.down_since_wall_s) : 0;
    char line[160];
    std::snprintf(line, sizeof line, "the master was down for %.0f s; the run goes on with the workers that re-register",
                  down_s);
    publish_event(engine::event_kind::resumed, line);
    base::log_info(component, std::string("Resuming test ") + std::to_string(tests.load()) + ": " + line);
    if (test.run_time) {
      const auto elapsed = std::chrono::nanoseconds(sched.now_ns() - test_start_ns);
      auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(*test.run_time) - elapsed;
      // A run time already over still lets the workers come back, to be told to quit.
      left = std::max(left, std::chrono::nanoseconds(cfg.missing_after));
      run_timer = sched.call_after(left, [this] {
        run_timer = 0;
        stop("run time");
      });
    }
  }

  // The end of a resumed run's adoption: the workers that came back get their targets.
  void end_adoption() {
    adopting = false;
    base::log_info(component, std::to_string(ready_count()) + " worker" + (ready_count() == 1 ? "" : "s") +
                                  " re-registered: sending the targets");
    if (cfg.open_model) share_arrivals();
    if (test.shape) {
      shape_step();
      return;
    }
    rebalance();
  }

  // The open model: the workers there are now share the rate evenly (a missing one keeps its
  // share, as its users, until they are redistributed).
  void share_arrivals() {
    auto sharing = [](const worker_entry& w) { return w.in_dispatch && (!w.missing || w.arrival_share); };
    size_t n = 0;
    for (auto& [id, w] : workers) n += sharing(w) ? 1 : 0;
    for (auto& [id, w] : workers)
      w.arrival_share = sharing(w) ? std::optional<double>(1.0 / static_cast<double>(n)) : std::nullopt;
  }

  void start_test(master_test t, bool wait_for_expected) {
    if (ph == phase::waiting && !wait_for_expected && ready_count() > 0) {
      // A start from the UI while --autostart waits for --expect-workers: the UI's test, now.
      ph = phase::idle;
    }
    if (ph != phase::idle) {
      base::log_warning(component, "a test is already running (or the master is ending): start ignored");
      return;
    }
    // The form's option values stay for later tests until the form changes them (as standalone).
    for (auto& [name, value] : t.custom_options) form_options[name] = value;
    test = std::move(t);
    test.custom_options = form_options;
    if (test.host.empty()) test.host = cfg.host;
    started_ns = sched.now_ns();
    if (wait_for_expected && ready_count() < cfg.expect_workers) {
      ph = phase::waiting;
      base::log_info(component, "Waiting for " + std::to_string(cfg.expect_workers) + " worker" +
                                    (cfg.expect_workers == 1 ? "" : "s") + " to connect");
      return;
    }
    if (ready_count() == 0) {
      base::log_warning(component, "no worker has connected yet: the test cannot start");
      return;
    }
    begin();
  }

  void set_users(uint64_t users, double spawn_rate, std::vector<std::string> classes) {
    if (ph != phase::running) {
      base::log_warning(component, "no test is running: the new user count is ignored");
      return;
    }
    test.users = users;
    test.spawn_rate = spawn_rate;
    test.user_classes = std::move(classes);
    publish_event(engine::event_kind::targets_changed, std::to_string(users) + " users");
    base::log_info(component, "New targets: " + std::to_string(users) + " users on " +
                                  std::to_string(ready_count()) + " workers");
    rebalance();
  }

  void reset_stats() {
    // What the workers reported for intervals before now is dropped, pending or late.
    pending.clear();
    reset_floor_id = now_id();
    publish_event(engine::event_kind::stats_reset, "");
    base::log_info(component, "Statistics reset");
  }

  size_t ready_count() const {
    size_t n = 0;
    for (auto& [id, w] : workers)
      if (!w.missing) ++n;
    return n;
  }

  void tick() {
    const int64_t now = sched.now_ns();
    bool redistribute = false;
    for (auto& [id, w] : workers) {
      const auto silent = std::chrono::nanoseconds(now - w.last_seen_ns);
      if (!w.missing && silent > cfg.missing_after) {
        w.missing = true;
        w.missing_since_ns = now;
        const std::string line = "worker " + id + " sent nothing for " +
                                 std::to_string(silent.count() / 1'000'000'000) + " s: marked missing";
        base::log_warning(component, line);
        publish_event(engine::event_kind::warning, line);
      }
      if (w.missing && w.in_dispatch && ph == phase::running &&
          std::chrono::nanoseconds(now - w.missing_since_ns) > cfg.redistribute_after) {
        w.in_dispatch = false;
        w.user_count = 0;
        w.users_by_class.clear();
        base::log_warning(component, "worker " + id + " is still missing: its users go to the other workers");
        redistribute = true;
      }
    }
    if (redistribute) rebalance();
    if (adopting && ph == phase::running && (ready_count() >= cfg.expect_workers || now >= adopt_until_ns))
      end_adoption();
    check_iterations_done();  // -i: a missing worker's share is not waited for
    if (ph == phase::done) return;
    refresh_view();
    sample_monitor();
    if (ph == phase::waiting) {
      if (ready_count() >= cfg.expect_workers) {
        begin();
      } else if (cfg.expect_workers_max_wait.count() > 0 &&
                 std::chrono::nanoseconds(now - started_ns) >= cfg.expect_workers_max_wait) {
        if (ready_count() == 0) {
          if (!cfg.quit_after_test) {
            base::log_error(component, "no worker connected within --expect-workers-max-wait: the test did not start");
            ph = phase::idle;
            return;
          }
          failed = true;
          reason = "no worker connected within --expect-workers-max-wait";
          ph = phase::done;
          base::log_error(component, reason);
          return;
        }
        base::log_warning(component, "gave up waiting for " + std::to_string(cfg.expect_workers) +
                                         " workers: starting with " + std::to_string(ready_count()));
        begin();
      }
      return;
    }
    if (ph == phase::running && workers.empty() && !adopting)
      stop(any_worker_seen ? "the last worker left" : "no worker came back");
    if (ph == phase::stopping && (stopped_all() || now >= stop_deadline_ns)) {
      if (!stopped_all())
        base::log_warning(component, std::to_string(unstopped()) + " worker(s) did not confirm the end: " +
                                         "their last reports may be missing");
      finish_test();
      return;
    }
    if (ph == phase::quitting && (workers.empty() || now >= stop_deadline_ns)) {
      if (!workers.empty())
        base::log_warning(component, std::to_string(workers.size()) + " worker(s) did not confirm they quit");
      ph = phase::done;
      if (tick_timer) sched.cancel(tick_timer);
      tick_timer = 0;
      return;
    }
    if (ph == phase::running || ph == phase::stopping)
      flush_until(now_id() - static_cast<uint64_t>(cfg.lateness.count() / 1000));
  }

  // Headless, the workers quit (and leave the table); otherwise each confirms with client_stopped.
  size_t unstopped() const {
    if (cfg.quit_after_test) return workers.size();
    size_t n = 0;
    for (auto& [id, w] : workers) n += w.stop_pending ? 1 : 0;
    return n;
  }
  bool stopped_all() const { return unstopped() == 0; }

  void refresh_view() {
    std::vector<engine::worker_status> v;
    const int64_t now = sched.now_ns();
    for (auto& [id, w] : workers)
      v.push_back({id, w.missing ? "missing" : w.state, w.missing ? 0 : w.user_count, w.cpu_percent, w.memory_bytes,
                   static_cast<double>(std::max<int64_t>(0, now - w.last_seen_ns)) / 1e9});
    std::sort(v.begin(), v.end(), [this](auto& a, auto& b) { return workers.at(a.id).index < workers.at(b.id).index; });
    view_users.store(total_users());
    view_ready.store(ready_count());
    std::lock_guard lock(view_mutex);
    view_workers = std::move(v);
  }

  void begin() {
    ph = phase::running;
    run_state = stats::run_state::spawning;
    ++tests;
    first_ramp = true;
    reason.clear();
    reset_floor_id = 0;
    for (auto& [id, w] : workers) {
      w.targets.clear();
      w.iterations.reset();
      w.iterations_progress = 0;
      w.arrival_share.reset();
      w.sent_share.reset();
    }
    if (test.iterations) share_iterations();
    if (cfg.open_model) share_arrivals();
    test_start_ns = sched.now_ns();
    last_tick.reset();
    stage.clear();
    if (test.shape) {
      publish_event(engine::event_kind::test_start, "users from the load shape on " + std::to_string(ready_count()) + " workers");
      base::log_info(component, "Starting the load shape on " + std::to_string(ready_count()) + " workers");
      shape_step();
      if (ph != phase::running) return;
    } else {
      const std::string what = cfg.open_model ? std::string("the open model") : std::to_string(test.users) + " users";
      publish_event(engine::event_kind::test_start, what + " on " + std::to_string(ready_count()) + " workers");
      base::log_info(component, "Starting " + what + " on " + std::to_string(ready_count()) + " workers");
      rebalance();
    }
    if (test.run_time)
      run_timer = sched.call_after(*test.run_time, [this] {
        run_timer = 0;
        stop("run time");
      });
  }

  // -i: the workers there are now share the iterations (in the order of their index); one whose
  // share is 0 gets no users.
  void share_iterations() {
    std::vector<worker_entry*> active;
    for (auto& [id, w] : workers)
      if (w.in_dispatch && !w.missing) active.push_back(&w);
    std::sort(active.begin(), active.end(), [](auto* a, auto* b) { return a->index < b->index; });
    const uint64_t n = active.size(), total = *test.iterations;
    for (uint64_t k = 0; k < n; ++k) {
      const uint64_t share = total / n + (k < total % n ? 1 : 0);
      if (share > 0) active[k]->iterations = share;
    }
  }

  // -i: the test ends once every worker with a share has run it (or is gone).
  void check_iterations_done() {
    if (!test.iterations || ph != phase::running) return;
    for (auto& [id, w] : workers)
      if (w.iterations && !w.missing && w.iterations_progress < 3) return;
    stop("iterations");
  }

  void rebalance() {
    if (ph != phase::running || adopting) return;
    // The open model: the workers there are now share the rate (one joining takes a share, one
    // gone leaves its share to the others).
    if (cfg.open_model) share_arrivals();
    std::vector<worker_entry*> active;
    for (auto& [id, w] : workers)
      // With -i, only the workers that share the iterations run users (and not once done).
      if (w.in_dispatch && !w.missing && (!test.iterations || (w.iterations && w.iterations_progress < 3)) &&
          (!cfg.open_model || w.arrival_share))
        active.push_back(&w);
    std::sort(active.begin(), active.end(), [](auto* a, auto* b) { return a->index < b->index; });
    if (active.empty()) return;
    const auto totals = class_totals();
    const auto split = split_users(totals, active.size());
    const double rate = test.spawn_rate / static_cast<double>(active.size());
    const json parsed = parsed_options_of(cfg, test);
    spawning_complete_published = false;
    run_state = stats::run_state::spawning;
    for (size_t k = 0; k < active.size(); ++k) {
      auto& w = *active[k];
      if (w.targets == split[k] && w.state == "running" && w.sent_share == w.arrival_share) continue;
      w.targets = split[k];
      w.sent_share = w.arrival_share;
      w.spawn_acked = cfg.open_model;  // the open model has no ramp to complete
      json counts = json::object();
      for (size_t c = 0; c < cfg.classes.size(); ++c) counts[cfg.classes[c].name] = split[k][c];
      tell(w.id, "spawn",
           {{"timestamp", sched.wall_s()},
            {"user_classes_count", counts},
            {"host", test.host},
            {"stop_timeout", static_cast<double>(cfg.stop_timeout.count()) / 1000.0},
            {"parsed_options", parsed},
            {"endure", endure_spawn_keys(rate, w)}});
    }
    check_spawning_complete();
  }

  // Asks the load shape for targets once a second (Locust's master runs LoadTestShape.tick()
  // and sends each worker its share).
  void shape_step() {
    shape_timer = 0;
    if (ph != phase::running) return;
    const double run_time_s = static_cast<double>(sched.now_ns() - test_start_ns) / 1e9;
    std::optional<engine::shape_tick> t;
    try {
      t = test.shape(run_time_s, total_users());
    } catch (const std::exception& e) {
      base::log_error(component, std::string("the load shape's tick() failed: ") + e.what());
      t.reset();
    }
    if (!t) {
      stop("shape");
      return;
    }
    if (t->stage != stage) {
      stage = t->stage;
      if (!stage.empty()) publish_event(engine::event_kind::targets_changed, "stage: " + stage);
    }
    if (!last_tick || t->users != last_tick->users || t->spawn_rate != last_tick->spawn_rate ||
        t->user_classes != last_tick->user_classes) {
      last_tick = t;
      test.users = t->users;
      test.spawn_rate = t->spawn_rate > 0 ? t->spawn_rate : 1;
      test.user_classes = t->user_classes;
      char rate[32];
      std::snprintf(rate, sizeof rate, "%g", t->spawn_rate);
      publish_event(engine::event_kind::targets_changed, "shape: " + std::to_string(t->users) + " users at " + rate + "/s");
      rebalance();
    }
    shape_timer = sched.call_after(std::chrono::seconds(1), [this] { shape_step(); });
  }

  // endure's additions to spawn (a Locust worker ignores them): the worker's share of the spawn
  // rate, the users' session length, and its share of -i.
  json endure_spawn_keys(double rate, const worker_entry& w) const {
    json e = {{"spawn_rate", rate}};
    if (w.iterations) e["iterations"] = *w.iterations;
    if (cfg.open_model && w.arrival_share) {
      const double share = *w.arrival_share;
      e["arrivals"] = {{"rate", cfg.arrival_rate},
                       {"share", share},
                       {"poisson", cfg.poisson},
                       {"max_users", static_cast<uint64_t>(std::ceil(static_cast<double>(cfg.max_users) * share))}};
    }
    if (cfg.session_max.count() > 0) e["session_ms"] = {cfg.session_min.count(), cfg.session_max.count()};
    return e;
  }

  // Users per class for the test: its classes (all when none picked), by weight.
  std::vector<uint64_t> class_totals() const {
    if (cfg.open_model) return std::vector<uint64_t>(cfg.classes.size(), 0);  // users come with arrivals
    if (test.user_classes.empty()) return engine::distribute_users(cfg.classes, test.users);
    std::vector<engine::class_weight> picked;
    std::vector<size_t> where;
    for (size_t c = 0; c < cfg.classes.size(); ++c)
      if (std::find(test.user_classes.begin(), test.user_classes.end(), cfg.classes[c].name) != test.user_classes.end()) {
        picked.push_back(cfg.classes[c]);
        where.push_back(c);
      }
    std::vector<uint64_t> out(cfg.classes.size(), 0);
    if (picked.empty()) return engine::distribute_users(cfg.classes, test.users);
    const auto t = engine::distribute_users(picked, test.users);
    for (size_t k = 0; k < where.size(); ++k) out[where[k]] = t[k];
    return out;
  }

  void check_spawning_complete() {
    if (spawning_complete_published || ph != phase::running) return;
    for (auto& [id, w] : workers)
      if (w.in_dispatch && !w.missing && !w.spawn_acked) return;
    spawning_complete_published = true;
    run_state = stats::run_state::running;
    publish_event(engine::event_kind::spawning_complete, "");
    base::log_info(component, "All users spawned: " + std::to_string(total_users()) + " on " +
                                  std::to_string(ready_count()) + " workers");
    if (first_ramp && test.reset_stats_after_ramp) reset_stats();  // --reset-stats, as Locust
    first_ramp = false;
  }

  void stop(const std::string& why) {
    if (ph == phase::waiting) {
      if (!cfg.quit_after_test) {
        base::log_info(component, "Stopped (" + why + ") before enough workers connected: no test ran");
        ph = phase::idle;
        return;
      }
      failed = true;
      reason = "stopped (" + why + ") before enough workers connected; no test ran";
      ph = phase::done;
      if (tick_timer) sched.cancel(tick_timer);
      tick_timer = 0;
      return;
    }
    if (ph != phase::running) return;
    ph = phase::stopping;
    reason = why;
    run_state = stats::run_state::stopping;
    if (run_timer) sched.cancel(run_timer);
    run_timer = 0;
    if (shape_timer) sched.cancel(shape_timer);
    shape_timer = 0;
    publish_event(engine::event_kind::test_stopping, why);
    const char* what = cfg.quit_after_test ? "quit" : "stop";
    base::log_info(component, "Stopping (" + why + "): telling " + std::to_string(workers.size()) +
                                  " workers to " + what);
    for (auto& [id, w] : workers) {
      tell(id, what);
      w.stop_pending = !w.missing;
    }
    stop_deadline_ns = sched.now_ns() +
                       std::chrono::nanoseconds(cfg.stop_timeout + cfg.quit_grace).count();
    // Missing workers cannot answer: forget them now (their reports so far are kept).
    for (auto it = workers.begin(); it != workers.end();)
      it = it->second.missing ? workers.erase(it) : std::next(it);
    refresh_view();
    if (stopped_all()) finish_test();
  }

  void quit(const std::string& why) {
    if (ph == phase::running || ph == phase::waiting) {
      // Headless, stop() quits the workers already; otherwise end the test first, then quit.
      stop(why);
      if (ph == phase::done || ph == phase::quitting) return;
    }
    if (ph == phase::stopping) {
      // The test's end is awaited, then the workers quit (see finish_test).
      quit_requested = true;
      return;
    }
    begin_quit(why);
  }

  bool quit_requested = false;

  void begin_quit(const std::string& why) {
    if (ph == phase::done || ph == phase::quitting) return;
    if (reason.empty()) reason = why;
    ph = phase::quitting;
    for (auto& [id, w] : workers) tell(id, "quit");
    for (auto it = workers.begin(); it != workers.end();)
      it = it->second.missing ? workers.erase(it) : std::next(it);
    stop_deadline_ns = sched.now_ns() + std::chrono::nanoseconds(cfg.quit_grace).count();
    if (workers.empty()) {
      ph = phase::done;
      if (tick_timer) sched.cancel(tick_timer);
      tick_timer = 0;
    }
  }

  // The test's end: every report in, the final record, then (headless) the master is done, or it
  // waits for the next test.
  void finish_test() {
    if (ph != phase::stopping) return;
    flush_until(UINT64_MAX);
    stats::interval_record last;
    last.id = any_flushed ? last_flushed + 1 : now_id();
    last.start_wall_s = last.end_wall_s = sched.wall_s();
    decorate(last);
    last.state = stats::run_state::stopped;
    last.is_final = true;
    take_monitor(last, UINT64_MAX);
    last_flushed = last.id;
    any_flushed = true;
    bus.publish(engine::run_item(std::make_shared<const stats::interval_record>(std::move(last))));
    run_state = stats::run_state::stopped;
    publish_event(engine::event_kind::test_stop, reason);
    for (auto& [id, w] : workers) w.stop_pending = false;
    refresh_view();
    if (cfg.quit_after_test) {
      ph = phase::done;
      if (tick_timer) sched.cancel(tick_timer);
      tick_timer = 0;
      return;
    }
    ph = phase::idle;
    if (quit_requested) begin_quit(reason);
  }

  void decorate(stats::interval_record& r) {
    // Users: what the workers run now (Locust's master sums its workers' counts the same way).
    std::map<std::string, uint64_t> by_class;
    for (auto& [id, w] : workers)
      if (!w.missing)
        for (auto& [c, n] : w.users_by_class) by_class[c] += n;
    r.user_count = total_users();
    r.peak_user_count = std::max(r.peak_user_count, r.user_count);
    r.users_by_class.assign(by_class.begin(), by_class.end());
    r.node = cfg.node_id;
    r.test = tests.load();
    r.state = run_state;
    r.stage = stage;
  }

  // The target's samples, taken each second and filed under the interval they were taken in.
  std::map<uint64_t, std::vector<stats::monitor_sample>> monitor_pending;
  void sample_monitor() {
    if (!cfg.monitor || (ph != phase::running && ph != phase::stopping)) return;
    auto samples = cfg.monitor();
    if (samples.empty()) return;
    const uint64_t id = now_id() - 1;
    if (!pending.count(id) && (!any_flushed || id > last_flushed)) {
      // An interval no worker reported (yet) still carries its samples.
      stats::interval_record r;
      r.id = id;
      r.start_wall_s = static_cast<double>(id);
      r.end_wall_s = static_cast<double>(id + 1);
      pending.emplace(id, std::move(r));
    }
    auto& at = monitor_pending[id];
    at.insert(at.end(), std::make_move_iterator(samples.begin()), std::make_move_iterator(samples.end()));
  }
  void take_monitor(stats::interval_record& r, uint64_t through_id) {
    while (!monitor_pending.empty() && monitor_pending.begin()->first <= through_id) {
      auto& v = monitor_pending.begin()->second;
      r.monitor.insert(r.monitor.end(), std::make_move_iterator(v.begin()), std::make_move_iterator(v.end()));
      monitor_pending.erase(monitor_pending.begin());
    }
  }

  void flush_until(uint64_t id) {
    while (!pending.empty() && pending.begin()->first <= id) {
      auto node = pending.extract(pending.begin());
      stats::interval_record r = std::move(node.mapped());
      decorate(r);
      r.is_final = false;  // only the master's last record ends the test
      take_monitor(r, r.id);
      last_flushed = r.id;
      any_flushed = true;
      bus.publish(engine::run_item(std::make_shared<const stats::interval_record>(std::move(r))));
    }
  }

  void add_record(stats::interval_record r) {
    if (reset_floor_id > 0 && r.id < reset_floor_id) return;  // from before a statistics reset
    if (ph == phase::idle || ph == phase::waiting || ph == phase::quitting || ph == phase::done) {
      // Between tests: the test this belongs to has ended (an endure worker's last report comes
      // before its client_stopped; a Locust worker's may come after it).
      uint64_t n = 0;
      for (auto& e : r.data.entries) n += e.requests;
      if (n > 0)
        base::log_warning(component, "a report after the test's end: its " + std::to_string(n) +
                                         " requests are not counted");
      return;
    }
    if (any_flushed && r.id <= last_flushed) {
      // Late: its interval was published already. Its data joins the next one (counts and
      // histograms are kept; only the time it is filed under moves).
      r.id = last_flushed + 1;
      r.user_count = r.peak_user_count = 0;
      r.users_by_class.clear();
    }
    auto it = pending.find(r.id);
    if (it == pending.end()) pending.emplace(r.id, std::move(r));
    else stats::merge(it->second, std::move(r));
  }

  void on_message(const proto::message& m) {
    const int64_t now = sched.now_ns();
    auto it = workers.find(m.node_id);
    if (m.type == "locustfile") {
      // A worker started with `-f -` asks for the locustfile before it registers.
      if (!cfg.locustfile_error.empty()) {
        tell(m.node_id, "locustfile", {{"error", cfg.locustfile_error}});
        return;
      }
      json file = {{"filename", cfg.locustfile_name}, {"contents", cfg.locustfile_contents}};
      json reply = file;  // Locust 2.2x's shape, and the list of newer ones beside it
      reply["locustfiles"] = json::array({file});
      tell(m.node_id, "locustfile", std::move(reply));
      base::log_info(component, "sent " + cfg.locustfile_name + " to worker " + m.node_id);
      return;
    }
    if (m.type == "client_ready") {
      const std::string version = m.data.is_string() ? m.data.get<std::string>() : "";
      if (version.empty())
        base::log_warning(component, "worker " + m.node_id + " sent no version (Debian's Locust 2.12.1 "
                                     "package has none): accepted");
      else if (version.rfind("2.", 0) != 0) {
        base::log_error(component, "worker " + m.node_id + " speaks Locust " + version +
                                       ": this master speaks Locust 2.x's protocol; refused");
        tell(m.node_id, "quit");
        return;
      }
      any_worker_seen = true;
      if (it == workers.end()) {
        worker_entry w;
        w.id = m.node_id;
        w.index = next_index++;
        it = workers.emplace(m.node_id, std::move(w)).first;
        base::log_info(component, "worker " + m.node_id + " connected (" + std::to_string(workers.size()) +
                                      " workers)");
        publish_event(engine::event_kind::warning, "worker " + m.node_id + " joined");
      }
      auto& w = it->second;
      w.last_seen_ns = now;
      w.missing = false;
      w.state = "ready";
      w.targets.clear();
      w.user_count = 0;
      w.users_by_class.clear();
      w.in_dispatch = true;
      json ack = {{"index", w.index}};
      // A resumed master: an endure worker sends again what it reported after the stored intervals.
      if (cfg.resume) ack["endure"] = {{"resume_after", resume_floor_id}};
      tell(m.node_id, "ack", std::move(ack));
      if (ph == phase::running) rebalance();
      if ((ph == phase::stopping && cfg.quit_after_test) || ph == phase::quitting) tell(m.node_id, "quit");
      if (ph == phase::stopping && w.stop_pending) {
        // Ready again (after its client_stopped, or restarted): its part of the stop is done.
        w.stop_pending = false;
        if (stopped_all()) finish_test();
      }
      refresh_view();
      return;
    }
    if (it == workers.end()) {
      // A worker this master does not know (it restarted, or the worker's quit crossed ours):
      // ask it to reconnect, so it registers again and is adopted.
      if (m.type == "heartbeat" && ph != phase::done) {
        tell(m.node_id, "reconnect");
      } else if (m.type == "stats" && (ph == phase::running || ph == phase::stopping)) {
        // A report it sent before registering with this master (one queued while the master was
        // down, or crossing a re-registration): the test's data all the same.
        worker_entry unknown;
        unknown.id = m.node_id;
        on_stats(unknown, m.data);
      } else if (m.type == "stats") {
        base::log_warning(component, "report from unknown worker " + m.node_id + " discarded");
      }
      return;
    }
    auto& w = it->second;
    w.last_seen_ns = now;
    if (w.missing) {
      w.missing = false;
      base::log_info(component, "worker " + w.id + " is back");
      publish_event(engine::event_kind::warning, "worker " + w.id + " is back");
      if (!w.in_dispatch) {
        w.in_dispatch = true;
        w.targets.clear();
        rebalance();
      }
    }
    if (m.type == "heartbeat") {
      if (m.data.is_object()) {
        if (m.data.contains("endure")) w.endure = true;
        if (auto s = m.data.find("state"); s != m.data.end() && s->is_string()) {
          w.state = s->get<std::string>();
          // -i: a worker seen running after its spawn that reports "stopped" ran its share.
          if (w.iterations && w.iterations_progress >= 1 && (w.state == "spawning" || w.state == "running"))
            w.iterations_progress = std::max(w.iterations_progress, 2);
          if (w.iterations && w.iterations_progress == 2 && w.state == "stopped") {
            w.iterations_progress = 3;
            base::log_info(component, "worker " + w.id + " ran its " + std::to_string(*w.iterations) + " iterations");
            check_iterations_done();
          }
        }
        if (auto c = m.data.find("current_cpu_usage"); c != m.data.end() && c->is_number())
          w.cpu_percent = c->get<double>();
        if (auto r = m.data.find("current_memory_usage"); r != m.data.end() && r->is_number() && r->get<double>() >= 0)
          w.memory_bytes = static_cast<uint64_t>(r->get<double>());
      }
      if (w.endure) tell(w.id, "heartbeat");
    } else if (m.type == "spawning") {
      w.state = "spawning";
      if (w.iterations) w.iterations_progress = std::max(w.iterations_progress, 1);
    } else if (m.type == "spawning_complete") {
      w.state = "running";
      if (w.iterations) w.iterations_progress = std::max(w.iterations_progress, 2);
      w.spawn_acked = true;
      take_users(w, m.data);
      check_spawning_complete();
    } else if (m.type == "stats") {
      on_stats(w, m.data);
    } else if (m.type == "exception") {
      if (!w.endure && m.data.is_object()) {
        stats::interval_record r;
        r.id = now_id();
        stats::exception_delta e;
        e.message = m.data.value("msg", std::string());
        e.traceback = m.data.value("traceback", std::string());
        e.node = w.id;
        e.count = 1;
        r.data.exceptions.push_back(std::move(e));
        add_record(std::move(r));
      }
    } else if (m.type == "client_stopped") {
      w.state = "stopped";
      w.user_count = 0;
      w.users_by_class.clear();
      w.stop_pending = false;
      if (ph == phase::stopping && stopped_all()) finish_test();
    } else if (m.type == "quit") {
      base::log_info(component, "worker " + w.id + " left");
      publish_event(engine::event_kind::warning, "worker " + w.id + " left");
      remove(it);
    }
  }

  void lost(const std::string& node, const std::string& why) {
    auto it = workers.find(node);
    if (it == workers.end()) return;
    publish_event(engine::event_kind::warning, "worker " + node + " is gone (" + why + ")");
    base::log_warning(component, "worker " + node + " is gone (" + why + ")" +
                                     (ph == phase::running && workers.size() > 1 ? ": its users go to the other workers" : ""));
    remove(it);
  }

  void remove(std::map<std::string, worker_entry>::iterator it) {
    {
      workers.erase(it);
      if (ph == phase::running) {
        if (workers.empty()) stop("the last worker left");
        else rebalance();
        check_iterations_done();
      } else if (ph == phase::stopping && stopped_all()) {
        finish_test();
      } else if (ph == phase::quitting && workers.empty()) {
        ph = phase::done;
        if (tick_timer) sched.cancel(tick_timer);
        tick_timer = 0;
      }
      refresh_view();
    }
  }

  // A resumed master: the intervals each worker's reports covered (the last 10 minutes'), kept
  // beyond its entry (reports can come before it registers), so that a report sent again counts
  // once.
  std::map<std::string, std::set<uint64_t>> received_ids;

  void take_users(worker_entry& w, const json& data) {
    if (!data.is_object()) return;
    auto count = [](const json& v) { return v.is_number_integer() && v.get<int64_t>() >= 0; };
    if (auto u = data.find("user_count"); u != data.end() && count(*u)) w.user_count = u->get<uint64_t>();
    if (auto c = data.find("user_classes_count"); c != data.end() && c->is_object()) {
      w.users_by_class.clear();
      for (auto& [name, n] : c->items())
        if (count(n)) w.users_by_class[name] = n.get<uint64_t>();
    }
  }

  void on_stats(worker_entry& w, const json& data) {
    ++reports;
    take_users(w, data);
    auto records = proto::records_of(data);
    if (!records) {
      base::log_warning(component, "worker " + w.id + ": " + records.err().message);
      return;
    }
    if (data.contains("endure")) {
      w.endure = true;
      const bool resent = data["endure"].is_object() && data["endure"].value("resent", false);
      for (auto& r : *records) {
        if (cfg.resume) {
          // A resumed master: a report sent again is counted once, and never what is stored.
          if (r.id <= resume_floor_id) continue;
          auto& seen = received_ids[w.id];
          if (resent && seen.count(r.id)) continue;
          seen.insert(r.id);
          while (!seen.empty() && *seen.begin() + 600 < r.id) seen.erase(seen.begin());
        }
        add_record(std::move(r));
      }
      return;
    }
    auto delta = proto::delta_of_locust(data);
    if (!delta) {
      base::log_warning(component, "worker " + w.id + ": " + delta.err().message);
      return;
    }
    if (delta->empty()) return;
    // A Locust worker's 3 s report, filed under the interval that just ended.
    stats::interval_record r;
    r.id = now_id() - 1;
    r.end_wall_s = sched.wall_s();
    r.start_wall_s = r.end_wall_s - 3;
    r.data = std::move(*delta);
    add_record(std::move(r));
  }
};

master::master(base::scheduler& sched, master_config cfg, engine::run_bus& bus, send_fn send)
    : impl_(std::make_unique<impl>(sched, std::move(cfg), bus, std::move(send))) {}
master::~master() {
  if (impl_->tick_timer) impl_->sched.cancel(impl_->tick_timer);
  if (impl_->run_timer) impl_->sched.cancel(impl_->run_timer);
  if (impl_->shape_timer) impl_->sched.cancel(impl_->shape_timer);
}
void master::start() { impl_->start(); }
void master::start_test(master_test t, bool wait_for_expected) {
  impl_->start_test(std::move(t), wait_for_expected);
  impl_->refresh_view();
}
void master::set_users(uint64_t users, double spawn_rate, std::vector<std::string> user_classes) {
  impl_->set_users(users, spawn_rate, std::move(user_classes));
}
void master::reset_stats() { impl_->reset_stats(); }
void master::on_message(const proto::message& m) {
  impl_->on_message(m);
  impl_->refresh_view();
}
void master::stop(const std::string& reason) { impl_->stop(reason); }
void master::quit(const std::string& reason) { impl_->quit(reason); }
void master::worker_lost(const std::string& node_id, const std::string& why) { impl_->lost(node_id, why); }
bool master::finished() const { return impl_->ph == impl::phase::done; }
bool master::failed() const { return impl_->failed; }
std::string master::stop_reason() const { return impl_->reason; }
size_t master::worker_count() const { return impl_->workers.size(); }
size_t master::missing_count() const {
  size_t n = 0;
  for (auto& [id, w] : impl_->workers) n += w.missing ? 1 : 0;
  return n;
}
std::map<std::string, uint64_t> master::assigned() const {
  std::map<std::string, uint64_t> out;
  for (auto& [id, w] : impl_->workers) {
    uint64_t n = 0;
    for (auto t : w.targets) n += t;
    out[id] = w.in_dispatch && !w.missing ? n : 0;
  }
  return out;
}
uint64_t master::reports_received() const { return impl_->reports; }
stats::run_state master::state() const { return impl_->run_state.load(); }
uint64_t master::user_count() const { return impl_->view_users.load(); }
uint64_t master::tests_started() const { return impl_->tests.load(); }
size_t master::ready_workers() const { return impl_->view_ready.load(); }
std::vector<engine::worker_status> master::workers() const {
  std::lock_guard lock(impl_->view_mutex);
  return impl_->view_workers;
}

// ---------------------------------------------------------------------------------------------

void master_control::start(engine::test_plan plan) {
  master_test t;
  t.users = plan.users;
  t.spawn_rate = plan.spawn_rate;
  t.user_classes = std::move(plan.user_classes);
  t.run_time = plan.run_time;
  t.host = std::move(plan.host);
  t.reset_stats_after_ramp = plan.reset_stats_after_ramp;
  t.shape = std::move(plan.shape);
  t.iterations = plan.iterations;
  t.custom_options = std::move(plan.custom_options);
  // Locust: --expect-workers holds a start from the command line (--autostart), not the UI's.
  sched_.post([this, t = std::move(t)]() mutable { m_.start_test(std::move(t), false); });
}
void master_control::set_users(uint64_t users, double spawn_rate, std::vector<std::string> user_classes) {
  sched_.post([this, users, spawn_rate, c = std::move(user_classes)]() mutable {
    m_.set_users(users, spawn_rate, std::move(c));
  });
}
void master_control::stop(std::string reason, std::optional<std::chrono::milliseconds>) {
  sched_.post([this, reason = std::move(reason)] { m_.stop(reason); });
}
void master_control::reset_stats() {
  sched_.post([this] { m_.reset_stats(); });
}
std::string master_control::start_refusal() const {
  if (m_.ready_workers() == 0) return "no worker has connected yet: start workers with --worker --master-host, then start";
  return {};
}

}  // namespace endure::dist
