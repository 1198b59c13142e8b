#include "engine/controller.hpp"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

#include <algorithm>
#include <cmath>
#include <mutex>

#include "base/log.hpp"
#include "base/rng.hpp"
#include "engine/plan.hpp"

using namespace std::chrono_literals;

namespace endure::engine {

namespace {
// A stuck shard is left to the process's end on purpose; LeakSanitizer is told so.
void leak_on_purpose(const void* p) {
#if defined(__SANITIZE_ADDRESS__)
  __lsan_ignore_object(p);
#else
  static_cast<void>(p);
#endif
}
}  // namespace

const char* to_string(event_kind k) {
  switch (k) {
    case event_kind::test_start: return "test_start";
    case event_kind::targets_changed: return "targets_changed";
    case event_kind::spawning_complete: return "spawning_complete";
    case event_kind::stats_reset: return "stats_reset";
    case event_kind::test_stopping: return "test_stopping";
    case event_kind::test_stop: return "test_stop";
    case event_kind::stuck: return "stuck";
    case event_kind::warning: return "warning";
    case event_kind::threshold: return "threshold";
    case event_kind::verdict: return "verdict";
    case event_kind::resumed: return "resumed";
  }
  return "unknown";
}

const char* to_string(stats::run_state s) { return stats::to_string(s); }

namespace {
constexpr std::chrono::milliseconds users_gone_poll{10};
constexpr std::chrono::seconds kill_deadline{3};
constexpr std::chrono::seconds graceful_extra{5};
}  // namespace

struct controller::impl : std::enable_shared_from_this<impl> {
  base::scheduler& sched;
  controller_config cfg;
  run_bus& bus;
  std::vector<std::unique_ptr<user_shard>> shards;

  // Read from any thread.
  mutable std::mutex mutex;
  std::atomic<stats::run_state> state{stats::run_state::ready};
  std::atomic<uint64_t> live_users{0};
  std::atomic<uint64_t> tests{0};
  test_outcome last_outcome;

  // --- the current test (control thread) ---
  test_plan plan;
  std::shared_ptr<const test_settings> settings;
  std::shared_ptr<test_shared> shared;
  test_outcome outcome;
  int64_t test_start_ns = 0;
  base::rng seed_rng;
  bool stopping = false, killed = false, first_ramp = true;
  std::vector<uint64_t> live_by_class;           // targets given, per class
  uint64_t interval_peak_users = 0;              // the highest total target in this interval
  std::vector<std::vector<uint64_t>> on_shard;   // [shard][class] targets given
  std::vector<uint64_t> shard_total;
  // Ramp: changes (class, +1 spawn / -1 stop) applied at `ramp_rate` per second.
  std::vector<std::pair<size_t, int>> ramp;
  size_t ramp_done = 0;
  double ramp_rate = 1;
  int64_t ramp_start_ns = 0;
  std::optional<shape_tick> last_tick;
  base::scheduler::timer_id spawn_timer = 0, shape_timer = 0, run_timer = 0, stop_timer = 0,
                            interval_timer = 0, gone_timer = 0, arrival_timer = 0;
  arrival_targets last_arrivals;  // what the shards were last given (open model)
  std::string current_stage;      // the shape's stage now ("" when none)
  int64_t gone_deadline_ns = 0;

  // --- intervals ---
  uint64_t last_closed_id = 0;  // 0: none yet in this test
  int64_t last_close_mono_ns = 0;
  double interval_start_wall = 0;
  std::vector<uint64_t> turns_seen;
  std::vector<int64_t> turns_since_ns;
  std::vector<bool> reported_stuck;

  impl(base::scheduler& s, controller_config c, run_bus& b) : sched(s), cfg(std::move(c)), bus(b) {}

  const std::vector<user_class>& classes() const { return cfg.shards.classes; }
  int64_t interval_ns() const { return std::chrono::nanoseconds(cfg.interval).count(); }
  uint64_t id_at(double wall_s) const {
    return static_cast<uint64_t>(std::floor(wall_s * 1000.0 / static_cast<double>(cfg.interval.count())));
  }

  void publish(event_kind k, std::string detail = {}) {
    run_event e;
    e.kind = k;
    e.wall_s = sched.wall_s();
    e.test = tests.load();
    e.user_count = live_users_now();
    e.detail = std::move(detail);
    bus.publish(run_item{std::move(e)});
  }

  uint64_t live_users_now() const {
    uint64_t n = 0;
    for (const auto& s : shards) n += s->live_users();
    return n;
  }

  void set_state(stats::run_state s) { state.store(s); }

  // ------------------------------------------------------------------------------------------
  // commands

  void start(test_plan p) {
    auto st = state.load();
    if (st != stats::run_state::ready && st != stats::run_state::stopped) {
      base::log_warning("runner", std::string("a test is already ") + stats::to_string(st) +
                                      ": stop it before starting another");
      return;
    }
    plan = std::move(p);
    const uint64_t n = tests.fetch_add(1) + 1;
    auto s = std::make_shared<test_settings>();
    s->test = n;
    s->host = plan.host;
    s->iterations = plan.iterations;
    s->session_min_ms = plan.session_min.count();
    s->session_max_ms = plan.session_max.count();
    if (n == 1) seed_rng.reseed(cfg.seed ? *cfg.seed : static_cast<uint64_t>(sched.now_ns()) ^ 0x9e3779b97f4a7c15ULL);
    s->seed = seed_rng.next();
    settings = s;
    shared = std::make_shared<test_shared>();
    std::weak_ptr<impl> weak = shared_from_this();
    shared->request_stop = [weak](const char* reason) {
      if (auto self = weak.lock()) {
        std::string r = reason;
        self->sched.post([weak, r] {
          if (auto me = weak.lock()) me->on_user_stop_request(r);
        });
      }
    };
    outcome = test_outcome{};
    interval_peak_users = 0;
    outcome.test = n;
    stopping = killed = false;
    first_ramp = true;
    last_tick.reset();
    last_arrivals = arrival_targets{};
    current_stage.clear();
    live_by_class.assign(classes().size(), 0);
    on_shard.assign(shards.size(), std::vector<uint64_t>(classes().size(), 0));
    shard_total.assign(shards.size(), 0);
    for (auto& sh : shards) {
      sh->begin_test(settings, shared);
      static_cast<void>(sh->recorder().take_delta());  // nothing from before this test counts
    }
    test_start_ns = sched.now_ns();
    last_close_mono_ns = test_start_ns;
    interval_start_wall = sched.wall_s();
    last_closed_id = id_at(interval_start_wall) == 0 ? 0 : id_at(interval_start_wall) - 1;
    turns_seen.assign(shards.size(), 0);
    turns_since_ns.assign(shards.size(), test_start_ns);
    reported_stuck.assign(shards.size(), false);
    for (size_t i = 0; i < shards.size(); ++i) turns_seen[i] = shards[i]->loop_turns();
    set_state(stats::run_state::spawning);
    publish(event_kind::test_start, describe_plan());
    if (plan.arrivals) {
      set_state(stats::run_state::running);
      arrival_step();
    } else if (plan.shape) {
      shape_step();
    } else if (plan.class_targets) {
      retarget_classes(*plan.class_targets, plan.spawn_rate);
    } else {
      retarget(plan.users, plan.spawn_rate, plan.user_classes);
    }
    if (plan.run_time) {
      run_timer = sched.call_after(*plan.run_time, [this] {
        run_timer = 0;
        stop("run time", std::nullopt);
      });
    }
    schedule_interval();
  }

  std::string describe_plan() const {
    if (plan.arrivals) {
      char rate[32];
      std::snprintf(rate, sizeof rate, "%g", plan.arrivals->rate(0));
      return std::string("arrivals at ") + rate + "/s (" +
             (plan.arrivals->poisson ? "Poisson" : "even") + "), at most " +
             std::to_string(plan.arrivals->max_users) + " users";
    }
    if (plan.shape) return "users from the load shape";
    if (plan.class_targets) {
      uint64_t total = 0;
      for (auto v : *plan.class_targets) total += v;
      return std::to_string(total) + " users by class";
    }
    char rate[32];
    std::snprintf(rate, sizeof rate, "%g", plan.spawn_rate);
    return std::to_string(plan.users) + " users at " + rate + "/s";
  }

  bool test_active() const {
    auto s = state.load();
    return s == stats::run_state::spawning || s == stats::run_state::running;
  }

  void set_users(uint64_t users, double rate, std::vector<std::string> only) {
    if (!test_active() || stopping) {
      base::log_warning("runner", "no running test to change the users of");
      return;
    }
    plan.users = users;
    plan.spawn_rate = rate;
    retarget(users, rate, only);
    publish(event_kind::targets_changed, std::to_string(users) + " users");
  }

  void set_class_targets(std::vector<uint64_t> per_class, double rate) {
    if (!test_active() || stopping) {
      base::log_warning("runner", "no running test to change the users of");
      return;
    }
    per_class.resize(classes().size(), 0);
    retarget_classes(per_class, rate);
    publish(event_kind::targets_changed, "targets by class");
  }

  void on_user_stop_request(const std::string& reason) {
    if (!test_active() || stopping) return;
    if (reason == "iterations") {
      // Every claimed iteration completes: wait for tasks in flight (bounded by a request).
      stop(reason, std::max<std::chrono::milliseconds>(
                       plan.stop_timeout, cfg.shards.client.request_timeout + graceful_extra));
    } else {
      stop(reason, std::nullopt);
    }
  }

  void reset_stats() {
    // Drop what the shards recorded since the last interval; the next record starts now.
    for (auto& sh : shards) static_cast<void>(sh->recorder().take_delta());
    interval_start_wall = sched.wall_s();
    publish(event_kind::stats_reset);
  }

  // ------------------------------------------------------------------------------------------
  // ramp

  void retarget(uint64_t users, double rate, const std::vector<std::string>& only) {
    std::vector<class_weight> weights;
    for (const auto& c : classes()) {
      bool selected = only.empty() || std::find(only.begin(), only.end(), c.name) != only.end();
      weights.push_back({c.name, selected ? c.weight : 0, selected ? c.fixed_count : 0});
    }
    retarget_classes(distribute_users(weights, users), rate);
  }

  // Stops first (most recent users, gracefully), then spawns, all at `rate` changes per second.
  void retarget_classes(const std::vector<uint64_t>& target, double rate) {
    std::vector<uint64_t> up(classes().size(), 0), down(classes().size(), 0);
    for (size_t i = 0; i < classes().size(); ++i) {
      const uint64_t t = i < target.size() ? target[i] : 0;
      if (t > live_by_class[i]) up[i] = t - live_by_class[i];
      if (t < live_by_class[i]) down[i] = live_by_class[i] - t;
    }
    ramp.clear();
    for (size_t ci : spawn_order(down)) ramp.emplace_back(ci, -1);
    for (size_t ci : spawn_order(up)) ramp.emplace_back(ci, +1);
    ramp_done = 0;
    ramp_rate = rate > 0 ? rate : 1;
    ramp_start_ns = sched.now_ns();
    cancel(spawn_timer);
    if (!ramp.empty()) set_state(stats::run_state::spawning);
    spawn_tick();
  }

  void cancel(base::scheduler::timer_id& t) {
    if (t != 0) sched.cancel(t);
    t = 0;
  }

  // Applies one change to the per-shard targets; returns the shard it touched.
  size_t apply(const std::pair<size_t, int>& change) {
    const size_t ci = change.first;
    if (change.second > 0) {
      const size_t si = static_cast<size_t>(
          std::min_element(shard_total.begin(), shard_total.end()) - shard_total.begin());
      on_shard[si][ci]++;
      shard_total[si]++;
      live_by_class[ci]++;
      return si;
    }
    size_t si = 0;
    for (size_t s = 1; s < shards.size(); ++s)
      if (on_shard[s][ci] > on_shard[si][ci]) si = s;
    if (on_shard[si][ci] == 0) return shards.size();
    on_shard[si][ci]--;
    shard_total[si]--;
    live_by_class[ci]--;
    return si;
  }

  void spawn_tick() {
    spawn_timer = 0;
    if (stopping) return;
    const double elapsed_s = static_cast<double>(sched.now_ns() - ramp_start_ns) / 1e9;
    size_t due = ramp.size();
    const double d = std::floor(ramp_rate * elapsed_s) + 1;
    if (d < static_cast<double>(ramp.size())) due = static_cast<size_t>(d);
    std::vector<bool> touched(shards.size(), false);
    while (ramp_done < due) {
      const size_t si = apply(ramp[ramp_done++]);
      if (si < shards.size()) touched[si] = true;
    }
    for (size_t s = 0; s < shards.size(); ++s)
      if (touched[s]) shards[s]->set_targets(on_shard[s]);
    uint64_t total = 0;
    for (auto n : live_by_class) total += n;
    outcome.peak_users = std::max(outcome.peak_users, total);
    interval_peak_users = std::max(interval_peak_users, total);
    if (ramp_done >= ramp.size()) {
      const bool changed = !ramp.empty();
      ramp.clear();
      ramp_done = 0;
      set_state(stats::run_state::running);
      if (!changed && !first_ramp) return;
      base::log_info("runner", (first_ramp ? "All users spawned: " : "Ramp complete: ") +
                                   std::to_string(total) + " users");
      if (first_ramp && plan.reset_stats_after_ramp) reset_stats();
      first_ramp = false;
      run_event e;
      e.kind = event_kind::spawning_complete;
      e.wall_s = sched.wall_s();
      e.test = tests.load();
      e.user_count = total;  // the targets reached (users may still be starting on their shards)
      bus.publish(run_item{std::move(e)});
      return;
    }
    // The next change is due at ramp_done / rate seconds after the ramp started.
    const double next_s = static_cast<double>(ramp_done) / ramp_rate;
    const int64_t at = ramp_start_ns + static_cast<int64_t>(next_s * 1e9);
    spawn_timer = sched.call_at(std::max(at, sched.now_ns() + 1'000'000), [this] { spawn_tick(); });
  }

  // Asks the load shape for targets once a second (Locust's LoadTestShape.tick()).
  void shape_step() {
    shape_timer = 0;
    if (stopping) return;
    uint64_t live = 0;
    for (auto n : live_by_class) live += n;
    const double run_time_s = static_cast<double>(sched.now_ns() - test_start_ns) / 1e9;
    std::optional<shape_tick> t;
    try {
      t = plan.shape(run_time_s, live);
    } catch (const std::exception& e) {
      base::log_error("runner", std::string("the load shape's tick() failed: ") + e.what());
      t.reset();
    }
    if (!t) {
      stop("shape", std::nullopt);
      return;
    }
    set_stage(t->stage);
    if (!last_tick || t->users != last_tick->users || t->spawn_rate != last_tick->spawn_rate ||
        t->user_classes != last_tick->user_classes) {
      last_tick = t;
      retarget(t->users, t->spawn_rate > 0 ? t->spawn_rate : 1, t->user_classes);
      char rate[32];
      std::snprintf(rate, sizeof rate, "%g", t->spawn_rate);
      publish(event_kind::targets_changed,
              "shape: " + std::to_string(t->users) + " users at " + rate + "/s");
    }
    shape_timer = sched.call_after(1s, [this] { shape_step(); });
  }

  // The open model: the rate at this moment of the test, per class (its own or a share by
  // weight) and per shard, pushed to the shards when it changed; every 100 ms (ramps and shapes).
  void arrival_step() {
    arrival_timer = 0;
    if (stopping) return;
    const auto& a = *plan.arrivals;
    const double t = static_cast<double>(sched.now_ns() - test_start_ns) / 1e9;
    double total = 0;
    try {
      total = std::max(0.0, a.rate(t));
      if (a.stage) set_stage(a.stage(t));
    } catch (const std::exception& e) {
      base::log_error("runner", std::string("the arrival rate's shape failed, the test ends: ") + e.what());
      stop("shape", std::nullopt);
      return;
    }
    const size_t nc = classes().size();
    std::vector<double> rate(nc, 0);
    double weight_sum = 0;
    for (size_t i = 0; i < nc; ++i)
      if (i >= a.class_rates.size() || !a.class_rates[i]) weight_sum += std::max(0, classes()[i].weight);
    for (size_t i = 0; i < nc; ++i) {
      if (i < a.class_rates.size() && a.class_rates[i])
        rate[i] = std::max(0.0, *a.class_rates[i]);
      else if (weight_sum > 0)
        rate[i] = total * std::max(0, classes()[i].weight) / weight_sum;
    }
    double all = 0;
    for (double r : rate) all += r;
    arrival_targets per_shard;
    per_shard.poisson = a.poisson;
    const double n = static_cast<double>(shards.size());
    for (size_t i = 0; i < nc; ++i) {
      per_shard.rate_per_class.push_back(rate[i] / n);
      // The pools share the cap as the classes share the arrivals (each class at least one user).
      const double share = all > 0 ? rate[i] / all : 1.0 / static_cast<double>(nc);
      per_shard.max_users_per_class.push_back(static_cast<uint64_t>(
          std::max(1.0, std::ceil(static_cast<double>(a.max_users) * share / n))));
    }
    if (per_shard.rate_per_class != last_arrivals.rate_per_class ||
        per_shard.max_users_per_class != last_arrivals.max_users_per_class) {
      for (auto& sh : shards) sh->set_arrivals(per_shard);
      last_arrivals = per_shard;
    }
    arrival_timer = sched.call_after(100ms, [this] { arrival_step(); });
  }

  void set_stage(const std::string& name) {
    if (name == current_stage) return;
    current_stage = name;
    if (!name.empty()) publish(event_kind::targets_changed, "stage: " + name);
  }

  // ------------------------------------------------------------------------------------------
  // intervals

  void schedule_interval() {
    const double wall = sched.wall_s();
    const double len_s = static_cast<double>(cfg.interval.count()) / 1000.0;
    const double next_boundary = (std::floor(wall / len_s) + 1) * len_s;
    const auto wait = std::chrono::nanoseconds(static_cast<int64_t>((next_boundary - wall) * 1e9));
    interval_timer = sched.call_after(std::max<std::chrono::nanoseconds>(wait, 1ms), [this] {
      interval_timer = 0;
      on_interval_tick();
    });
  }

  void on_interval_tick() {
    const double wall = sched.wall_s();
    const uint64_t now_id = id_at(wall);
    // A wall clock stepped forward (NTP) would make the gap look like a stall of hours: when the
    // monotonic clock did not move that far, re-anchor instead of emitting owed intervals.
    const int64_t mono_elapsed = sched.now_ns() - last_close_mono_ns;
    if (now_id >= 1 && last_closed_id != 0 &&
        static_cast<int64_t>(now_id - 1 - last_closed_id) * interval_ns() > mono_elapsed + 2 * interval_ns()) {
      base::log_warning("runner", "the wall clock jumped forward: intervals continue from the new time");
      last_closed_id = now_id - 2;
    }
    // The interval that just ended is now_id - 1; a late tick owes every id since the last one.
    if (now_id >= 1 && now_id - 1 > last_closed_id) close_through(now_id - 1, wall, false);
    watch_shards();
    if (state.load() != stats::run_state::stopped) schedule_interval();
  }

  // Closes every interval up to `id`: the ones a late tick skipped as stalled, then `id` with the
  // data collected now.
  void close_through(uint64_t id, double wall, bool final) {
    const double len_s = static_cast<double>(cfg.interval.count()) / 1000.0;
    for (uint64_t owed = last_closed_id + 1; owed < id && last_closed_id != 0; ++owed) {
      auto r = std::make_shared<stats::interval_record>();
      fill_meta(*r, owed);
      r->stalled = true;
      r->start_wall_s = std::max(interval_start_wall, static_cast<double>(owed) * len_s);
      r->end_wall_s = r->start_wall_s;
      bus.publish(run_item{stats::record_ptr(std::move(r))});
    }
    auto r = std::make_shared<stats::interval_record>();
    fill_meta(*r, id);
    r->start_wall_s = interval_start_wall;
    r->end_wall_s = final ? wall : std::max(interval_start_wall, static_cast<double>(id + 1) * len_s);
    r->is_final = final;
    for (auto& sh : shards) stats::merge(r->data, sh->recorder().take_delta());
    double lag = 0;
    for (auto& sh : shards) lag = std::max(lag, sh->take_loop_lag_ms());
    if (cfg.sampler) r->health = cfg.sampler->sample(sched.now_ns(), lag, shards.size());
    else r->health.loop_lag_ms = lag;
    if (cfg.monitor) r->monitor = cfg.monitor();
    last_closed_id = id;
    last_close_mono_ns = sched.now_ns();
    interval_start_wall = r->end_wall_s;
    bus.publish(run_item{stats::record_ptr(std::move(r))});
  }

  void fill_meta(stats::interval_record& r, uint64_t id) {
    r.id = id;
    r.length_ms = static_cast<uint32_t>(cfg.interval.count());
    r.node = cfg.node;
    r.test = tests.load();
    r.state = state.load();
    r.user_count = live_users_now();
    live_users.store(r.user_count);
    outcome.peak_users = std::max(outcome.peak_users, r.user_count);
    if (plan.arrivals) {
      // The open model has no targets: the pools' users alive now.
      std::vector<uint64_t> live(classes().size(), 0);
      for (const auto& sh : shards) {
        const auto per = sh->live_users_by_class();
        for (size_t i = 0; i < per.size() && i < live.size(); ++i) live[i] += per[i];
      }
      for (size_t i = 0; i < classes().size(); ++i) r.users_by_class.emplace_back(classes()[i].name, live[i]);
      r.peak_user_count = std::max(interval_peak_users, r.user_count);
      interval_peak_users = 0;
    } else {
      // The interval's highest target, then the next interval starts from the targets now.
      uint64_t targets = 0;
      for (auto n : live_by_class) targets += n;
      r.peak_user_count = std::max({interval_peak_users, targets, r.user_count});
      interval_peak_users = targets;
      for (size_t i = 0; i < classes().size(); ++i)
        r.users_by_class.emplace_back(classes()[i].name, live_by_class.empty() ? 0 : live_by_class[i]);
    }
    r.stage = current_stage;
  }

  // A shard whose loop has not turned for stuck_after is stuck in user code: say so once, and
  // once more when it moves again.
  void watch_shards() {
    const int64_t now = sched.now_ns();
    for (size_t i = 0; i < shards.size(); ++i) {
      const uint64_t t = shards[i]->loop_turns();
      if (t != turns_seen[i]) {
        turns_seen[i] = t;
        turns_since_ns[i] = now;
        if (reported_stuck[i]) {
          reported_stuck[i] = false;
          base::log_info("runner", "shard " + std::to_string(i) + " runs again");
        }
        continue;
      }
      if (reported_stuck[i] || now - turns_since_ns[i] < std::chrono::nanoseconds(cfg.stuck_after).count())
        continue;
      reported_stuck[i] = true;
      std::string where = shards[i]->current_task();
      if (where.empty()) where = "unknown task";
      if (std::find(outcome.stuck.begin(), outcome.stuck.end(), where) == outcome.stuck.end())
        outcome.stuck.push_back(where);
      base::log_warning("runner", "shard " + std::to_string(i) + " is stuck in user code (" +
                                      where + "): a task that never yields starves its users");
      publish(event_kind::stuck, where);
    }
  }

  // ------------------------------------------------------------------------------------------
  // stopping

  void stop(const std::string& reason, std::optional<std::chrono::milliseconds> grace) {
    if (!test_active()) return;
    if (stopping) return;
    stopping = true;
    if (outcome.stop_reason.empty()) outcome.stop_reason = reason;
    const auto timeout = grace ? *grace : plan.stop_timeout;
    set_state(stats::run_state::stopping);
    cancel(spawn_timer);
    cancel(run_timer);
    cancel(shape_timer);
    cancel(arrival_timer);
    ramp.clear();
    publish(event_kind::test_stopping, reason);
    if (timeout.count() == 0) {
      kill_now();
    } else {
      for (auto& s : shards) s->stop_all(false);
      stop_timer = sched.call_after(timeout, [this] {
        stop_timer = 0;
        kill_now();
      });
      wait_users_gone(sched.now_ns() + std::chrono::nanoseconds(timeout + graceful_extra).count());
    }
  }

  void kill_now() {
    if (killed) return;
    killed = true;
    cancel(stop_timer);
    for (auto& s : shards) s->stop_all(true);
    wait_users_gone(sched.now_ns() + std::chrono::nanoseconds(kill_deadline).count());
  }

  // Polls until every user has ended (or the deadline: users stuck in code that never yields
  // are abandoned), then closes the test's last interval.
  void wait_users_gone(int64_t deadline_ns) {
    cancel(gone_timer);
    gone_deadline_ns = deadline_ns;
    check_users_gone();
  }

  void check_users_gone() {
    gone_timer = 0;
    const uint64_t live = live_users_now();
    if (live != 0 && sched.now_ns() <= gone_deadline_ns) {
      gone_timer = sched.call_after(users_gone_poll, [this] { check_users_gone(); });
      return;
    }
    if (live != 0) {
      outcome.abandoned_users = live;
      base::log_warning("runner", std::to_string(live) + " users did not stop in time and were abandoned");
      for (size_t i = 0; i < shards.size(); ++i) {
        if (shards[i]->live_users() == 0) continue;
        std::string where = shards[i]->current_task();
        if (!where.empty() && std::find(outcome.stuck.begin(), outcome.stuck.end(), where) == outcome.stuck.end())
          outcome.stuck.push_back(where);
      }
    }
    finish();
  }

  void finish() {
    cancel(interval_timer);
    cancel(gone_timer);
    const double wall = sched.wall_s();
    set_state(stats::run_state::stopped);
    // Intervals that ended before the stop close as a tick would have closed them; the final
    // record covers the rest, up to the stop.
    if (const uint64_t now_id = id_at(wall); now_id >= 1 && now_id - 1 > last_closed_id)
      close_through(now_id - 1, wall, false);
    close_through(std::max(last_closed_id + 1, id_at(wall)), wall, true);
    live_users.store(live_users_now());
    {
      std::lock_guard lock(mutex);
      last_outcome = outcome;
    }
    publish(event_kind::test_stop, outcome.stop_reason);
  }
};

// ---------------------------------------------------------------------------------------------

controller::controller(base::scheduler& sched, controller_config cfg, run_bus& bus)
    : impl_(std::make_shared<impl>(sched, std::move(cfg), bus)) {
  auto& im = *impl_;
  const int n = std::max(1, im.cfg.threads);
  for (int i = 0; i < n; ++i) {
    im.shards.push_back(im.cfg.make_shard(i, im.cfg.shards));
    im.shards.back()->start();
  }
}

controller::~controller() { shutdown(); }

void controller::start(test_plan plan) {
  std::weak_ptr<impl> w = impl_;
  impl_->sched.post([w, p = std::move(plan)]() mutable {
    if (auto im = w.lock()) im->start(std::move(p));
  });
}

void controller::set_users(uint64_t users, double spawn_rate, std::vector<std::string> user_classes) {
  std::weak_ptr<impl> w = impl_;
  impl_->sched.post([w, users, spawn_rate, c = std::move(user_classes)]() mutable {
    if (auto im = w.lock()) im->set_users(users, spawn_rate, std::move(c));
  });
}

void controller::set_class_targets(std::vector<uint64_t> per_class, double spawn_rate) {
  std::weak_ptr<impl> w = impl_;
  impl_->sched.post([w, t = std::move(per_class), spawn_rate]() mutable {
    if (auto im = w.lock()) im->set_class_targets(std::move(t), spawn_rate);
  });
}

void controller::set_arrivals(arrival_plan plan) {
  std::weak_ptr<impl> w = impl_;
  impl_->sched.post([w, p = std::move(plan)]() mutable {
    if (auto im = w.lock(); im && im->plan.arrivals && !im->stopping) im->plan.arrivals = std::move(p);
  });
}

void controller::stop(std::string reason, std::optional<std::chrono::milliseconds> grace) {
  std::weak_ptr<impl> w = impl_;
  impl_->sched.post([w, r = std::move(reason), grace] {
    if (auto im = w.lock()) im->stop(r, grace);
  });
}

void controller::kill() {
  std::weak_ptr<impl> w = impl_;
  impl_->sched.post([w] {
    auto im = w.lock();
    if (!im) return;
    if (!im->stopping) im->stop("stop requested", 0ms);
    im->kill_now();
  });
}

void controller::reset_stats() {
  std::weak_ptr<impl> w = impl_;
  impl_->sched.post([w] {
    if (auto im = w.lock()) im->reset_stats();
  });
}

stats::run_state controller::state() const { return impl_->state.load(); }
uint64_t controller::user_count() const { return impl_->live_users.load(); }
uint64_t controller::tests_started() const { return impl_->tests.load(); }
const shard_config& controller::shards() const { return impl_->cfg.shards; }

test_outcome controller::outcome() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->last_outcome;
}

int controller::class_index(const std::string& name) const {
  const auto& c = impl_->classes();
  for (size_t i = 0; i < c.size(); ++i)
    if (c[i].name == name) return static_cast<int>(i);
  return -1;
}

bool controller::shutdown(std::chrono::milliseconds per_shard) {
  auto& im = *impl_;
  for (auto* t : {&im.spawn_timer, &im.shape_timer, &im.run_timer, &im.stop_timer,
                  &im.interval_timer, &im.gone_timer, &im.arrival_timer})
    im.cancel(*t);
  bool all = true;
  for (auto& s : im.shards) {
    if (!s) continue;
    if (!s->join_for(per_shard)) {
      // A user is stuck in code that never yields: its thread cannot be stopped. Leak the shard
      // (the process is about to end) rather than wait forever or free what it uses.
      all = false;
      base::log_warning("runner", "a shard thread is stuck in user code and was abandoned");
      leak_on_purpose(s.release());
    }
  }
  im.shards.clear();
  return all;
}

}  // namespace endure::engine
