#include "dist/worker.hpp"

#include <unistd.h>

#include <deque>
#include <map>
#include <mutex>
#include <random>

#include "base/log.hpp"
#include "proto/locust_stats.hpp"
#include "proto/message.hpp"

namespace endure::dist {

std::string make_node_id() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "localhost");
  std::random_device rd;
  std::string hex;
  const char* d = "0123456789abcdef";
  for (int i = 0; i < 32; ++i) hex.push_back(d[rd() % 16]);
  return std::string(host) + "_" + hex;
}

namespace {
using nlohmann::json;
constexpr const char* component = "worker";
// Locust counts one occurrence per exception message: at most this many per kind per report.
constexpr uint64_t max_exception_messages = 100;
}  // namespace

struct worker::impl {
  base::scheduler& sched;
  engine::controller& ctl;
  worker_config cfg;
  send_fn send;
  engine::subscription sub;
  std::vector<stats::record_ptr> pending;
  // What was reported lately (a restarted master may not have stored it): the last
  // retain_while_heard of it while the master answers, everything since it went silent otherwise.
  std::deque<stats::record_ptr> reported;
  bool reregistering = false;  // asked to reconnect, no ack yet: what was reported is kept whole
  std::vector<std::pair<std::string, uint64_t>> users_by_class;
  double last_spawn_timestamp = 0;
  bool test_running = false;     // a start was commanded and its test_stop not seen yet
  bool stop_requested = false;   // the master's stop: report, client_stopped, client_ready
  bool quitting = false;         // quit (from the master or local): report, quit, done
  std::atomic<bool> done{false};
  std::string reason;
  bool master_answers = false;   // the master answers heartbeats (endure, Locust 2.19+)
  bool heard_any = false;        // any message from a master yet
  bool accepted = false;         // an ack or a spawn: a quit before either is a refusal
  int64_t last_master_ns = 0;
  base::scheduler::timer_id report_timer = 0;
  std::atomic<uint64_t> reports{0};
  std::atomic<double> cpu_percent{0};
  std::atomic<uint64_t> rss_bytes{0};
  mutable std::mutex reason_mutex;

  impl(base::scheduler& s, engine::controller& c, worker_config w, send_fn f)
      : sched(s), ctl(c), cfg(std::move(w)), send(std::move(f)) {}

  void tell(const std::string& type, json data = nullptr) {
    send(proto::message{type, std::move(data), cfg.node_id});
  }

  void on_item(const engine::run_item& item) {
    if (const auto* r = std::get_if<stats::record_ptr>(&item)) {
      if (!*r) return;
      pending.push_back(*r);
      users_by_class = (*r)->users_by_class;
      cpu_percent.store((*r)->health.cpu_percent);
      rss_bytes.store((*r)->health.rss_bytes);
      return;
    }
    const auto& e = std::get<engine::run_event>(item);
    if (e.kind == engine::event_kind::spawning_complete) {
      tell("spawning_complete", {{"user_classes_count", classes_json()}, {"user_count", e.user_count}});
    } else if (e.kind == engine::event_kind::test_stop) {
      test_running = false;
      // The controller publishes test_stop from inside its own command: act after it returns.
      sched.post([this] { after_test_stop(); });
    }
  }

  json classes_json() const {
    json j = json::object();
    for (auto& [c, n] : users_by_class) j[c] = n;
    return j;
  }

  void after_test_stop() {
    if (quitting) return finish_quit();
    if (stop_requested) {
      stop_requested = false;
      report();
      users_by_class.clear();
      tell("client_stopped");
      tell("client_ready", proto::locust_compat_version);
      return;
    }
    // The test ended on its own (a locustfile's stop, iterations): the master decides what next.
    report();
  }

  void start() {
    last_master_ns = sched.now_ns();
    tell("client_ready", proto::locust_compat_version);
    schedule_report();
  }

  void schedule_report() {
    report_timer = sched.call_after(cfg.report_interval, [this] {
      report_timer = 0;
      if (done) return;
      report();
      check_master();
      schedule_report();
    });
  }

  void check_master() {
    if (quitting) return;
    const auto silent = std::chrono::nanoseconds(sched.now_ns() - last_master_ns);
    if (!heard_any && silent > cfg.connect_timeout) {
      base::log_error(component, "no master answered in " + std::to_string(silent.count() / 1'000'000'000) +
                                     " s: giving up");
      leave("master lost");
      return;
    }
    if (!master_answers) return;
    if (silent > cfg.master_timeout) {
      base::log_error(component, "no word from the master for " + std::to_string(silent.count() / 1'000'000'000) +
                                     " s: stopping");
      leave("master lost");
    }
  }

  static constexpr int64_t retain_while_heard_ns = 30'000'000'000;

  void retain_reported() {
    for (auto& r : pending) reported.push_back(r);
    if (reregistering) return;  // the new master has just been heard: its ack says what it needs
    const int64_t now = sched.now_ns();
    // The master answers: keep 30 s. Silent: keep from 30 s before it went silent (a worker
    // leaves after --master-timeout without it). A Locust master never asks for them again.
    const int64_t heard = master_answers ? std::min(now, last_master_ns) : now;
    const double keep_from_wall =
        sched.wall_s() - static_cast<double>(now - heard + retain_while_heard_ns) / 1e9;
    while (!reported.empty() && reported.front()->end_wall_s < keep_from_wall) reported.pop_front();
  }

  // A restarted master (its ack says up to which interval its store holds the run): what was
  // reported after that is sent again, marked so that it counts once.
  void resend_after(uint64_t last_id) {
    std::vector<stats::record_ptr> again;
    for (auto& r : reported)
      if (r->id > last_id) again.push_back(r);
    if (again.empty()) return;
    json data = proto::stats_report(again, ctl.user_count(), users_by_class);
    data["endure"]["resent"] = true;
    tell("stats", std::move(data));
    base::log_info(component, "sent the restarted master " + std::to_string(again.size()) +
                                  " intervals it may not have");
  }

  void report() {
    retain_reported();
    json data = proto::stats_report(pending, ctl.user_count(), users_by_class);
    // A Locust master learns of exceptions one message each (an endure master reads the records).
    for (const auto& r : pending)
      for (const auto& x : r->data.exceptions)
        for (uint64_t k = 0; k < std::min(x.count, max_exception_messages); ++k)
          tell("exception", {{"msg", x.message}, {"traceback", x.traceback}});
    pending.clear();
    tell("stats", std::move(data));
    ++reports;
  }

  void on_message(const proto::message& m) {
    last_master_ns = sched.now_ns();
    heard_any = true;
    if (done) return;
    if (m.type == "ack" || m.type == "spawn") accepted = true;
    if (m.type == "ack") {
      const int index = m.data.is_object() ? m.data.value("index", -1) : -1;
      base::log_info(component, "connected to the master as worker " + std::to_string(index));
      reregistering = false;
      if (m.data.is_object())
        if (auto e = m.data.find("endure"); e != m.data.end() && e->is_object())
          if (auto a = e->find("resume_after"); a != e->end() && a->is_number_unsigned())
            resend_after(a->get<uint64_t>());
    } else if (m.type == "heartbeat") {
      master_answers = true;
    } else if (m.type == "spawn") {
      on_spawn(m.data);
    } else if (m.type == "stop") {
      if (test_running) {
        stop_requested = true;
        ctl.stop("stop from the master");
      } else {
        tell("client_stopped");
        tell("client_ready", proto::locust_compat_version);
      }
    } else if (m.type == "quit") {
      // A master that refuses a worker (a protocol version it does not speak) answers its
      // client_ready with quit, never an ack.
      leave(accepted ? "quit from the master" : "refused by the master");
    } else if (m.type == "reconnect") {
      base::log_warning(component, "the master asks to reconnect: registering again");
      reregistering = true;
      tell("client_ready", proto::locust_compat_version);
    }
  }

  void on_spawn(const json& d) {
    if (!d.is_object() || !d.contains("user_classes_count") || !d["user_classes_count"].is_object()) {
      base::log_warning(component, "spawn message without user_classes_count: ignored");
      return;
    }
    const double ts = d.value("timestamp", 0.0);
    if (ts < last_spawn_timestamp) return;  // an older dispatch overtaken by a newer one
    last_spawn_timestamp = ts;
    std::vector<uint64_t> targets(ctl.shards().classes.size(), 0);
    for (auto& [name, n] : d["user_classes_count"].items()) {
      const int c = ctl.class_index(name);
      if (c < 0) {
        if (n.is_number() && n.get<double>() > 0)
          base::log_warning(component, "the master asks for users of class '" + name +
                                           "', which this locustfile does not define: ignored");
        continue;
      }
      if (n.is_number_integer() && n.get<int64_t>() >= 0) targets[static_cast<size_t>(c)] = n.get<uint64_t>();
    }
    // A Locust master paces the ramp itself and sends each step: spawn a step at once. An endure
    // master sends every worker its share of the spawn rate.
    double rate = 1e6;
    if (auto e = d.find("endure"); e != d.end() && e->is_object() && (*e).contains("spawn_rate") &&
                                   (*e)["spawn_rate"].is_number())
      rate = std::max(0.001, (*e)["spawn_rate"].get<double>());
    tell("spawning");
    if (!test_running) {
      // Locust's workers take the master's parsed options (the locustfile's own among them).
      if (auto p = d.find("parsed_options"); p != d.end() && p->is_object() && cfg.apply_parsed_options)
        cfg.apply_parsed_options(*p);
      engine::test_plan plan;
      plan.class_targets = targets;
      plan.spawn_rate = rate;
      if (auto h = d.find("host"); h != d.end() && h->is_string()) plan.host = h->get<std::string>();
      if (auto st = d.find("stop_timeout"); st != d.end() && st->is_number())
        plan.stop_timeout = std::chrono::milliseconds(static_cast<int64_t>(st->get<double>() * 1000));
      // An endure master's open model: this worker's share of the arrival rate.
      if (auto e = d.find("endure"); e != d.end() && e->is_object())
        if (auto a = e->find("arrivals"); a != e->end() && a->is_object()) {
          if (!cfg.make_arrivals) {
            base::log_error(component, "the master runs the open model, which this worker cannot build: no arrivals");
          } else if (auto built = cfg.make_arrivals(*a); !built) {
            base::log_error(component, "the master's open model: " + built.err().message);
          } else {
            plan.arrivals = std::move(*built);
          }
        }
      // An endure master's -i share (task runs for this worker, then its test ends on its own).
      if (auto e = d.find("endure"); e != d.end() && e->is_object())
        if (auto i = e->find("iterations"); i != e->end() && i->is_number_integer() && i->get<int64_t>() > 0)
          plan.iterations = i->get<uint64_t>();
      // An endure master's --session-length: [min, max] in ms.
      if (auto e = d.find("endure"); e != d.end() && e->is_object())
        if (auto s = e->find("session_ms"); s != e->end() && s->is_array() && s->size() == 2 &&
                                            (*s)[0].is_number_integer() && (*s)[1].is_number_integer()) {
          const int64_t lo = (*s)[0].get<int64_t>(), hi = (*s)[1].get<int64_t>();
          if (lo >= 0 && hi >= lo) {
            plan.session_min = std::chrono::milliseconds(lo);
            plan.session_max = std::chrono::milliseconds(hi);
          }
        }
      test_running = true;
      ctl.start(std::move(plan));
    } else {
      ctl.set_class_targets(std::move(targets), rate);
      // An endure master's open model: this worker's share changed (a worker joined or left).
      if (auto e = d.find("endure"); e != d.end() && e->is_object() && cfg.make_arrivals)
        if (auto a = e->find("arrivals"); a != e->end() && a->is_object()) {
          if (auto built = cfg.make_arrivals(*a); !built)
            base::log_error(component, "the master's open model: " + built.err().message);
          else
            ctl.set_arrivals(std::move(*built));
        }
    }
  }

  void leave(const std::string& why) {
    if (quitting || done) return;
    quitting = true;
    {
      std::lock_guard lock(reason_mutex);
      reason = why;
    }
    if (test_running) ctl.stop(why);
    else finish_quit();
  }

  void finish_quit() {
    if (done) return;
    report();
    tell("quit");
    if (report_timer) sched.cancel(report_timer);
    report_timer = 0;
    done = true;
  }

  proto::message heartbeat() const {
    const char* state = "ready";
    switch (ctl.state()) {
      case stats::run_state::ready: state = "ready"; break;
      case stats::run_state::spawning: state = "spawning"; break;
      case stats::run_state::running: state = "running"; break;
      case stats::run_state::stopping: state = "stopping"; break;
      case stats::run_state::stopped: state = "stopped"; break;
    }
    json data = {{"state", state},
                 {"current_cpu_usage", cpu_percent.load()},
                 {"current_memory_usage", rss_bytes.load()},
                 {"endure", true}};
    return proto::message{"heartbeat", std::move(data), cfg.node_id};
  }
};

worker::worker(base::scheduler& sched, engine::controller& ctl, engine::run_bus& bus, worker_config cfg,
               send_fn send)
    : impl_(std::make_shared<impl>(sched, ctl, std::move(cfg), std::move(send))) {
  impl_->sub = bus.subscribe([im = impl_.get()](const engine::run_item& item) { im->on_item(item); });
}
worker::~worker() {
  impl_->sub.reset();
  if (impl_->report_timer) impl_->sched.cancel(impl_->report_timer);
}
void worker::start() { impl_->start(); }
void worker::on_message(const proto::message& m) { impl_->on_message(m); }
void worker::leave(const std::string& reason) { impl_->leave(reason); }
proto::message worker::heartbeat() const { return impl_->heartbeat(); }
bool worker::finished() const { return impl_->done.load(); }
std::string worker::end_reason() const {
  std::lock_guard lock(impl_->reason_mutex);
  return impl_->reason;
}
uint64_t worker::reports_sent() const { return impl_->reports.load(); }

}  // namespace endure::dist
