// dist::master in simulated time: waiting for workers, the split of users, liveness (missing,
// redistribution, return), the exact merge of worker reports, late reports, the end of a run.
#include <gtest/gtest.h>

#include <map>

#include "base/scheduler.hpp"
#include "dist/master.hpp"
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

}  // namespace
}  // namespace endure::dist
