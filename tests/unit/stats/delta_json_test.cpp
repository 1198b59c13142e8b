#include "stats/delta_json.hpp"

#include <gtest/gtest.h>

namespace endure::stats {
namespace {

TEST(delta_json, round_trip) {
  shard_delta d;
  entry_delta e;
  e.method = "GET";
  e.name = "/x?a=\"b\"";
  e.requests = 3;
  e.failures = 1;
  e.sum_us = 600;
  e.min_us = 100;
  e.max_us = 300;
  e.content_bytes = 42;
  e.latency = {{100, 1}, {200, 1}, {300, 1}};
  e.intended = {{150, 3}};
  e.intended_min_us = 150;
  e.intended_max_us = 150;
  e.first_wall_s = 1.5;
  e.last_wall_s = 2.25;
  d.entries.push_back(e);
  d.failures.push_back({"GET", "/x", "boom", 1, 1.5, 1.5});
  d.exceptions.push_back({"msg", "tb", "local", 4});
  const nlohmann::json j = d;
  EXPECT_EQ(j["entries"][0]["latency"][1][0], 200);
  const auto text = j.dump();
  const auto back = nlohmann::json::parse(text).get<shard_delta>();
  ASSERT_EQ(back.entries.size(), 1u);
  const auto& b = back.entries[0];
  EXPECT_EQ(b.name, e.name);
  EXPECT_EQ(b.requests, 3u);
  EXPECT_EQ(b.sum_us, 600u);
  EXPECT_EQ(b.latency, e.latency);
  EXPECT_EQ(b.intended, e.intended);
  EXPECT_EQ(b.intended_max_us, 150u);
  EXPECT_DOUBLE_EQ(b.last_wall_s, 2.25);
  ASSERT_EQ(back.failures.size(), 1u);
  EXPECT_EQ(back.failures[0].error, "boom");
  ASSERT_EQ(back.exceptions.size(), 1u);
  EXPECT_EQ(back.exceptions[0].count, 4u);
  // Missing keys default.
  const auto partial = nlohmann::json::parse(R"({"entries":[{"name":"/y"}]})").get<shard_delta>();
  ASSERT_EQ(partial.entries.size(), 1u);
  EXPECT_EQ(partial.entries[0].requests, 0u);
  EXPECT_TRUE(partial.failures.empty());
}

}  // namespace
}  // namespace endure::stats
