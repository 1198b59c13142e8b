#include "base/duration.hpp"

#include <gtest/gtest.h>

using namespace std::chrono_literals;
using endure::base::parse_duration;

TEST(duration, accepts_days_and_combinations) {
  EXPECT_EQ(*parse_duration("7d"), 7 * 24h);
  EXPECT_EQ(*parse_duration("1d12h30m"), 24h + 12h + 30min);
  EXPECT_EQ(*parse_duration("90m"), 90min);
  EXPECT_EQ(*parse_duration("45s"), 45s);
  EXPECT_EQ(*parse_duration("30"), 30s);
  EXPECT_EQ(*parse_duration("250ms"), 250ms);
  EXPECT_EQ(*parse_duration("1h30m15s"), 1h + 30min + 15s);
  EXPECT_EQ(*parse_duration("1.5h"), 90min);
  EXPECT_EQ(*parse_duration(" 10s "), 10s);
  EXPECT_EQ(*parse_duration("0"), 0s);
}

TEST(duration, rejects_garbage_with_a_message) {
  for (const char* bad : {"1h30x", "7x", "-5s", "", "h", "1h1h", "30m1h", "1.2.3s", "s30", "1d 2h",
                          "5sm", "10 s", "99999999999999999999d"}) {
    auto r = parse_duration(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_NE(r.err().message.find("expected"), std::string::npos) << r.err().message;
      EXPECT_EQ(r.err().code, 2);
    }
  }
}

TEST(duration, formats_back) {
  EXPECT_EQ(endure::base::format_duration(90min), "1h 30m");
  EXPECT_EQ(endure::base::format_duration(7 * 24h + 1s), "7d 1s");
  EXPECT_EQ(endure::base::format_duration(0s), "0s");
}

TEST(rate, per_second_minute_hour_and_plain) {
  using endure::base::parse_rate;
  EXPECT_DOUBLE_EQ(*parse_rate("200/s"), 200);
  EXPECT_DOUBLE_EQ(*parse_rate(" 12000 / m "), 200);
  EXPECT_DOUBLE_EQ(*parse_rate("36/h"), 0.01);
  EXPECT_DOUBLE_EQ(*parse_rate("2.5"), 2.5);
  EXPECT_EQ(parse_rate("5/x").err().message, "unit '/x' (expected /s, /m or /h)");
  for (const char* bad : {"", "fast", "-1/s", "1e999", "/s", "5 per s"}) {
    auto r = parse_rate(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.err().code, 2) << bad;
    }
  }
}
