// The pure parts of endure report/compare: --from/--to times and --fail-on conditions.
#include <gtest/gtest.h>

#include <ctime>

#include "app/store_commands.hpp"

using namespace endure;

TEST(store_commands, from_and_to_are_offsets_from_the_start_or_iso_times) {
  const double start = 1'790'000'000.5;
  EXPECT_EQ(*app::parse_when("48h", start), start + 48 * 3600);
  EXPECT_EQ(*app::parse_when("2d3h", start), start + 2 * 86400 + 3 * 3600);
  EXPECT_EQ(*app::parse_when("90m", start), start + 5400);
  EXPECT_EQ(*app::parse_when("30", start), start + 30);
  EXPECT_EQ(*app::parse_when(" 0s ", start), start);
  std::tm tm{};
  tm.tm_year = 126;
  tm.tm_mon = 11;
  tm.tm_mday = 1;
  tm.tm_hour = 9;
  const auto nine = static_cast<double>(timegm(&tm));
  EXPECT_EQ(*app::parse_when("2026-12-01T09:00:00Z", start), nine);
  EXPECT_EQ(*app::parse_when("2026-12-01 09:00", start), nine);
  EXPECT_EQ(*app::parse_when("2026-12-01T11:00:00+02:00", start), nine);
  EXPECT_EQ(*app::parse_when("2026-12-01T09:00:00.25Z", start), nine + 0.25);
  for (const char* bad :
       {"7x", "", "-3h", "2026-13-01T00:00Z", "2026-12-01T09:00:00+2", "2026-12-01"}) {
    auto r = app::parse_when(bad, start);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.err().message.find("expected an offset from the run's start"), std::string::npos);
  }
}

TEST(store_commands, fail_on_conditions_parse_and_hold) {
  auto c = app::parse_condition("p95>+10%");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->metric, "p95");
  EXPECT_EQ(c->op, ">");
  EXPECT_TRUE(c->is_change && c->is_relative);
  EXPECT_EQ(c->value, 10);
  EXPECT_TRUE(app::condition_holds(*c, 100, 111));
  EXPECT_FALSE(app::condition_holds(*c, 100, 110));
  EXPECT_TRUE(app::condition_holds(*c, 0, 1));  // from nothing to something: an infinite rise
  EXPECT_FALSE(app::condition_holds(*c, 0, 0));

  c = app::parse_condition("rps<-5%");
  ASSERT_TRUE(c);
  EXPECT_TRUE(app::condition_holds(*c, 1000, 940));
  EXPECT_FALSE(app::condition_holds(*c, 1000, 960));

  c = app::parse_condition("fail%>+0.5");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->is_change && !c->is_relative);
  EXPECT_TRUE(app::condition_holds(*c, 1.0, 1.6));
  c = app::parse_condition("fail% >= 5%");
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->is_change);
  EXPECT_EQ(c->op, ">=");
  EXPECT_TRUE(app::condition_holds(*c, 0, 5));

  c = app::parse_condition("GET /products: p99>+1.5s");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->entry, "GET /products");
  EXPECT_EQ(c->value, 1500);
  stats::row r;
  r.method = "GET";
  r.name = "/products";
  EXPECT_TRUE(app::condition_applies(*c, r));
  r.method = "POST";
  EXPECT_FALSE(app::condition_applies(*c, r));
  c = app::parse_condition("/products: p50<=200ms");
  ASSERT_TRUE(c);
  EXPECT_TRUE(app::condition_applies(*c, r));
  EXPECT_FALSE(c->is_change);
  EXPECT_EQ(c->value, 200);
  c = app::parse_condition("Aggregated: median>+3ms");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->metric, "p50");
  stats::row agg;
  agg.name = "Aggregated";
  EXPECT_TRUE(app::condition_applies(*c, agg));
  EXPECT_FALSE(app::condition_applies(*c, r));

  r.num_requests = 200;
  r.num_failures = 3;
  r.total_rps = 12.5;
  r.percentiles_ms[5] = 42;
  EXPECT_EQ(app::metric_value(r, "fail%"), 1.5);
  EXPECT_EQ(app::metric_value(r, "rps"), 12.5);
  EXPECT_EQ(app::metric_value(r, "p95"), 42);

  for (const char* bad :
       {"p95>>3", "latency>+3%", "p95>10%", "p95", "p95>abc", ": p95>+1%", "p95>"}) {
    auto x = app::parse_condition(bad);
    ASSERT_FALSE(x) << bad;
    EXPECT_EQ(x.err().message.rfind(std::string("invalid --fail-on '") + bad + "'", 0), 0u)
        << x.err().message;
  }
}
