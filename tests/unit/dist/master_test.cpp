// dist::master in simulated time: waiting for workers, the split of users, liveness (missing,
// redistribution, return), the exact merge of worker reports, late reports, the end of a run.
#include <gtest/gtest.h>

#include <map>

#include "base/scheduler.hpp"
#include "dist/master.hpp"
#include "engine/controller.hpp"
#include "proto/locust_stats.hpp"
#include "proto/message.hpp"
#include "stats/histogram.hpp"
#include "stats/run_totals.hpp"

namespace endure::dist {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

struct harness {
  base::sim_scheduler sched;
  engine::run_bus bus;
  std::vector<std::pair<std::string, proto::message>> sent;
  std::vector<stats::record_ptr> records;
  std::vector<engine::run_event> events;
  engine::subscription sub;
  std::unique_ptr<master> m;

  explicit harness(master_config cfg) {
    sub = bus.subscribe([this](const engine::run_item& item) {
      if (auto* r = std::get_if<stats::record_ptr>(&item)) records.push_back(*r);
      else events.push_back(std::get<engine::run_event>(item));
    });
    m = std::make_unique<master>(sched, std::move(cfg), bus,
                                 [this](const std::string& node, const proto::message& msg) {
                                   // Every message goes through the real codec.
                                   auto back = proto::decode(proto::encode(msg));
                                   ASSERT_TRUE(back);
                                   sent.emplace_back(node, *back);
                                 });
    m->start();
  }
  void from(const std::string& node, const std::string& type, json data = nullptr) {
    m->on_message(proto::message{type, std::move(data), node});
  }
  // The users of the last spawn message each worker got.
  std::map<std::string, std::map<std::string, uint64_t>> last_spawn() const {
    std::map<std::string, std::map<std::string, uint64_t>> out;
    for (auto& [node, msg] : sent)
      if (msg.type == "spawn") {
        out[node].clear();
        for (auto& [c, n] : msg.data["user_classes_count"].items()) out[node][c] = n.get<uint64_t>();
      }
    return out;
  }
  size_t count(const std::string& node, const std::string& type) const {
    size_t n = 0;
    for (auto& [to, msg] : sent) n += to == node && msg.type == type ? 1 : 0;
    return n;
  }
  bool has_event(engine::event_kind k) const {
    for (auto& e : events)
      if (e.kind == k) return true;
    return false;
  }
  // Heartbeats from these workers every second for `d`.
  // Locust workers send no "endure" key (and read their exceptions from "exception" messages).
  void alive(std::vector<std::string> nodes, std::chrono::seconds d, bool endure = true) {
    for (int s = 0; s < d.count(); ++s) {
      for (auto& n : nodes) {
        json hb = {{"state", "running"}, {"current_cpu_usage", 1.0}};
        if (endure) hb["endure"] = true;
        from(n, "heartbeat", hb);
      }
      sched.run_for(1s);
    }
  }
  uint64_t now_id() const { return static_cast<uint64_t>(sched.wall_s()); }
};

master_config config(uint64_t users = 10) {
  master_config c;
  c.classes = {{"A", 3, 0}, {"B", 1, 0}};
  c.users = users;
  c.spawn_rate = 4;
  c.expect_workers = 2;
  c.run_time = 600s;
  return c;
}

stats::interval_record report_record(uint64_t id, const std::vector<uint64_t>& latencies_us, uint64_t users) {
  stats::interval_record r;
  r.id = id;
  r.start_wall_s = static_cast<double>(id);
  r.end_wall_s = static_cast<double>(id + 1);
  r.user_count = users;
  stats::entry_delta e;
  e.method = "GET";
  e.name = "/";
  std::map<uint32_t, uint64_t> b;
  for (auto us : latencies_us) {
    if (e.requests == 0 || us < e.min_us) e.min_us = us;
    e.max_us = std::max(e.max_us, us);
    e.sum_us += us;
    ++e.requests;
    ++b[stats::histogram::bucket_index(us)];
  }
  e.intended_min_us = e.min_us;
  e.intended_max_us = e.max_us;
  e.latency.assign(b.begin(), b.end());
  r.data.entries.push_back(e);
  return r;
}

json report(std::vector<stats::interval_record> rs, uint64_t users) {
  std::vector<stats::record_ptr> ptrs;
  for (auto& r : rs) ptrs.push_back(std::make_shared<const stats::interval_record>(r));
  return proto::stats_report(ptrs, users, {});
}

TEST(split_users, spreads_each_class_over_workers_and_continues_the_cycle) {
  auto s = split_users({3, 1, 2}, 2);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0], (std::vector<uint64_t>{2, 0, 1}));
  EXPECT_EQ(s[1], (std::vector<uint64_t>{1, 1, 1}));
  auto one = split_users({1, 1, 1, 1}, 4);  // four one-user classes land on four workers
  for (size_t w = 0; w < 4; ++w) EXPECT_EQ(one[w][w], 1u);
}

TEST(master, waits_for_the_expected_workers_then_splits_the_users) {
  harness h(config(10));
  h.from("w1", "client_ready", "2.12.1");
  h.alive({"w1"}, 3s);
  EXPECT_EQ(h.last_spawn().size(), 0u) << "spawned before the second worker came";
  EXPECT_EQ(h.count("w1", "ack"), 1u);
  h.from("w2", "client_ready", "");  // Debian's Locust: no version, accepted
  h.alive({"w1", "w2"}, 2s);
  auto s = h.last_spawn();
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s["w1"]["A"] + s["w2"]["A"], 8u);  // weights 3:1 of 10 -> 7.5:2.5, largest remainder
  EXPECT_EQ(s["w1"]["B"] + s["w2"]["B"], 2u);
  EXPECT_EQ(s["w1"]["A"] + s["w1"]["B"], 5u);
  EXPECT_TRUE(h.has_event(engine::event_kind::test_start));
  EXPECT_FALSE(h.has_event(engine::event_kind::spawning_complete));
  h.from("w1", "spawning_complete", {{"user_count", 5}});
  h.from("w2", "spawning_complete", {{"user_count", 5}});
  EXPECT_TRUE(h.has_event(engine::event_kind::spawning_complete));
}

TEST(master, a_silent_worker_is_missing_then_its_users_move_and_come_back) {
  auto cfg = config(10);
  cfg.missing_after = 10s;
  cfg.redistribute_after = 20s;
  harness h(cfg);
  h.from("w1", "client_ready", "2.12.1");
  h.from("w2", "client_ready", "2.12.1");
  h.alive({"w1", "w2"}, 2s);
  ASSERT_EQ(h.last_spawn().size(), 2u);
  // w2 stalls for 8 s: Locust would drop it after about 4; here it is not even missing.
  h.alive({"w1"}, 8s);
  EXPECT_EQ(h.m->missing_count(), 0u);
  h.alive({"w1"}, 4s);
  EXPECT_EQ(h.m->missing_count(), 1u);
  EXPECT_EQ(h.m->worker_count(), 2u);
  EXPECT_EQ(h.m->assigned()["w1"], 5u);  // not moved yet
  h.alive({"w1"}, 21s);
  EXPECT_EQ(h.m->assigned()["w1"], 10u);  // every user on the worker that is left
  auto s = h.last_spawn();
  EXPECT_EQ(s["w1"]["A"] + s["w1"]["B"], 10u);
  // w2 comes back: it gets its share again.
  h.alive({"w1", "w2"}, 1s);
  EXPECT_EQ(h.m->missing_count(), 0u);
  EXPECT_EQ(h.m->assigned()["w1"], 5u);
  EXPECT_EQ(h.m->assigned()["w2"], 5u);
}

// The web UI's Workers tab shows how long ago each worker was heard from: the master's clock at
// its view refresh (each second), nothing more on the wire.
TEST(master, the_workers_view_says_how_long_ago_each_worker_was_heard) {
  auto cfg = config(10);
  cfg.missing_after = 10s;
  harness h(cfg);
  h.from("w1", "client_ready", "2.12.1");
  h.from("w2", "client_ready", "2.12.1");
  h.alive({"w1", "w2"}, 2s);
  h.alive({"w1"}, 6s);  // w2's last heartbeat was at 1 s; now is 8 s
  auto v = h.m->workers();
  ASSERT_EQ(v.size(), 2u);
  ASSERT_EQ(v[1].id, "w2");
  EXPECT_LE(v[0].last_heard_s, 1.0);
  EXPECT_GE(v[1].last_heard_s, 6.0);
  EXPECT_LE(v[1].last_heard_s, 7.0);
  EXPECT_EQ(v[1].state, "running");
  h.alive({"w1"}, 6s);  // 13 s silent: missing, and the age keeps growing
  v = h.m->workers();
  EXPECT_EQ(v[1].state, "missing");
  EXPECT_GE(v[1].last_heard_s, 12.0);
  h.alive({"w1", "w2"}, 1s);
  EXPECT_LE(h.m->workers()[1].last_heard_s, 1.0);
}

TEST(master, merges_reports_exactly_as_one_process_would) {
  harness h(config(4));
  h.from("w1", "client_ready", "2.12.1");
  h.from("w2", "client_ready", "2.12.1");
  h.alive({"w1", "w2"}, 2s);
  const uint64_t id = h.now_id() - 1;
  // The same samples, split over two workers, and all in one process.
  std::vector<uint64_t> a = {900, 1500, 2500, 40'000, 120'000}, b = {700, 3000, 3100, 9000, 250'000, 251'000};
  h.from("w1", "stats", report({report_record(id, a, 2)}, 2));
  h.from("w2", "stats", report({report_record(id, b, 2)}, 2));
  h.alive({"w1", "w2"}, 8s);  // past the lateness
  ASSERT_FALSE(h.records.empty());
  const auto& merged = *h.records.front();
  EXPECT_EQ(merged.id, id);
  ASSERT_EQ(merged.data.entries.size(), 1u);
  std::vector<uint64_t> all = a;
  all.insert(all.end(), b.begin(), b.end());
  auto single = report_record(id, all, 4);
  EXPECT_EQ(merged.data.entries[0].latency, single.data.entries[0].latency);
  EXPECT_EQ(merged.data.entries[0].requests, 11u);
  EXPECT_EQ(merged.data.entries[0].min_us, 700u);
  EXPECT_EQ(merged.data.entries[0].max_us, 251'000u);
  // Percentiles from the merged histogram equal the single process's, to the microsecond.
  stats::run_totals t1, t2;
  t1.add(merged);
  t2.add(single);
  auto v1 = t1.view(), v2 = t2.view();
  EXPECT_EQ(v1->aggregated.num_requests, v2->aggregated.num_requests);
  EXPECT_EQ(v1->aggregated.median_ms, v2->aggregated.median_ms);
  EXPECT_EQ(v1->aggregated.percentiles_ms, v2->aggregated.percentiles_ms);
}

TEST(master, a_late_report_joins_the_next_interval_and_nothing_is_lost) {
  harness h(config(2));
  h.from("w1", "client_ready", "2.12.1");
  h.from("w2", "client_ready", "2.12.1");
  h.alive({"w1", "w2"}, 2s);
  const uint64_t id = h.now_id() - 1;
  h.from("w1", "stats", report({report_record(id, {1000}, 1)}, 1));
  h.alive({"w1", "w2"}, 8s);
  ASSERT_EQ(h.records.size(), 1u);
  h.from("w2", "stats", report({report_record(id, {2000, 3000}, 1)}, 1));  // 8 s late
  h.alive({"w1", "w2"}, 8s);
  uint64_t total = 0;
  for (auto& r : h.records) total += r->data.entries.empty() ? 0 : r->data.entries[0].requests;
  EXPECT_EQ(total, 3u);
  for (size_t i = 1; i < h.records.size(); ++i) EXPECT_GT(h.records[i]->id, h.records[i - 1]->id);
}

TEST(master, reads_a_locust_workers_report) {
  harness h(config(2));
  h.from("w1", "client_ready", "2.12.1");
  h.from("w2", "client_ready", "2.12.1");
  h.alive({"w1", "w2"}, 2s, false);
  json locust = {{"stats",
                  {{{"name", "/"}, {"method", "GET"}, {"num_requests", 3}, {"num_failures", 1},
                    {"total_response_time", 30.0}, {"min_response_time", 5.0}, {"max_response_time", 15.0},
                    {"total_content_length", 300}, {"response_times", {{"5", 1}, {"10", 1}, {"15", 1}}},
                    {"num_reqs_per_sec", json::object()}, {"num_fail_per_sec", json::object()},
                    {"last_request_timestamp", 1.0}, {"start_time", 0.5}, {"num_none_requests", 0}}}},
                 {"stats_total", json::object()},
                 {"errors", {{"k", {{"name", "/"}, {"method", "GET"}, {"error", "boom"}, {"occurrences", 1}}}}},
                 {"user_count", 1}};
  h.from("w1", "stats", locust);
  h.from("w1", "exception", {{"msg", "ValueError"}, {"traceback", "tb"}});
  h.alive({"w1", "w2"}, 10s, false);
  uint64_t requests = 0, failures = 0, exceptions = 0;
  for (auto& r : h.records) {
    for (auto& e : r->data.entries) requests += e.requests;
    for (auto& f : r->data.failures) failures += f.count;
    for (auto& x : r->data.exceptions) exceptions += x.count;
  }
  EXPECT_EQ(requests, 3u);
  EXPECT_EQ(failures, 1u);
  EXPECT_EQ(exceptions, 1u);
}

TEST(master, the_run_time_ends_with_quit_last_reports_and_a_final_record) {
  auto cfg = config(2);
  cfg.run_time = 5s;
  harness h(cfg);
  h.from("w1", "client_ready", "2.12.1");
  h.from("w2", "client_ready", "2.12.1");
  h.alive({"w1", "w2"}, 7s);
  EXPECT_EQ(h.count("w1", "quit"), 1u);
  EXPECT_EQ(h.count("w2", "quit"), 1u);
  EXPECT_TRUE(h.has_event(engine::event_kind::test_stopping));
  EXPECT_FALSE(h.m->finished());
  const uint64_t id = h.now_id() - 1;
  h.from("w1", "stats", report({report_record(id, {1000}, 1)}, 0));
  h.from("w1", "quit");
  EXPECT_FALSE(h.m->finished());
  h.from("w2", "stats", report({report_record(id, {2000}, 1)}, 0));
  h.from("w2", "quit");
  ASSERT_TRUE(h.m->finished());
  EXPECT_EQ(h.m->stop_reason(), "run time");
  ASSERT_FALSE(h.records.empty());
  EXPECT_TRUE(h.records.back()->is_final);
  uint64_t total = 0;
  for (auto& r : h.records) total += r->data.entries.empty() ? 0 : r->data.entries[0].requests;
  EXPECT_EQ(total, 2u);
  EXPECT_EQ(h.events.back().kind, engine::event_kind::test_stop);
}

TEST(master, a_worker_that_never_confirms_does_not_hold_the_end_forever) {
  auto cfg = config(2);
  cfg.run_time = 3s;
  cfg.quit_grace = 10s;
  harness h(cfg);
  h.from("w1", "client_ready", "2.12.1");
  h.from("w2", "client_ready", "2.12.1");
  h.alive({"w1", "w2"}, 5s);
  h.from("w1", "quit");
  h.sched.run_for(12s);
  EXPECT_TRUE(h.m->finished());
}

TEST(master, the_last_worker_leaving_stops_the_test) {
  harness h(config(2));
  h.from("w1", "client_ready", "2.12.1");
  h.from("w2", "client_ready", "2.12.1");
  h.alive({"w1", "w2"}, 2s);
  h.from("w1", "quit");
  EXPECT_EQ(h.m->assigned()["w2"], 2u);
  h.from("w2", "quit");
  EXPECT_TRUE(h.m->finished());
  EXPECT_EQ(h.m->stop_reason(), "the last worker left");
}

TEST(master, an_unknown_worker_is_asked_to_register_and_a_foreign_version_is_refused) {
  harness h(config(2));
  h.from("stranger", "heartbeat", {{"state", "running"}});
  EXPECT_EQ(h.count("stranger", "reconnect"), 1u);
  h.from("old", "client_ready", "1.4.4");
  EXPECT_EQ(h.count("old", "quit"), 1u);
  EXPECT_EQ(h.m->worker_count(), 0u);
}

TEST(master, no_worker_within_the_max_wait_fails) {
  auto cfg = config(2);
  cfg.expect_workers_max_wait = 5s;
  harness h(cfg);
  h.sched.run_for(6s);
  EXPECT_TRUE(h.m->finished());
  EXPECT_TRUE(h.m->failed());
}

// The master behind a web UI: tests come as commands, a stop keeps the workers for the next test.
master_config web_config() {
  auto c = config(8);
  c.autostart = false;
  c.quit_after_test = false;
  c.run_time.reset();
  return c;
}

uint64_t spawned_total(const std::map<std::string, std::map<std::string, uint64_t>>& s) {
  uint64_t n = 0;
  for (auto& [node, classes] : s)
    for (auto& [c, k] : classes) n += k;
  return n;
}

TEST(master_web, starts_edits_stops_and_starts_again_with_the_same_workers) {
  harness h(web_config());
  h.from("w1", "client_ready", "2.12.1");
  h.from("w2", "client_ready", "2.12.1");
  h.alive({"w1", "w2"}, 3s);
  EXPECT_EQ(h.last_spawn().size(), 0u) << "no autostart: nothing runs before a start";
  EXPECT_EQ(h.m->state(), stats::run_state::ready);
  EXPECT_EQ(h.m->tests_started(), 0u);
  ASSERT_EQ(h.m->workers().size(), 2u);
  EXPECT_EQ(h.m->workers()[0].id, "w1");
  EXPECT_EQ(h.m->workers()[0].cpu_percent, 1.0);

  master_test t;
  t.users = 6;
  t.spawn_rate = 6;
  h.m->start_test(t, false);
  EXPECT_EQ(h.m->tests_started(), 1u);
  EXPECT_EQ(spawned_total(h.last_spawn()), 6u);
  h.from("w1", "spawning_complete", {{"user_count", 3}, {"user_classes_count", {{"A", 2}, {"B", 1}}}});
  h.from("w2", "spawning_complete", {{"user_count", 3}, {"user_classes_count", {{"A", 3}}}});
  EXPECT_EQ(h.m->state(), stats::run_state::running);
  EXPECT_EQ(h.m->user_count(), 6u);

  // The edit: 2 users of class B only.
  h.m->set_users(2, 2, {"B"});
  auto s = h.last_spawn();
  EXPECT_EQ(s["w1"]["A"] + s["w2"]["A"], 0u);
  EXPECT_EQ(s["w1"]["B"] + s["w2"]["B"], 2u);
  EXPECT_TRUE(h.has_event(engine::event_kind::targets_changed));

  const uint64_t id = h.now_id() - 1;
  h.from("w1", "stats", report({report_record(id, {1000, 2000}, 1)}, 1));
  h.m->stop("stop requested");
  EXPECT_EQ(h.count("w1", "stop"), 1u);
  EXPECT_EQ(h.count("w2", "stop"), 1u);
  EXPECT_EQ(h.count("w1", "quit"), 0u) << "a stop keeps the workers";
  EXPECT_EQ(h.m->state(), stats::run_state::stopping);
  // Each worker's last report comes before its client_stopped; then it is ready again.
  h.from("w1", "stats", report({report_record(id + 1, {3000}, 0)}, 0));
  h.from("w1", "client_stopped");
  h.from("w1", "client_ready", "2.12.1");
  EXPECT_EQ(h.m->state(), stats::run_state::stopping) << "w2 has not stopped yet";
  h.from("w2", "client_stopped");
  h.from("w2", "client_ready", "2.12.1");
  EXPECT_EQ(h.m->state(), stats::run_state::stopped);
  EXPECT_FALSE(h.m->finished());
  ASSERT_FALSE(h.records.empty());
  EXPECT_TRUE(h.records.back()->is_final);
  EXPECT_EQ(h.records.back()->test, 1u);
  uint64_t first = 0;
  for (auto& r : h.records) first += r->data.entries.empty() ? 0 : r->data.entries[0].requests;
  EXPECT_EQ(first, 3u);
  EXPECT_EQ(h.events.back().kind, engine::event_kind::test_stop);

  // A second test on the same workers.
  h.alive({"w1", "w2"}, 2s);
  t.users = 4;
  h.m->start_test(t, false);
  EXPECT_EQ(h.m->tests_started(), 2u);
  EXPECT_EQ(h.count("w1", "spawn") + h.count("w2", "spawn"), 6u);
  s = h.last_spawn();
  EXPECT_EQ(s["w1"]["A"] + s["w1"]["B"] + s["w2"]["A"] + s["w2"]["B"], 4u);
  const size_t before = h.records.size();
  h.from("w2", "stats", report({report_record(h.now_id() - 1, {500}, 2)}, 2));
  h.alive({"w1", "w2"}, 8s);
  ASSERT_GT(h.records.size(), before);
  EXPECT_EQ(h.records.back()->test, 2u);

  // The end of the process: the test stops, then every worker is told to quit.
  h.m->quit("the web UI was closed");
  h.from("w1", "client_stopped");
  h.from("w2", "client_stopped");
  EXPECT_EQ(h.count("w1", "quit"), 1u);
  EXPECT_EQ(h.count("w2", "quit"), 1u);
  EXPECT_FALSE(h.m->finished());
  h.from("w1", "quit");
  h.from("w2", "quit");
  EXPECT_TRUE(h.m->finished());
  EXPECT_FALSE(h.m->failed());
}

TEST(master_web, a_start_with_no_worker_is_refused_and_quit_with_none_ends_at_once) {
  harness h(web_config());
  master_control control(h.sched, *h.m);
  EXPECT_NE(control.start_refusal().find("no worker"), std::string::npos);
  EXPECT_TRUE(control.is_distributed());
  h.from("w1", "client_ready", "2.12.1");
  EXPECT_EQ(control.start_refusal(), "");
  // Commands from the UI's thread reach the master through its scheduler.
  engine::test_plan p;
  p.users = 3;
  control.start(p);
  EXPECT_EQ(h.m->tests_started(), 0u) << "not before the scheduler runs it";
  h.sched.run_for(10ms);
  EXPECT_EQ(h.m->tests_started(), 1u);
  EXPECT_EQ(spawned_total(h.last_spawn()), 3u);
  control.stop();
  h.sched.run_for(10ms);
  EXPECT_EQ(h.count("w1", "stop"), 1u);
  h.from("w1", "client_stopped");
  EXPECT_EQ(h.m->state(), stats::run_state::stopped);
  h.from("w1", "quit");  // the worker leaves between tests
  h.m->quit("signal");
  EXPECT_TRUE(h.m->finished());
}

TEST(master_web, a_worker_that_never_confirms_the_stop_does_not_hold_the_next_test) {
  auto cfg = web_config();
  cfg.quit_grace = 5s;
  harness h(cfg);
  h.from("w1", "client_ready", "2.12.1");
  h.from("w2", "client_ready", "2.12.1");
  h.m->start_test(master_test{}, false);
  h.m->stop("stop requested");
  h.from("w1", "client_stopped");
  h.alive({"w1", "w2"}, 7s);
  EXPECT_EQ(h.m->state(), stats::run_state::stopped);
  h.m->start_test(master_test{}, false);
  EXPECT_EQ(h.m->tests_started(), 2u);
}

TEST(master_web, reset_stats_drops_what_came_before_and_reset_after_ramp_resets_once) {
  auto cfg = config(2);
  cfg.reset_stats_after_ramp = true;
  harness h(cfg);
  h.from("w1", "client_ready", "2.12.1");
  h.from("w2", "client_ready", "2.12.1");
  h.alive({"w1", "w2"}, 2s);
  h.from("w1", "stats", report({report_record(h.now_id() - 1, {1000, 1000}, 1)}, 1));
  h.sched.run_for(1s);
  h.from("w1", "spawning_complete", {{"user_count", 1}});
  h.from("w2", "spawning_complete", {{"user_count", 1}});
  size_t resets = 0;
  for (auto& e : h.events) resets += e.kind == engine::event_kind::stats_reset ? 1 : 0;
  EXPECT_EQ(resets, 1u) << "--reset-stats: once the users are spawned";
  // A report of an interval before the reset, arriving late, is not counted; a later one is.
  h.from("w2", "stats", report({report_record(h.now_id() - 2, {7000}, 1)}, 1));
  h.sched.run_for(1s);
  h.from("w2", "stats", report({report_record(h.now_id() - 1, {5000}, 1)}, 1));
  h.alive({"w1", "w2"}, 8s);
  uint64_t total = 0;
  for (auto& r : h.records) total += r->data.entries.empty() ? 0 : r->data.entries[0].requests;
  EXPECT_EQ(total, 1u);
  h.from("w1", "spawning_complete", {{"user_count", 1}});  // a later ramp does not reset again
  resets = 0;
  for (auto& e : h.events) resets += e.kind == engine::event_kind::stats_reset ? 1 : 0;
  EXPECT_EQ(resets, 1u);
}

TEST(master_web, the_targets_samples_ride_in_the_interval_they_were_taken_in) {
  auto cfg = config(2);
  int calls = 0;
  cfg.monitor = [&calls] {
    ++calls;
    return std::vector<stats::monitor_sample>{{"pid 1", "rss_bytes", static_cast<double>(calls)}};
  };
  harness h(cfg);
  h.from("w1", "client_ready", "2.12.1");
  h.from("w2", "client_ready", "2.12.1");
  h.alive({"w1", "w2"}, 12s);
  ASSERT_GT(calls, 5);
  size_t samples = 0;
  double last = 0;
  for (auto& r : h.records)
    for (auto& m : r->monitor) {
      ++samples;
      EXPECT_EQ(m.metric, "rss_bytes");
      EXPECT_GT(m.value, last) << "in the order taken";
      last = m.value;
    }
  EXPECT_GE(samples, 3u);
  h.m->stop("stop requested");
  h.from("w1", "quit");
  h.from("w2", "quit");
  ASSERT_TRUE(h.m->finished());
  samples = 0;
  for (auto& r : h.records) samples += r->monitor.size();
  EXPECT_EQ(samples, static_cast<size_t>(calls)) << "every sample is published by the end";
}

TEST(master_shape, the_masters_shape_sets_each_workers_share_and_ends_the_test) {
  auto cfg = config(1);
  cfg.run_time.reset();
  std::vector<double> asked;
  cfg.shape = [&asked](double t, uint64_t) -> std::optional<engine::shape_tick> {
    asked.push_back(t);
    if (t < 3) return engine::shape_tick{4, 4, {}, "warm"};
    if (t < 6) return engine::shape_tick{6, 2, {"B"}, "peak"};
    return std::nullopt;
  };
  harness h(cfg);
  h.from("w1", "client_ready", "2.12.1");
  h.from("w2", "client_ready", "2.12.1");
  h.alive({"w1", "w2"}, 2s);
  auto s = h.last_spawn();
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(spawned_total(s), 4u);
  EXPECT_EQ(s["w1"]["A"] + s["w1"]["B"], 2u);
  // Each worker's share of the shape's rate.
  for (auto& [node, msg] : h.sent)
    if (msg.type == "spawn") {
      EXPECT_EQ(msg.data["endure"]["spawn_rate"], 2.0);
    }
  h.alive({"w1", "w2"}, 3s);
  s = h.last_spawn();
  EXPECT_EQ(s["w1"]["A"] + s["w2"]["A"], 0u);
  EXPECT_EQ(s["w1"]["B"] + s["w2"]["B"], 6u);
  h.from("w1", "stats", report({report_record(h.now_id() - 1, {1000}, 3)}, 3));
  h.alive({"w1", "w2"}, 3s);
  EXPECT_EQ(h.count("w1", "quit"), 1u) << "the shape ended the test";
  h.from("w1", "quit");
  h.from("w2", "quit");
  ASSERT_TRUE(h.m->finished());
  EXPECT_EQ(h.m->stop_reason(), "shape");
  ASSERT_GE(asked.size(), 6u);
  EXPECT_EQ(asked.front(), 0.0);
  bool peak = false;
  for (auto& r : h.records) peak = peak || r->stage == "peak";
  EXPECT_TRUE(peak);
  size_t stages = 0;
  for (auto& e : h.events)
    if (e.kind == engine::event_kind::targets_changed && e.detail.rfind("stage: ", 0) == 0) ++stages;
  EXPECT_EQ(stages, 2u);
}

TEST(master, sends_the_session_length_with_each_workers_targets) {
  auto cfg = config(4);
  cfg.session_min = 30s;
  cfg.session_max = 90s;
  harness h(cfg);
  h.from("w1", "client_ready", "2.12.1");
  h.from("w2", "client_ready", "2.12.1");
  h.alive({"w1", "w2"}, 2s);
  size_t spawns = 0;
  for (auto& [node, msg] : h.sent)
    if (msg.type == "spawn") {
      ++spawns;
      EXPECT_EQ(msg.data["endure"]["session_ms"], json({30'000, 90'000}));
    }
  EXPECT_EQ(spawns, 2u);
}

TEST(master, iterations_are_shared_and_the_test_ends_when_every_share_has_run) {
  auto cfg = config(4);
  cfg.iterations = 11;
  harness h(cfg);
  h.from("w1", "client_ready", "2.12.1");
  h.from("w2", "client_ready", "2.12.1");
  // A stale "stopped" from before the start does not count as done.
  h.from("w1", "heartbeat", {{"state", "stopped"}, {"endure", true}});
  h.alive({"w1", "w2"}, 2s);
  std::map<std::string, uint64_t> share;
  for (auto& [node, msg] : h.sent)
    if (msg.type == "spawn") share[node] = msg.data["endure"]["iterations"].get<uint64_t>();
  EXPECT_EQ(share["w1"], 6u);
  EXPECT_EQ(share["w2"], 5u);
  h.from("w1", "spawning");
  h.from("w2", "spawning");
  h.from("w1", "spawning_complete", {{"user_count", 2}});
  h.from("w2", "spawning_complete", {{"user_count", 2}});
  // A third worker joining now gets no users: the iterations are shared already.
  h.from("w3", "client_ready", "2.12.1");
  EXPECT_EQ(h.m->assigned()["w3"], 0u);
  h.from("w1", "heartbeat", {{"state", "stopped"}, {"endure", true}});
  EXPECT_EQ(h.count("w1", "quit"), 0u) << "w2 has not run its share yet";
  h.from("w2", "heartbeat", {{"state", "running"}, {"endure", true}});
  h.from("w2", "heartbeat", {{"state", "stopped"}, {"endure", true}});
  EXPECT_EQ(h.count("w1", "quit"), 1u);
  h.from("w1", "quit");
  h.from("w2", "quit");
  h.from("w3", "quit");
  ASSERT_TRUE(h.m->finished());
  EXPECT_EQ(h.m->stop_reason(), "iterations");
}

TEST(master, the_open_model_shares_the_rate_among_the_workers_there_are) {
  auto cfg = config(0);
  cfg.open_model = true;
  cfg.arrival_rate = "30/s";
  cfg.poisson = true;
  cfg.max_users = 100;
  harness h(cfg);
  h.from("w1", "client_ready", "2.12.1");
  h.from("w2", "client_ready", "2.12.1");
  h.alive({"w1", "w2"}, 2s);
  std::map<std::string, json> arrivals;
  for (auto& [node, msg] : h.sent)
    if (msg.type == "spawn") {
      arrivals[node] = msg.data["endure"]["arrivals"];
      EXPECT_EQ(msg.data["user_classes_count"]["A"], 0);
    }
  ASSERT_EQ(arrivals.size(), 2u);
  for (auto& [node, a] : arrivals) {
    EXPECT_EQ(a["rate"], "30/s");
    EXPECT_EQ(a["share"], 0.5);
    EXPECT_EQ(a["poisson"], true);
    EXPECT_EQ(a["max_users"], 50);
  }
  EXPECT_EQ(h.m->state(), stats::run_state::running) << "no ramp to wait for";
  // A worker joining later takes a third; the others are told their new share.
  auto last_share = [&h](const std::string& node) {
    double share = -1;
    for (auto& [to, msg] : h.sent)
      if (to == node && msg.type == "spawn") share = msg.data["endure"]["arrivals"]["share"].get<double>();
    return share;
  };
  h.from("w3", "client_ready", "2.12.1");
  ASSERT_EQ(h.count("w3", "spawn"), 1u);
  for (const char* w : {"w1", "w2", "w3"}) EXPECT_DOUBLE_EQ(last_share(w), 1.0 / 3) << w;
  // One that leaves leaves its share to the others.
  h.from("w2", "quit");
  EXPECT_DOUBLE_EQ(last_share("w1"), 0.5);
  EXPECT_DOUBLE_EQ(last_share("w3"), 0.5);
  // One missing keeps its share until its users are redistributed, then the others take it.
  h.alive({"w1"}, 12s);  // w3 silent: missing after 10 s
  EXPECT_DOUBLE_EQ(last_share("w1"), 0.5);
  h.alive({"w1"}, 22s);  // missing 20 s more: redistributed
  EXPECT_DOUBLE_EQ(last_share("w1"), 1.0);
}

}  // namespace
}  // namespace endure::dist

namespace endure::dist {
namespace {

uint64_t requests_in(const std::vector<stats::record_ptr>& rs) {
  uint64_t n = 0;
  for (auto& r : rs)
    for (auto& e : r->data.entries) n += e.requests;
  return n;
}

json resent(json report) {
  report["endure"]["resent"] = true;
  return report;
}

// A master restarted on the store of a run that did not end (--resume): no new test, the same
// test number, targets only once the expected workers are back, the run time counted from the
// test's start, reports queued while it was down counted, and reports sent again counted once.
TEST(master_resume, adopts_the_workers_and_carries_the_test_on) {
  auto cfg = config(10);
  cfg.run_time = 600s;
  cfg.missing_after = 10s;
  base::sim_scheduler probe;
  const double now = probe.wall_s();
  master_config::resume_state rs;
  rs.test = 3;
  rs.test_start_wall_s = now - 100;  // 100 s into a 600 s test
  rs.last_id = static_cast<uint64_t>(now) - 5;
  rs.down_since_wall_s = now - 4;
  cfg.resume = rs;
  harness h(cfg);
  ASSERT_DOUBLE_EQ(h.sched.wall_s(), now);
  EXPECT_TRUE(h.has_event(engine::event_kind::resumed));
  EXPECT_FALSE(h.has_event(engine::event_kind::test_start));
  EXPECT_EQ(h.m->tests_started(), 3u);
  EXPECT_EQ(h.m->state(), stats::run_state::running);

  // w1's report queued while the master was down arrives before it registers: kept.
  h.from("w1", "stats", report({report_record(rs.last_id + 2, {1000}, 5)}, 5));
  h.from("w1", "heartbeat", {{"state", "running"}, {"endure", true}});
  EXPECT_EQ(h.count("w1", "reconnect"), 1u);
  h.from("w1", "client_ready", "2.12.1");
  ASSERT_EQ(h.count("w1", "ack"), 1u);
  // The ack says what the store holds; w1 sends again what came after it: stored, already
  // received and new intervals; only the new one counts.
  json ack;
  for (auto& [to, msg] : h.sent)
    if (to == "w1" && msg.type == "ack") ack = msg.data;
  EXPECT_EQ(ack["endure"]["resume_after"], rs.last_id);
  h.from("w1", "stats",
         resent(report({report_record(rs.last_id, {7000}, 5), report_record(rs.last_id + 2, {1000}, 5),
                        report_record(rs.last_id + 3, {2000, 3000}, 5)},
                       5)));
  h.alive({"w1"}, 2s);
  EXPECT_EQ(h.count("w1", "spawn"), 0u) << "one worker of two: w1 would get the whole load";
  h.from("w2", "client_ready", "2.12.1");
  h.alive({"w1", "w2"}, 2s);
  auto spawned = h.last_spawn();
  ASSERT_EQ(spawned.size(), 2u);
  EXPECT_EQ(spawned["w1"]["A"] + spawned["w1"]["B"], 5u);
  EXPECT_EQ(spawned["w2"]["A"] + spawned["w2"]["B"], 5u);
  EXPECT_EQ(h.count("w1", "spawn"), 1u);

  h.alive({"w1", "w2"}, 10s);
  ASSERT_FALSE(h.records.empty());
  EXPECT_GT(h.records.front()->id, rs.last_id);
  EXPECT_EQ(h.records.front()->test, 3u);
  EXPECT_EQ(requests_in(h.records), 3u);

  // The test ends 500 s after the restart (600 s from its start), not 600 s after it.
  h.alive({"w1", "w2"}, 480s);
  EXPECT_FALSE(h.has_event(engine::event_kind::test_stopping));
  h.alive({"w1", "w2"}, 10s);
  EXPECT_TRUE(h.has_event(engine::event_kind::test_stopping));
  EXPECT_EQ(h.count("w1", "quit"), 1u);
}

TEST(master_resume, workers_that_never_come_back_end_the_run) {
  auto cfg = config(10);
  cfg.missing_after = 10s;
  cfg.quit_grace = 2s;
  base::sim_scheduler probe;
  master_config::resume_state rs;
  rs.test = 1;
  rs.test_start_wall_s = probe.wall_s() - 30;
  rs.last_id = static_cast<uint64_t>(probe.wall_s()) - 3;
  cfg.resume = rs;
  harness h(cfg);
  h.sched.run_for(9s);
  EXPECT_FALSE(h.m->finished());
  h.sched.run_for(5s);
  EXPECT_TRUE(h.m->finished());
  EXPECT_EQ(h.m->stop_reason(), "no worker came back");
  ASSERT_FALSE(h.records.empty());
  EXPECT_TRUE(h.records.back()->is_final);
}

}  // namespace
}  // namespace endure::dist
