#include "engine/runner.hpp"

#include <sys/resource.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cmath>
#include <mutex>
#include <thread>

#include "base/clock.hpp"
#include "base/log.hpp"
#include "endure/user.hpp"
#include "engine/plan.hpp"
#include "engine/shard.hpp"
#include "stats/recorder.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace endure::engine {
namespace {

double process_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

}  // namespace

struct runner::impl {
  run_config cfg;
  std::vector<user_class> classes;
  hooks events;
  run_shared shared;
  asio::io_context io{1};
  // Keeps run() alive while shards compute deltas on their own threads.
  asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
  std::vector<std::unique_ptr<user_shard>> shards;
  std::unique_ptr<stats::aggregator> agg;
  stats::snapshot_ptr final_snapshot;

  // Spawning: a ramp is a list of changes (class index, +1 spawn or -1 stop) applied at a rate.
  std::vector<std::pair<size_t, int>> ramp;
  size_t ramp_done = 0;
  double ramp_rate = 1;
  int64_t ramp_start_ns = 0;
  bool first_ramp = true;
  uint64_t ramp_target = 0;
  std::vector<uint64_t> live_by_class;              // spawned minus stopped by the runner
  std::vector<std::vector<uint64_t>> on_shard;      // [class][shard]
  std::vector<uint64_t> shard_total;
  base::rng seed_rng;
  // Load shape.
  asio::steady_timer shape_timer{io};
  int64_t run_start_ns = 0;
  std::optional<shape_tick> last_tick;

  stats::run_state state = stats::run_state::ready;
  asio::steady_timer spawn_timer{io}, stats_timer{io}, run_timer{io}, stop_timer{io};
  asio::signal_set signals{io};
  int sigint_count = 0;
  bool stopping = false, forced = false;
  std::string reason;
  mutable std::mutex reason_mutex;

  // Interval collection.
  uint64_t pending_deltas = 0;
  uint64_t collect_gen = 0;
  bool closing_final = false, final_closed = false, stuck_shards = false;
  double last_cpu_s = 0;
  int64_t last_cpu_ns = 0;
  int cpu_high_seconds = 0;
  bool cpu_warned = false;
  double cpu_percent = 0;
  int64_t last_interval_ns = 0;

  void set_reason(std::string r) {
    std::lock_guard lock(reason_mutex);
    if (reason.empty()) reason = std::move(r);
  }

  uint64_t live_users() const {
    uint64_t n = 0;
    for (const auto& s : shards) n += s->live_users();
    return n;
  }

  std::vector<std::pair<std::string, uint64_t>> users_by_class() const {
    std::vector<std::pair<std::string, uint64_t>> out;
    for (size_t i = 0; i < classes.size(); ++i) out.emplace_back(classes[i].name, live_by_class[i]);
    return out;
  }

  void start() {
    for (int i = 0; i < std::max(1, cfg.threads); ++i) {
      shards.push_back(cfg.make_shard ? cfg.make_shard(i, shared) : std::make_unique<shard>(i, shared));
      shards.back()->start();
    }
    live_by_class.assign(classes.size(), 0);
    on_shard.assign(classes.size(), std::vector<uint64_t>(shards.size(), 0));
    shard_total.assign(shards.size(), 0);
    seed_rng.reseed(cfg.seed ? *cfg.seed : static_cast<uint64_t>(base::mono_now_ns()));

    for (auto& f : events.test_start) f();
    run_start_ns = base::mono_now_ns();
    last_interval_ns = run_start_ns;
    last_cpu_s = process_cpu_seconds();
    last_cpu_ns = run_start_ns;
    if (cfg.shape) {
      shape_step();
    } else {
      retarget(cfg.users, cfg.spawn_rate, {});
    }
    schedule_stats();
    if (cfg.run_time) {
      run_timer.expires_after(*cfg.run_time);
      run_timer.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) {
          set_reason("run time");
          stop(false);
        }
      });
    }
    if (cfg.handle_signals) {
      signals.add(SIGINT);
      signals.add(SIGTERM);
      wait_signal();
    }
  }

  void wait_signal() {
    signals.async_wait([this](const boost::system::error_code& ec, int sig) {
      if (ec) return;
      if (sig == SIGINT) ++sigint_count;
      set_reason("signal");
      if (!stopping) {
        base::log_info("runner", sig == SIGINT ? "SIGINT received: stopping (press Ctrl-C again to force)"
                                               : "SIGTERM received: stopping");
        stop(false);
      } else if (sig == SIGINT && sigint_count >= 2) {
        base::log_warning("runner", "second SIGINT: killing users now");
        force_kill();
      }
      wait_signal();
    });
  }

  // Sets new user targets: stops first (most recent users, gracefully), then spawns, all at
  // `rate` changes per second. `only`: the classes to run (empty: all, by weight).
  void retarget(uint64_t users, double rate, const std::vector<std::string>& only) {
    std::vector<class_weight> weights;
    for (const auto& c : classes) {
      bool selected = only.empty() || std::find(only.begin(), only.end(), c.name) != only.end();
      weights.push_back({c.name, selected ? c.weight : 0, selected ? c.fixed_count : 0});
    }
    auto target = distribute_users(weights, users);
    std::vector<uint64_t> up(classes.size(), 0), down(classes.size(), 0);
    for (size_t i = 0; i < classes.size(); ++i) {
      if (target[i] > live_by_class[i]) up[i] = target[i] - live_by_class[i];
      if (target[i] < live_by_class[i]) down[i] = live_by_class[i] - target[i];
    }
    ramp.clear();
    for (size_t ci : spawn_order(down)) ramp.emplace_back(ci, -1);
    for (size_t ci : spawn_order(up)) ramp.emplace_back(ci, +1);
    ramp_done = 0;
    ramp_rate = rate;
    ramp_target = users;
    ramp_start_ns = base::mono_now_ns();
    spawn_timer.cancel();
    if (!ramp.empty()) state = stats::run_state::spawning;
    spawn_tick();
  }

  void apply(const std::pair<size_t, int>& change) {
    size_t ci = change.first;
    if (change.second > 0) {
      size_t si = static_cast<size_t>(
          std::min_element(shard_total.begin(), shard_total.end()) - shard_total.begin());
      shards[si]->spawn(classes[ci], ci, seed_rng.next());
      live_by_class[ci]++;
      on_shard[ci][si]++;
      shard_total[si]++;
    } else {
      auto& per = on_shard[ci];
      size_t si = static_cast<size_t>(std::max_element(per.begin(), per.end()) - per.begin());
      if (per[si] == 0) return;
      shards[si]->stop_users(ci, 1, false);
      live_by_class[ci]--;
      per[si]--;
      shard_total[si]--;
    }
  }

  void spawn_tick() {
    if (stopping) return;
    double elapsed_s = static_cast<double>(base::mono_now_ns() - ramp_start_ns) / 1e9;
    size_t due = ramp.size();
    if (ramp_rate > 0) {
      double d = std::floor(ramp_rate * elapsed_s) + 1;
      if (d < static_cast<double>(ramp.size())) due = static_cast<size_t>(d);
    }
    while (ramp_done < due) apply(ramp[ramp_done++]);
    if (ramp_done >= ramp.size()) {
      bool changed = !ramp.empty();
      ramp.clear();
      ramp_done = 0;
      state = stats::run_state::running;
      if (!changed && !first_ramp) return;
      uint64_t total = 0;
      for (auto n : live_by_class) total += n;
      base::log_info("runner", (first_ramp ? "All users spawned: " : "Ramp complete: ") +
                                   std::to_string(total) + " users");
      if (first_ramp && cfg.reset_stats) {
        // Forget the ramp: the totals, and what the shards recorded since the last interval.
        agg->reset(base::wall_now_s());
        for (auto& s : shards) s->take_delta([](stats::shard_delta&&) {});
        for (auto& f : events.reset_stats) f();
      }
      first_ramp = false;
      for (auto& f : events.spawning_complete) f(total);
      return;
    }
    // The next change is due at ramp_done / rate seconds after the ramp started.
    double next_s = static_cast<double>(ramp_done) / ramp_rate;
    auto wait = std::chrono::nanoseconds(std::max<int64_t>(
        0, static_cast<int64_t>(next_s * 1e9) - (base::mono_now_ns() - ramp_start_ns)));
    spawn_timer.expires_after(std::max<std::chrono::nanoseconds>(wait, 1ms));
    spawn_timer.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) spawn_tick();
    });
  }

  // Asks the load shape for targets once a second (Locust's LoadTestShape.tick()).
  void shape_step() {
    if (stopping) return;
    uint64_t live = 0;
    for (auto n : live_by_class) live += n;
    double run_time_s = static_cast<double>(base::mono_now_ns() - run_start_ns) / 1e9;
    std::optional<shape_tick> t;
    try {
      t = cfg.shape(run_time_s, live);
    } catch (const std::exception& e) {
      base::log_error("runner", std::string("the load shape's tick() failed: ") + e.what());
      t.reset();
    }
    if (!t) {
      set_reason("shape");
      stop(false);
      return;
    }
    if (!last_tick || t->users != last_tick->users || t->spawn_rate != last_tick->spawn_rate ||
        t->user_classes != last_tick->user_classes) {
      last_tick = t;
      retarget(t->users, t->spawn_rate > 0 ? t->spawn_rate : 1, t->user_classes);
    }
    shape_timer.expires_after(1s);
    shape_timer.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) shape_step();
    });
  }

  void schedule_stats() {
    stats_timer.expires_after(cfg.interval);
    stats_timer.async_wait([this](const boost::system::error_code& ec) {
      if (ec || closing_final) return;
      collect(false);
      schedule_stats();
    });
  }

  // Asks every shard for its delta; closes the interval when all have answered. A shard that
  // does not answer (user code stuck in a busy loop) delays an ordinary interval (its delta joins
  // the next one) but never the final snapshot: that one is closed after a deadline regardless.
  void collect(bool final) {
    if (final_closed) return;
    if (pending_deltas > 0 && !final) return;
    uint64_t gen = ++collect_gen;
    pending_deltas = shards.size();
    for (auto& s : shards) {
      s->take_delta([this, final, gen](stats::shard_delta&& d) {
        asio::post(io, [this, final, gen, d = std::move(d)]() mutable {
          if (final_closed) return;
          agg->merge(d);  // data from an older collection is still data
          if (gen != collect_gen) return;
          if (--pending_deltas == 0) close_interval(final);
        });
      });
    }
    if (final) {
      auto t = std::make_shared<asio::steady_timer>(io, 2s);
      t->async_wait([this, t](const boost::system::error_code&) {
        if (final_closed) return;
        base::log_warning("runner", std::to_string(pending_deltas) +
                                        " shard(s) did not answer: closing the run without them");
        stuck_shards = true;
        close_interval(true);
      });
    }
  }

  void close_interval(bool final) {
    int64_t now = base::mono_now_ns();
    double cpu = process_cpu_seconds();
    double dt = static_cast<double>(now - last_cpu_ns) / 1e9;
    if (dt > 0.2) {
      cpu_percent = 100.0 * (cpu - last_cpu_s) / dt;
      last_cpu_s = cpu;
      last_cpu_ns = now;
      // Saturated generator: its latencies are not trustworthy. Warn once, mark the outputs.
      unsigned cores = std::max(1u, std::thread::hardware_concurrency());
      if (cpu_percent > 90.0 * std::min<double>(cores, static_cast<double>(shards.size())))
        cpu_high_seconds += static_cast<int>(std::lround(dt));
      else
        cpu_high_seconds = 0;
      if (cpu_high_seconds >= 10 && !cpu_warned) {
        cpu_warned = true;
        base::log_warning("runner",
                          "CPU usage above 90% for 10 s: the generator is saturated and its "
                          "response times are not trustworthy (use more --threads or workers)");
      }
    }
    stats::aggregator::interval_info info;
    info.wall_s = base::wall_now_s();
    info.interval_s = static_cast<double>(now - last_interval_ns) / 1e9;
    last_interval_ns = now;
    info.state = final ? stats::run_state::stopped : state;
    info.user_count = final ? 0 : live_users();
    info.user_count_by_class = users_by_class();
    info.is_final = final;
    info.generator_cpu_percent = cpu_percent;
    info.generator_cpu_warning = cpu_warned;
    if (final) final_closed = true;
    pending_deltas = 0;
    auto snap = agg->close_interval(info);
    if (final) final_snapshot = snap;
    for (auto& f : events.snapshot) f(snap);
    if (final) {
      for (auto& f : events.test_stop) f();
      guard.reset();
      io.stop();
    }
  }

  // grace: how long running tasks may take before they are killed (default: --stop-timeout).
  void stop(bool force, std::optional<std::chrono::milliseconds> grace = std::nullopt) {
    if (stopping) {
      if (force) force_kill();
      return;
    }
    auto timeout = grace ? *grace : cfg.stop_timeout;
    stopping = true;
    state = stats::run_state::stopping;
    spawn_timer.cancel();
    run_timer.cancel();
    shape_timer.cancel();
    for (auto& f : events.test_stopping) f();
    if (force || timeout.count() == 0) {
      force_kill();
    } else {
      for (auto& s : shards) s->stop_all(false);
      stop_timer.expires_after(timeout);
      stop_timer.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) force_kill();
      });
      wait_users_gone(base::mono_now_ns() + (timeout + 5s).count() * 1'000'000LL);
    }
  }

  void force_kill() {
    if (forced) return;
    forced = true;
    stop_timer.cancel();
    for (auto& s : shards) s->stop_all(true);
    wait_users_gone(base::mono_now_ns() + 3'000'000'000LL);
  }

  // Polls until every user has ended (or the deadline: a user stuck in a busy loop is abandoned),
  // then takes the final interval.
  void wait_users_gone(int64_t deadline_ns) {
    if (closing_final) return;
    if (live_users() == 0 || base::mono_now_ns() > deadline_ns) {
      if (live_users() != 0)
        base::log_warning("runner", std::to_string(live_users()) +
                                        " users did not stop in time and were abandoned");
      closing_final = true;
      stats_timer.cancel();
      finish_when_idle();
      return;
    }
    auto t = std::make_shared<asio::steady_timer>(io, 10ms);
    t->async_wait([this, t, deadline_ns](const boost::system::error_code&) {
      wait_users_gone(deadline_ns);
    });
  }

  void finish_when_idle() { collect(true); }
};

namespace {
std::vector<user_class> from_specs(const std::vector<const detail::class_spec*>& specs) {
  std::vector<user_class> out;
  for (const auto* s : specs) out.push_back(make_user_class(s));
  return out;
}
}  // namespace

runner::runner(run_config cfg, const std::vector<const detail::class_spec*>& classes)
    : runner(std::move(cfg), from_specs(classes)) {}

runner::runner(run_config cfg, std::vector<user_class> classes)
    : impl_(std::make_unique<impl>()) {
  impl_->cfg = std::move(cfg);
  impl_->classes = std::move(classes);
  impl_->shared.cfg = &impl_->cfg;
  impl_->shared.on_stop_test = [this] {
    asio::post(impl_->io, [this] {
      if (impl_->shared.iterations_reached) {
        // Every claimed iteration completes: wait for tasks in flight (bounded by a request).
        impl_->set_reason("iterations");
        impl_->stop(false, std::max<std::chrono::milliseconds>(
                               impl_->cfg.stop_timeout, impl_->cfg.client.request_timeout + 5s));
      } else {
        impl_->set_reason("stop_test");
        impl_->stop(false);
      }
    });
  };
}

runner::~runner() {
  for (auto& s : impl_->shards) s->join();
}

hooks& runner::events() { return impl_->events; }

stats::snapshot_ptr runner::run() {
  auto& im = *impl_;
  im.agg = std::make_unique<stats::aggregator>(base::wall_now_s());
  im.start();
  im.io.run();
  for (auto& s : im.shards) {
    if (!s->join_for(std::chrono::seconds(2))) {
      // A user is stuck in code that never yields: its thread cannot be stopped. Leak the
      // shard (the process is about to end) rather than wait forever or free what it uses.
      im.stuck_shards = true;
      base::log_warning("runner", "a shard thread is stuck in user code and was abandoned");
      (void)s.release();
    }
  }
  std::erase(im.shards, nullptr);
  return im.final_snapshot;
}

void runner::request_stop(bool force) {
  asio::post(impl_->io, [this, force] {
    impl_->set_reason("stop requested");
    impl_->stop(force);
  });
}

bool runner::abandoned_threads() const { return impl_->stuck_shards; }

std::string runner::stop_reason() const {
  std::lock_guard lock(impl_->reason_mutex);
  return impl_->reason;
}

}  // namespace endure::engine
