// proto::locust_stats: a worker's report in Locust's fields and endure's exact records.
#include <gtest/gtest.h>

#include "proto/locust_stats.hpp"
#include "proto/message.hpp"
#include "stats/histogram.hpp"

namespace endure::proto {
namespace {

stats::interval_record record(uint64_t id, std::vector<uint64_t> latencies_us, uint64_t failures = 0) {
  stats::interval_record r;
  r.id = id;
  r.start_wall_s = static_cast<double>(id);
  r.end_wall_s = static_cast<double>(id + 1);
  r.user_count = 3;
  r.users_by_class = {{"A", 2}, {"B", 1}};
  stats::entry_delta e;
  e.method = "GET";
  e.name = "/x";
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
  e.failures = failures;
  e.latency.assign(b.begin(), b.end());
  e.first_wall_s = r.start_wall_s;
  e.last_wall_s = r.end_wall_s;
  r.data.entries.push_back(e);
  if (failures) r.data.failures.push_back({"GET", "/x", "HTTPError 500", failures, r.start_wall_s, r.end_wall_s});
  return r;
}

TEST(locust_stats, rounds_response_times_as_locust) {
  EXPECT_EQ(locust_rounded_ms(58.4), 58);
  EXPECT_EQ(locust_rounded_ms(147), 150);
  EXPECT_EQ(locust_rounded_ms(3432), 3400);
  EXPECT_EQ(locust_rounded_ms(58760), 59000);
}

TEST(locust_stats, report_has_locust_fields_and_exact_records) {
  std::vector<stats::record_ptr> rs = {
      std::make_shared<const stats::interval_record>(record(100, {1000, 2000, 147'000}, 1)),
      std::make_shared<const stats::interval_record>(record(101, {3000}))};
  auto data = stats_report(rs, 3, {{"A", 2}, {"B", 1}});
  ASSERT_EQ(data["stats"].size(), 1u);
  auto& e = data["stats"][0];
  EXPECT_EQ(e["name"], "/x");
  EXPECT_EQ(e["num_requests"], 4);
  EXPECT_EQ(e["num_failures"], 1);
  EXPECT_DOUBLE_EQ(e["total_response_time"].get<double>(), 153.0);
  EXPECT_DOUBLE_EQ(e["min_response_time"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(e["max_response_time"].get<double>(), 147.0);
  EXPECT_EQ(e["response_times"]["150"], 1);
  EXPECT_EQ(e["response_times"]["1"], 1);
  EXPECT_EQ(e["num_reqs_per_sec"]["100"], 3);
  EXPECT_EQ(e["num_reqs_per_sec"]["101"], 1);
  for (const char* k : {"last_request_timestamp", "start_time", "num_none_requests", "total_content_length",
                        "num_fail_per_sec"})
    EXPECT_TRUE(e.contains(k)) << k;
  EXPECT_EQ(data["stats_total"]["name"], "Aggregated");
  EXPECT_EQ(data["stats_total"]["num_requests"], 4);
  EXPECT_EQ(data["user_count"], 3);
  EXPECT_EQ(data["user_classes_count"]["A"], 2);
  ASSERT_EQ(data["errors"].size(), 1u);
  EXPECT_EQ(data["errors"].begin().value()["occurrences"], 1);

  // Through the wire and back: the records are the same, histograms exact.
  auto m = decode(encode(message{"stats", data, "w"}));
  ASSERT_TRUE(m) << m.err().message;
  auto back = records_of(m->data);
  ASSERT_TRUE(back) << back.err().message;
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[0].id, 100u);
  EXPECT_EQ((*back)[0].data.entries[0].latency, rs[0]->data.entries[0].latency);
  EXPECT_EQ((*back)[0].data.entries[0].max_us, 147'000u);
  EXPECT_EQ((*back)[0].users_by_class, rs[0]->users_by_class);
  EXPECT_EQ((*back)[1].data.entries[0].requests, 1u);
  // The Locust fields read as a Locust worker's report agree on counts.
  auto d = delta_of_locust(m->data);
  ASSERT_TRUE(d) << d.err().message;
  ASSERT_EQ(d->entries.size(), 1u);
  EXPECT_EQ(d->entries[0].requests, 4u);
  EXPECT_EQ(d->entries[0].failures, 1u);
  EXPECT_EQ(d->entries[0].sum_us, 153'000u);
  EXPECT_EQ(stats::total_count(d->entries[0].latency), 4u);
  ASSERT_EQ(d->failures.size(), 1u);
  EXPECT_EQ(d->failures[0].error, "HTTPError 500");
}

TEST(locust_stats, an_empty_report_is_valid_for_a_locust_master) {
  auto data = stats_report({}, 0, {});
  EXPECT_TRUE(data["stats"].empty());
  EXPECT_EQ(data["stats_total"]["num_requests"], 0);
  EXPECT_TRUE(data["stats_total"]["min_response_time"].is_null());
  EXPECT_EQ(data["stats_total"]["max_response_time"], 0.0);
}

TEST(locust_stats, bad_reports_and_records_are_refused_with_a_reason) {
  EXPECT_FALSE(delta_of_locust(nlohmann::json::array()));
  EXPECT_FALSE(delta_of_locust({{"stats", "x"}}));
  EXPECT_FALSE(delta_of_locust({{"stats", {{{"name", "/a"}, {"num_requests", "many"}}}}}));
  EXPECT_FALSE(delta_of_locust({{"stats", {{{"name", "/a"}, {"max_response_time", -1}}}}}));
  EXPECT_FALSE(delta_of_locust({{"stats", {{{"name", "/a"}, {"response_times", {{"abc", 1}}}}}}}));
  EXPECT_FALSE(records_of({{"endure", {{"records", 3}}}}));
  EXPECT_FALSE(record_from_json({{"id", "x"}, {"data", nlohmann::json::object()}}));
  auto r = record(5, {10, 20});
  auto j = record_to_json(r);
  j["data"]["entries"][0]["latency"] = {{20, 1}, {10, 1}};  // out of order
  EXPECT_FALSE(record_from_json(j));
  j["data"]["entries"][0]["latency"] = {{99999999, 1}};
  EXPECT_FALSE(record_from_json(j));
}

}  // namespace
}  // namespace endure::proto

#include <fstream>
#include <iterator>

namespace endure::proto {
namespace {

std::string seed(const char* name) {
  std::ifstream f(std::string(ENDURE_SOURCE_DIR) + "/fuzz/seeds/proto/" + name, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// These seeds were written by Python's msgpack (Locust's encoder), with its integer and float keys.
TEST(locust_stats, reads_bytes_written_by_python_msgpack) {
  auto m = decode(seed("locust_stats"));
  ASSERT_TRUE(m) << m.err().message;
  EXPECT_EQ(m->type, "stats");
  auto d = delta_of_locust(m->data);
  ASSERT_TRUE(d) << d.err().message;
  ASSERT_EQ(d->entries.size(), 1u);
  EXPECT_EQ(d->entries[0].requests, 3u);
  EXPECT_EQ(stats::total_count(d->entries[0].latency), 3u);
  EXPECT_EQ(d->entries[0].max_us, 15'200u);
  auto e = decode(seed("endure_stats"));
  ASSERT_TRUE(e) << e.err().message;
  auto rs = records_of(e->data);
  ASSERT_TRUE(rs) << rs.err().message;
  ASSERT_EQ(rs->size(), 1u);
  EXPECT_EQ((*rs)[0].data.entries[0].latency.size(), 2u);
  auto s = decode(seed("spawn"));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->data["user_classes_count"]["WebUser"], 5);
}

}  // namespace
}  // namespace endure::proto
