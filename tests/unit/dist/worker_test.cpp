// dist::worker in simulated time over a real engine::controller with counting shards: spawn to
// absolute class targets, reports every 3 s (Locust fields + exact records), stop, quit with a
// last report, and giving up on a master that went silent.
#include <gtest/gtest.h>

#include "base/scheduler.hpp"
#include "dist/worker.hpp"
#include "proto/locust_stats.hpp"
#include "proto/message.hpp"

namespace endure::dist {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// Users exist as counts; a stopped user ends at once.
class counting_shard final : public engine::user_shard {
 public:
  void start() override {}
  bool join_for(std::chrono::milliseconds) override { return true; }
  void begin_test(std::shared_ptr<const engine::test_settings> s, std::shared_ptr<engine::test_shared>) override {
    host = s->host;
    session_min_ms = s->session_min_ms;
    session_max_ms = s->session_max_ms;
    iterations = s->iterations;
    targets.clear();
  }
  void set_targets(const std::vector<uint64_t>& t) override { targets = t; }
  void set_arrivals(const engine::arrival_targets&) override { ++arrival_updates; }
  std::vector<uint64_t> live_users_by_class() const override { return targets; }
  void stop_all(bool) override { targets.assign(targets.size(), 0); }
  stats::shard_recorder& recorder() override { return rec; }
  uint64_t live_users() const override {
    uint64_t n = 0;
    for (auto t : targets) n += t;
    return n;
  }
  uint64_t loop_turns() const override { return ++turns; }
  double take_loop_lag_ms() override { return 0; }
  std::string current_task() const override { return ""; }

  std::vector<uint64_t> targets;
  std::string host;
  int64_t session_min_ms = -1, session_max_ms = -1;
  std::optional<uint64_t> iterations;
  int arrival_updates = 0;
  stats::shard_recorder rec;
  mutable uint64_t turns = 0;
};

struct harness {
  base::sim_scheduler sched;
  engine::run_bus bus;
  counting_shard* shard = nullptr;
  std::unique_ptr<engine::controller> ctl;
  std::unique_ptr<worker> w;
  std::vector<proto::message> sent;

  explicit harness(std::function<base::result<engine::arrival_plan>(const json&)> make_arrivals = {}) {
    engine::controller_config cfg;
    cfg.threads = 1;
    cfg.shards.classes = {{"A", 1, 0, "http://h", true, nullptr}, {"B", 1, 0, "http://h", true, nullptr}};
    cfg.make_shard = [this](int, const engine::shard_config&) {
      auto s = std::make_unique<counting_shard>();
      shard = s.get();
      return std::unique_ptr<engine::user_shard>(std::move(s));
    };
    ctl = std::make_unique<engine::controller>(sched, std::move(cfg), bus);
    worker_config wc;
    wc.node_id = "host_1";
    wc.make_arrivals = std::move(make_arrivals);
    w = std::make_unique<worker>(sched, *ctl, bus, wc, [this](const proto::message& m) {
      auto back = proto::decode(proto::encode(m));
      ASSERT_TRUE(back);
      sent.push_back(*back);
    });
    w->start();
  }
  ~harness() {
    w.reset();
    ctl->shutdown();
  }
  void master(const std::string& type, json data = nullptr) {
    w->on_message(proto::message{type, std::move(data), "master"});
    sched.run_for(0s);
  }
  std::vector<proto::message> of(const std::string& type) const {
    std::vector<proto::message> out;
    for (auto& m : sent)
      if (m.type == type) out.push_back(m);
    return out;
  }
  void spawn(uint64_t a, uint64_t b, double ts = 1.0) {
    master("spawn", {{"timestamp", ts},
                     {"user_classes_count", {{"A", a}, {"B", b}}},
                     {"host", "http://target:1"},
                     {"stop_timeout", nullptr},
                     {"parsed_options", json::object()}});
  }
};

TEST(worker, registers_and_spawns_the_absolute_targets_of_each_class) {
  harness h;
  ASSERT_EQ(h.of("client_ready").size(), 1u);
  EXPECT_EQ(h.of("client_ready")[0].data, proto::locust_compat_version);
  h.spawn(3, 1);
  h.sched.run_for(2s);
  EXPECT_EQ(h.of("spawning").size(), 1u);
  EXPECT_EQ(h.shard->targets, (std::vector<uint64_t>{3, 1}));
  EXPECT_EQ(h.shard->host, "http://target:1");
  ASSERT_EQ(h.of("spawning_complete").size(), 1u);
  EXPECT_EQ(h.of("spawning_complete")[0].data["user_count"], 4);
  // The next dispatch: new absolute targets; an older one arriving late is ignored.
  h.spawn(1, 1, 2.0);
  h.spawn(5, 5, 1.5);
  h.sched.run_for(2s);
  EXPECT_EQ(h.shard->targets, (std::vector<uint64_t>{1, 1}));
}

TEST(worker, reports_every_three_seconds_with_exact_records) {
  harness h;
  h.spawn(1, 0);
  h.sched.run_for(1s);
  h.shard->rec.record({"GET", "/", 1500, 1500, 10, "", h.sched.wall_s()});
  h.sched.run_for(3s);
  auto reports = h.of("stats");
  ASSERT_GE(reports.size(), 1u);
  uint64_t locust_requests = 0, record_requests = 0;
  for (auto& r : reports) {
    for (auto& e : r.data["stats"]) locust_requests += e["num_requests"].get<uint64_t>();
    auto rs = proto::records_of(r.data);
    ASSERT_TRUE(rs);
    for (auto& rec : *rs)
      for (auto& e : rec.data.entries) record_requests += e.requests;
  }
  EXPECT_EQ(locust_requests, 1u);
  EXPECT_EQ(record_requests, 1u);
  h.sched.run_for(3s);
  EXPECT_EQ(h.of("stats").size(), reports.size() + 1);
}

TEST(worker, quit_stops_the_users_sends_the_last_report_and_ends) {
  harness h;
  h.spawn(2, 2);
  h.sched.run_for(2s);
  h.shard->rec.record({"GET", "/last", 1000, 1000, 10, "", h.sched.wall_s()});
  h.master("quit");
  h.sched.run_until([&] { return h.w->finished(); }, 10s);
  ASSERT_TRUE(h.w->finished());
  EXPECT_EQ(h.w->end_reason(), "quit from the master");
  ASSERT_FALSE(h.sent.empty());
  EXPECT_EQ(h.sent.back().type, "quit");
  // The report just before quit holds the test's final record and the last request.
  auto last = h.of("stats").back();
  auto rs = proto::records_of(last.data);
  ASSERT_TRUE(rs);
  ASSERT_FALSE(rs->empty());
  EXPECT_TRUE(rs->back().is_final);
  uint64_t n = 0;
  for (auto& r : h.of("stats"))
    for (auto& e : r.data["stats"]) n += e["name"] == "/last" ? e["num_requests"].get<uint64_t>() : 0;
  EXPECT_EQ(n, 1u);
}

// A master that does not speak this worker's protocol version answers client_ready with quit.
TEST(worker, a_quit_before_any_ack_is_a_refusal_and_after_one_a_quit) {
  harness refused;
  refused.master("quit");
  refused.sched.run_until([&] { return refused.w->finished(); }, 10s);
  ASSERT_TRUE(refused.w->finished());
  EXPECT_EQ(refused.w->end_reason(), "refused by the master");
  harness accepted;
  accepted.master("ack", {{"index", 0}});
  accepted.master("quit");
  accepted.sched.run_until([&] { return accepted.w->finished(); }, 10s);
  EXPECT_EQ(accepted.w->end_reason(), "quit from the master");
}

TEST(worker, stop_answers_client_stopped_then_ready_again) {
  harness h;
  h.spawn(1, 1);
  h.sched.run_for(2s);
  h.master("stop");
  h.sched.run_for(2s);
  EXPECT_EQ(h.of("client_stopped").size(), 1u);
  EXPECT_EQ(h.of("client_ready").size(), 2u);
  EXPECT_FALSE(h.w->finished());
  h.spawn(2, 0, 5.0);  // a new test
  h.sched.run_for(2s);
  EXPECT_EQ(h.shard->targets, (std::vector<uint64_t>{2, 0}));
}

TEST(worker, gives_up_on_a_master_that_stopped_answering) {
  harness h;
  h.master("ack", {{"index", 0}});
  h.master("heartbeat");  // this master answers heartbeats: its silence means something
  h.spawn(1, 0);
  h.sched.run_for(50s);
  EXPECT_FALSE(h.w->finished());
  h.sched.run_until([&] { return h.w->finished(); }, 30s);
  EXPECT_TRUE(h.w->finished());
  EXPECT_EQ(h.w->end_reason(), "master lost");
}

TEST(worker, heartbeat_carries_locust_fields_and_the_endure_mark) {
  harness h;
  auto hb = h.w->heartbeat();
  EXPECT_EQ(hb.type, "heartbeat");
  EXPECT_EQ(hb.node_id, "host_1");
  EXPECT_EQ(hb.data["state"], "ready");
  EXPECT_TRUE(hb.data.contains("current_cpu_usage"));
  EXPECT_TRUE(hb.data.contains("current_memory_usage"));
  EXPECT_TRUE(hb.data.contains("endure"));
}

}  // namespace
}  // namespace endure::dist

namespace endure::dist {
namespace {

// A restarted master does not know the worker: it asks it to reconnect, and the worker registers
// again without losing its users (the new master adopts them with its next spawn).
TEST(worker, reconnect_registers_again_and_keeps_the_users) {
  harness h;
  h.spawn(2, 1);
  h.sched.run_for(2s);
  h.master("reconnect");
  EXPECT_EQ(h.of("client_ready").size(), 2u);
  EXPECT_EQ(h.shard->targets, (std::vector<uint64_t>{2, 1}));
  EXPECT_FALSE(h.w->finished());
  h.spawn(1, 1, 9.0);
  h.sched.run_for(2s);
  EXPECT_EQ(h.shard->targets, (std::vector<uint64_t>{1, 1}));
}

TEST(worker, an_endure_masters_session_length_reaches_the_users) {
  harness h;
  h.master("spawn", {{"timestamp", 1.0},
                     {"user_classes_count", {{"A", 2}, {"B", 0}}},
                     {"host", "http://target:1"},
                     {"endure", {{"spawn_rate", 10.0}, {"session_ms", {60'000, 120'000}}}}});
  h.sched.run_for(1s);
  EXPECT_EQ(h.shard->session_min_ms, 60'000);
  EXPECT_EQ(h.shard->session_max_ms, 120'000);
}

TEST(worker, an_endure_masters_iterations_share_reaches_the_users) {
  harness h;
  h.master("spawn", {{"timestamp", 1.0},
                     {"user_classes_count", {{"A", 1}, {"B", 0}}},
                     {"endure", {{"spawn_rate", 10.0}, {"iterations", 7}}}});
  h.sched.run_for(1s);
  EXPECT_EQ(h.shard->iterations, std::optional<uint64_t>(7));
}

TEST(worker, an_endure_masters_open_model_runs_this_workers_share) {
  json seen;
  harness h([&seen](const json& a) -> base::result<engine::arrival_plan> {
    seen = a;
    engine::arrival_plan p;
    p.rate = [share = a.value("share", 1.0)](double) { return 10.0 * share; };
    p.max_users = a.value("max_users", uint64_t{0});
    p.class_rates.assign(2, std::nullopt);
    return p;
  });
  h.master("spawn", {{"timestamp", 1.0},
                     {"user_classes_count", {{"A", 0}, {"B", 0}}},
                     {"endure", {{"spawn_rate", 1.0}, {"arrivals", {{"rate", "10/s"}, {"share", 0.5}, {"max_users", 7}}}}}});
  h.sched.run_for(2s);
  EXPECT_EQ(seen["rate"], "10/s");
  EXPECT_EQ(seen["share"], 0.5);
  EXPECT_GT(h.shard->arrival_updates, 0) << "the controller runs arrivals";
  EXPECT_EQ(h.ctl->state(), stats::run_state::running);
  // A new share while the test runs (a worker joined or left): the new plan's rate is run.
  const int before = h.shard->arrival_updates;
  h.master("spawn", {{"timestamp", 2.0},
                     {"user_classes_count", {{"A", 0}, {"B", 0}}},
                     {"endure", {{"spawn_rate", 1.0}, {"arrivals", {{"rate", "10/s"}, {"share", 0.25}, {"max_users", 4}}}}}});
  h.sched.run_for(1s);
  EXPECT_EQ(seen["share"], 0.25);
  EXPECT_GT(h.shard->arrival_updates, before) << "the new share reaches the shards";
  // A plan that cannot be built is logged; the worker runs its (zero) targets instead.
  harness bad([](const json&) -> base::result<engine::arrival_plan> { return base::make_error("bad rate"); });
  bad.master("spawn", {{"timestamp", 1.0},
                       {"user_classes_count", {{"A", 0}, {"B", 0}}},
                       {"endure", {{"arrivals", {{"rate", "x"}, {"share", 1.0}}}}}});
  bad.sched.run_for(2s);
  EXPECT_EQ(bad.shard->arrival_updates, 0);
}

TEST(worker, a_spawn_without_session_length_keeps_whole_test_sessions) {
  harness h;
  h.spawn(1, 1);
  h.sched.run_for(1s);
  EXPECT_EQ(h.shard->session_min_ms, 0);
  EXPECT_EQ(h.shard->session_max_ms, 0);
}

}  // namespace
}  // namespace endure::dist

namespace endure::dist {
namespace {

// A master killed and restarted on its store says in its ack up to which interval the store holds
// the run: the worker sends again what it reported after that (and kept since the master went
// silent), marked as sent again; what the store has is not sent.
TEST(worker, a_restarted_masters_ack_gets_what_was_reported_after_its_store) {
  harness h;
  h.master("ack", {{"index", 0}});
  h.master("heartbeat");
  h.spawn(1, 0);
  // The master goes silent (killed) after 4 s and is back 36 s later (within --master-timeout).
  for (int s = 0; s < 40; ++s) {
    h.shard->rec.record({"GET", "/", 1000, 1000, 10, "", h.sched.wall_s()});
    if (s < 4) h.master("heartbeat");
    h.sched.run_for(1s);
  }
  // The new master asks it to reconnect; a report goes out before its ack comes (reported, and
  // kept: the ack says what is needed, even what is more than 30 s old by now).
  h.master("reconnect");
  h.sched.run_for(3s);
  // Every request reported once so far.
  uint64_t reported = 0, last_stored = 0;
  for (auto& r : h.of("stats")) {
    auto rs = proto::records_of(r.data);
    ASSERT_TRUE(rs);
    for (auto& rec : *rs) {
      for (auto& e : rec.data.entries) reported += e.requests;
      if (!rec.data.entries.empty() && last_stored == 0) last_stored = rec.id;  // the store has the first
    }
  }
  EXPECT_EQ(reported, 40u);
  const size_t before = h.of("stats").size();
  h.master("ack", {{"index", 0}, {"endure", {{"resume_after", last_stored}}}});
  ASSERT_EQ(h.of("stats").size(), before + 1);
  const auto again = h.of("stats").back();
  EXPECT_TRUE(again.data["endure"].value("resent", false));
  auto rs = proto::records_of(again.data);
  ASSERT_TRUE(rs);
  uint64_t resent = 0;
  for (auto& rec : *rs) {
    EXPECT_GT(rec.id, last_stored);
    for (auto& e : rec.data.entries) resent += e.requests;
  }
  EXPECT_EQ(resent, reported - 1);
  // A master that is not resuming (no resume_after) gets nothing again.
  h.master("ack", {{"index", 0}});
  EXPECT_EQ(h.of("stats").size(), before + 1);
}

}  // namespace
}  // namespace endure::dist
