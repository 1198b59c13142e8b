#include "report/format.hpp"

#include <gtest/gtest.h>

namespace endure::report {
namespace {

TEST(format, ms_three_significant_digits) {
  EXPECT_EQ(format_ms(0), "0");
  EXPECT_EQ(format_ms(0.153), "0.153");
  EXPECT_EQ(format_ms(0.1534), "0.153");
  EXPECT_EQ(format_ms(0.001), "0.001");
  EXPECT_EQ(format_ms(12.44), "12.4");
  EXPECT_EQ(format_ms(12.0), "12");
  EXPECT_EQ(format_ms(153.4), "153");
  EXPECT_EQ(format_ms(15345), "15300");
  EXPECT_EQ(format_ms(9.996), "10");
  EXPECT_EQ(format_ms(99.96), "100");
  EXPECT_EQ(format_ms(1.5), "1.5");
  EXPECT_EQ(format_ms(3'600'000), "3600000");
}

TEST(format, rates_numbers_and_time) {
  EXPECT_EQ(format_rate(10), "10.00");
  EXPECT_EQ(format_rate(0.125), "0.12");
  EXPECT_EQ(format_number(1234.5), "1234.5");
  EXPECT_EQ(format_number(17), "17");
  EXPECT_EQ(format_number(0), "0");
  EXPECT_EQ(format_iso8601_utc(1'700'000'000.9), "2023-11-14T22:13:20Z");
  EXPECT_EQ(format_iso8601_utc(0), "");
}

TEST(format, csv_quoting_rfc4180) {
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_record({"a", "b,c", ""}), "a,\"b,c\",\r\n");
}

TEST(format, html_escape_all_specials) {
  EXPECT_EQ(html_escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
}

}  // namespace
}  // namespace endure::report
