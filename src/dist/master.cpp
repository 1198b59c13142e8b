#include "dist/master.hpp"

#include <algorithm>
#include <cmath>

#include "base/log.hpp"
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
};

}  // namespace

struct master::impl {
  enum class phase { waiting, running, stopping, done };

  base::scheduler& sched;
  master_config cfg;
  engine::run_bus& bus;
  send_fn send;
  std::map<std::string, worker_entry> workers;
  int next_index = 0;
  phase ph = phase::waiting;
  bool failed = false;
  std::string reason;
  int64_t started_ns = 0, stop_deadline_ns = 0;
  base::scheduler::timer_id tick_timer = 0, run_timer = 0;
  std::map<uint64_t, stats::interval_record> pending;
  uint64_t last_flushed = 0;
  bool any_flushed = false;
  uint64_t reports = 0;
  bool spawning_complete_published = false;
  stats::run_state run_state = stats::run_state::ready;

  impl(base::scheduler& s, master_config c, engine::run_bus& b, send_fn f)
      : sched(s), cfg(std::move(c)), bus(b), send(std::move(f)) {}

  uint64_t now_id() const { return static_cast<uint64_t>(std::floor(sched.wall_s())); }

  void publish_event(engine::event_kind kind, std::string detail) {
    engine::run_event e;
    e.kind = kind;
    e.wall_s = sched.wall_s();
    e.test = 1;
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
    started_ns = sched.now_ns();
    base::log_info(component, "Waiting for " + std::to_string(cfg.expect_workers) + " worker" +
                                  (cfg.expect_workers == 1 ? "" : "s") + " to connect");
    schedule_tick();
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
    if (ph == phase::waiting) {
      if (ready_count() >= cfg.expect_workers) {
        begin();
      } else if (cfg.expect_workers_max_wait.count() > 0 &&
                 std::chrono::nanoseconds(now - started_ns) >= cfg.expect_workers_max_wait) {
        if (ready_count() == 0) {
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
    if (ph == phase::running && workers.empty()) stop("the last worker left");
    if (ph == phase::stopping && (workers.empty() || now >= stop_deadline_ns)) {
      if (!workers.empty())
        base::log_warning(component, std::to_string(workers.size()) + " worker(s) did not confirm the end: " +
                                         "their last reports may be missing");
      finish();
      return;
    }
    flush_until(now_id() - static_cast<uint64_t>(cfg.lateness.count() / 1000));
  }

  void begin() {
    ph = phase::running;
    run_state = stats::run_state::spawning;
    publish_event(engine::event_kind::test_start, std::to_string(cfg.users) + " users on " +
                                                      std::to_string(ready_count()) + " workers");
    base::log_info(component, "Starting " + std::to_string(cfg.users) + " users on " +
                                  std::to_string(ready_count()) + " workers");
    rebalance();
    if (cfg.run_time)
      run_timer = sched.call_after(*cfg.run_time, [this] {
        run_timer = 0;
        stop("run time");
      });
  }

  void rebalance() {
    if (ph != phase::running) return;
    std::vector<worker_entry*> active;
    for (auto& [id, w] : workers)
      if (w.in_dispatch && !w.missing) active.push_back(&w);
    std::sort(active.begin(), active.end(), [](auto* a, auto* b) { return a->index < b->index; });
    if (active.empty()) return;
    const auto totals = engine::distribute_users(cfg.classes, cfg.users);
    const auto split = split_users(totals, active.size());
    const double rate = cfg.spawn_rate / static_cast<double>(active.size());
    json parsed = json::parse(cfg.parsed_options_json, nullptr, false);
    if (parsed.is_discarded()) parsed = json::object();
    spawning_complete_published = false;
    run_state = stats::run_state::spawning;
    for (size_t k = 0; k < active.size(); ++k) {
      auto& w = *active[k];
      if (w.targets == split[k] && w.state == "running") continue;
      w.targets = split[k];
      w.spawn_acked = false;
      json counts = json::object();
      for (size_t c = 0; c < cfg.classes.size(); ++c) counts[cfg.classes[c].name] = split[k][c];
      tell(w.id, "spawn",
           {{"timestamp", sched.wall_s()},
            {"user_classes_count", counts},
            {"host", cfg.host},
            {"stop_timeout", static_cast<double>(cfg.stop_timeout.count()) / 1000.0},
            {"parsed_options", parsed},
            {"endure", {{"spawn_rate", rate}}}});
    }
    check_spawning_complete();
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
  }

  void stop(const std::string& why) {
    if (ph == phase::waiting) {
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
    publish_event(engine::event_kind::test_stopping, why);
    base::log_info(component, "Stopping (" + why + "): telling " + std::to_string(workers.size()) +
                                  " workers to quit");
    for (auto& [id, w] : workers) tell(id, "quit");
    stop_deadline_ns = sched.now_ns() +
                       std::chrono::nanoseconds(cfg.stop_timeout + cfg.quit_grace).count();
    // Missing workers cannot answer: forget them now (their reports so far are kept).
    for (auto it = workers.begin(); it != workers.end();)
      it = it->second.missing ? workers.erase(it) : std::next(it);
    if (workers.empty()) finish();
  }

  void finish() {
    if (ph == phase::done) return;
    flush_until(UINT64_MAX);
    stats::interval_record last;
    last.id = any_flushed ? last_flushed + 1 : now_id();
    last.start_wall_s = last.end_wall_s = sched.wall_s();
    decorate(last);
    last.state = stats::run_state::stopped;
    last.is_final = true;
    bus.publish(engine::run_item(std::make_shared<const stats::interval_record>(std::move(last))));
    run_state = stats::run_state::stopped;
    ph = phase::done;
    publish_event(engine::event_kind::test_stop, reason);
    if (tick_timer) sched.cancel(tick_timer);
    tick_timer = 0;
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
    r.test = 1;
    r.state = run_state;
  }

  void flush_until(uint64_t id) {
    while (!pending.empty() && pending.begin()->first <= id) {
      auto node = pending.extract(pending.begin());
      stats::interval_record r = std::move(node.mapped());
      decorate(r);
      r.is_final = false;  // only the master's last record ends the test
      last_flushed = r.id;
      any_flushed = true;
      bus.publish(engine::run_item(std::make_shared<const stats::interval_record>(std::move(r))));
    }
  }

  void add_record(stats::interval_record r) {
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
      tell(m.node_id, "ack", {{"index", w.index}});
      if (ph == phase::running) rebalance();
      if (ph == phase::stopping) tell(m.node_id, "quit");
      return;
    }
    if (it == workers.end()) {
      // A worker this master does not know (it restarted, or the worker's quit crossed ours):
      // ask it to reconnect, so it registers again and is adopted.
      if (m.type == "heartbeat" && ph != phase::done) tell(m.node_id, "reconnect");
      else if (m.type == "stats") base::log_warning(component, "report from unknown worker " + m.node_id + " discarded");
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
        if (auto s = m.data.find("state"); s != m.data.end() && s->is_string()) w.state = s->get<std::string>();
      }
      if (w.endure) tell(w.id, "heartbeat");
    } else if (m.type == "spawning") {
      w.state = "spawning";
    } else if (m.type == "spawning_complete") {
      w.state = "running";
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
      } else if (ph == phase::stopping && workers.empty()) {
        finish();
      }
    }
  }

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
      for (auto& r : *records) add_record(std::move(r));
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
}
void master::start() { impl_->start(); }
void master::on_message(const proto::message& m) { impl_->on_message(m); }
void master::stop(const std::string& reason) { impl_->stop(reason); }
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

}  // namespace endure::dist
