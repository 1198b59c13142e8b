// Locust's /stats/requests keys from a snapshot, and the history body.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "web/api_json.hpp"

using namespace endure;
using nlohmann::json;

TEST(api_json, stats_requests_has_locusts_keys) {
  stats::snapshot s;
  stats::row r;
  r.method = "GET";
  r.name = "/products";
  r.num_requests = 200;
  r.num_failures = 50;
  r.median_ms = 3;
  r.percentiles_ms[5] = 9;   // 95%
  r.percentiles_ms[7] = 12;  // 99%
  r.current_rps = 20;
  r.intended_percentiles_ms = r.percentiles_ms;
  s.rows.push_back(r);
  s.aggregated = r;
  s.aggregated.method = "";
  s.aggregated.name = "Aggregated";
  s.aggregated.current_requests = 10;
  s.aggregated.current_percentiles_ms[0] = 2.5;
  s.aggregated.current_percentiles_ms[5] = 8;
  s.failures.push_back({"GET", "/products", "HTTPError 500", 50, 1, 2});
  s.user_count_by_class = {{"Buyer", 7}};
  auto j = json::parse(web::stats_requests_json(&s, {stats::run_state::running, 7, "http://shop"}));
  ASSERT_EQ(j["stats"].size(), 2u);
  EXPECT_EQ(j["stats"][0]["name"], "/products");
  EXPECT_EQ(j["stats"][0]["response_time_percentile_0.95"], 9);
  EXPECT_EQ(j["stats"][0]["ninety_ninth_response_time"], 12);
  EXPECT_FALSE(j["stats"][0].contains("intended_percentiles"));
  EXPECT_EQ(j["stats"][1]["name"], "Aggregated");
  EXPECT_TRUE(j["stats"][1]["method"].is_null());
  EXPECT_EQ(j["errors"][0]["occurrences"], 50);
  EXPECT_DOUBLE_EQ(j["fail_ratio"].get<double>(), 0.25);
  EXPECT_EQ(j["total_rps"], 20);
  EXPECT_EQ(j["state"], "running");
  EXPECT_EQ(j["user_count"], 7);
  EXPECT_EQ(j["current_response_time_percentile_50"], 2.5);
  EXPECT_EQ(j["current_response_time_percentiles"]["response_time_percentile_0.95"], 8);
  EXPECT_EQ(j["user_count_by_class"]["Buyer"], 7);
  // No test yet: an empty table with the Aggregated row.
  auto none = json::parse(web::stats_requests_json(nullptr, {}));
  EXPECT_EQ(none["state"], "ready");
  ASSERT_EQ(none["stats"].size(), 1u);
  EXPECT_TRUE(none["current_response_time_percentile_95"].is_null());
}

TEST(api_json, rows_are_capped_at_500_then_aggregated) {
  stats::snapshot s;
  for (int i = 0; i < 600; ++i) {
    stats::row r;
    r.method = "GET";
    r.name = "/" + std::to_string(i);
    s.rows.push_back(r);
  }
  s.aggregated.name = "Aggregated";
  auto j = json::parse(web::stats_requests_json(&s, {}));
  EXPECT_EQ(j["stats"].size(), 501u);
  EXPECT_EQ(j["stats"].back()["name"], "Aggregated");
}

TEST(api_json, history_points_carry_null_latency_without_requests) {
  web::history_point p;
  p.start_s = 10;
  p.end_s = 11;
  p.seconds = 1;
  auto j = json::parse(web::history_json({p}, 0, 20, 1));
  ASSERT_EQ(j["points"].size(), 1u);
  EXPECT_TRUE(j["points"][0]["p95"].is_null());
  EXPECT_EQ(j["points"][0]["rps"], 0);
  EXPECT_EQ(j["level_s"], 1);
}

// A master's workers (Locust's items, and endure's last_heard_s); standalone: no such keys.
TEST(api_json, a_masters_workers_carry_state_users_cpu_memory_and_last_heard) {
  web::live_state l{stats::run_state::running, 5, "http://shop"};
  l.distributed = true;
  l.workers = {{"w2", "running", 3, 12.5, 40u << 20, 0.4}, {"w1", "missing", 0, 1, 1u << 20, 12.04}};
  auto j = json::parse(web::stats_requests_json(nullptr, l));
  EXPECT_EQ(j["worker_count"], 2);
  ASSERT_EQ(j["workers"].size(), 2u);
  EXPECT_EQ(j["workers"][0]["id"], "w2");
  EXPECT_EQ(j["workers"][0]["user_count"], 3);
  EXPECT_EQ(j["workers"][0]["cpu_usage"], 12.5);
  EXPECT_EQ(j["workers"][0]["memory_usage"], 40u << 20);
  EXPECT_EQ(j["workers"][1]["state"], "missing");
  EXPECT_DOUBLE_EQ(j["workers"][1]["last_heard_s"].get<double>(), 12.0);
  auto standalone = json::parse(web::stats_requests_json(nullptr, {}));
  EXPECT_FALSE(standalone.contains("workers"));
  EXPECT_FALSE(standalone.contains("worker_count"));
}

// GET /tasks: the plan until users run, then each class's share of the users running now, the
// per-class task ratios kept and the total ones following the classes' shares.
TEST(api_json, tasks_follow_the_users_running_now) {
  const std::string planned = R"({"per_class": {
      "Reader": {"ratio": 0.25, "tasks": {"index": {"ratio": 0.25}, "browse": {"ratio": 0.75,
                 "tasks": {"page": {"ratio": 0.5}, "stop": {"ratio": 0.5}}}}},
      "Buyer": {"ratio": 0.75, "tasks": {"products": {"ratio": 1.0}}}},
    "total": {
      "Reader": {"ratio": 0.25, "tasks": {"index": {"ratio": 0.0625}, "browse": {"ratio": 0.1875,
                 "tasks": {"page": {"ratio": 0.09375}, "stop": {"ratio": 0.09375}}}}},
      "Buyer": {"ratio": 0.75, "tasks": {"products": {"ratio": 0.75}}}}})";
  EXPECT_EQ(web::tasks_json_now(planned, nullptr), planned);
  stats::snapshot s;
  s.user_count_by_class = {{"Reader", 0}, {"Buyer", 0}};
  EXPECT_EQ(web::tasks_json_now(planned, &s), planned) << "no users: the plan";

  // 1 Reader and 1 Buyer running (an edit, or a class picked): half each.
  s.user_count_by_class = {{"Buyer", 1}, {"Reader", 1}};
  auto j = json::parse(web::tasks_json_now(planned, &s));
  EXPECT_DOUBLE_EQ(j["per_class"]["Reader"]["ratio"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(j["per_class"]["Reader"]["tasks"]["browse"]["ratio"].get<double>(), 0.75);
  EXPECT_DOUBLE_EQ(j["per_class"]["Reader"]["tasks"]["browse"]["tasks"]["page"]["ratio"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(j["total"]["Reader"]["ratio"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(j["total"]["Reader"]["tasks"]["index"]["ratio"].get<double>(), 0.125);
  EXPECT_DOUBLE_EQ(j["total"]["Reader"]["tasks"]["browse"]["ratio"].get<double>(), 0.375);
  EXPECT_DOUBLE_EQ(j["total"]["Reader"]["tasks"]["browse"]["tasks"]["stop"]["ratio"].get<double>(), 0.1875);
  EXPECT_DOUBLE_EQ(j["total"]["Buyer"]["tasks"]["products"]["ratio"].get<double>(), 0.5);
  // The locustfile's class order is kept (the UI lists them so).
  auto ordered = nlohmann::ordered_json::parse(web::tasks_json_now(planned, &s));
  EXPECT_EQ(ordered["per_class"].begin().key(), "Reader");

  // Only Buyers running: Reader at 0, Buyer the whole test.
  s.user_count_by_class = {{"Buyer", 4}};
  j = json::parse(web::tasks_json_now(planned, &s));
  EXPECT_EQ(j["per_class"]["Reader"]["ratio"], 0.0);
  EXPECT_EQ(j["total"]["Reader"]["tasks"]["index"]["ratio"], 0.0);
  EXPECT_EQ(j["total"]["Buyer"]["tasks"]["products"]["ratio"], 1.0);
  // Not JSON (never from our own locustfile code): passed on as it is.
  EXPECT_EQ(web::tasks_json_now("nope", &s), "nope");
}
