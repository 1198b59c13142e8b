// monitor::prom_text: the exposition format as node_exporter writes it,
// escapes, special values, and one clear error per malformed line.
#include <gtest/gtest.h>

#include <cmath>

#include "monitor/prom_text.hpp"

namespace endure::monitor {
namespace {

TEST(prom_text, parses_comments_labels_escapes_and_timestamps) {
  const char *text =
      "# HELP node_load1 1m load average.\n"
      "# TYPE node_load1 gauge\n"
      "node_load1 0.42\n"
      "\n"
      "node_filesystem_avail_bytes{device=\"/dev/"
      "sda1\",fstype=\"ext4\",mountpoint=\"/\"} 1.23456789e+10\n"
      "weird{a=\"x\\\"y\\\\z\\nw\", b = \"2\" ,} 7 1700000000000\r\n"
      "up{} -Inf\n"
      "nan_metric NaN\n"
      "  spaced_metric   +3\n";
  auto r = parse_prom_text(text);
  ASSERT_TRUE(r) << r.err().message;
  ASSERT_EQ(r->size(), 6u);
  EXPECT_EQ((*r)[0].name, "node_load1");
  EXPECT_DOUBLE_EQ((*r)[0].value, 0.42);
  EXPECT_EQ((*r)[1].label("mountpoint"), "/");
  EXPECT_EQ((*r)[1].label("fstype"), "ext4");
  EXPECT_EQ((*r)[1].label("absent"), "");
  EXPECT_DOUBLE_EQ((*r)[1].value, 1.23456789e10);
  EXPECT_EQ((*r)[2].label("a"), "x\"y\\z\nw");
  EXPECT_EQ((*r)[2].label("b"), "2");
  EXPECT_EQ((*r)[2].value, 7);
  EXPECT_TRUE(std::isinf((*r)[3].value) && (*r)[3].value < 0);
  EXPECT_TRUE(std::isnan((*r)[4].value));
  EXPECT_EQ((*r)[5].name, "spaced_metric");
  EXPECT_EQ((*r)[5].value, 3);
}

TEST(prom_text, every_malformed_line_is_one_clear_error) {
  struct bad {
    const char *text;
    const char *error;
  };
  for (const auto &b : std::initializer_list<bad>{
           {"ok 1\n1bad 2\n", "line 2: a metric name expected"},
           {"m{a=1} 2\n", "line 1: a quoted value expected for label a"},
           {"m{a=\"1} 2\n", "line 1: unterminated value of label a"},
           {"m{a=\"1\" b=\"2\"} 2\n",
            "line 1: ',' or '}' expected in the labels"},
           {"m{=\"1\"} 2\n", "line 1: a label name expected"},
           {"m{a\"1\"} 2\n", "line 1: '=' expected after label a"},
           {"m\n", "line 1: a value expected"},
           {"m 0x10\n", "line 1: '0x10' is not a number"},
           {"m infinity\n", "line 1: 'infinity' is not a number"},
           {"m 1 2 3\n", "line 1: unexpected text after the timestamp"},
           {"m 1 abc\n", "line 1: a timestamp expected after the value"},
       }) {
    auto r = parse_prom_text(b.text);
    ASSERT_FALSE(r) << b.text;
    EXPECT_EQ(r.err().message, b.error) << b.text;
  }
}

TEST(prom_text, limits_bound_what_is_kept) {
  std::string many;
  for (int i = 0; i < 11; ++i)
    many += "m" + std::to_string(i) + " 1\n";
  prom_limits l;
  l.max_samples = 10;
  auto r = parse_prom_text(many, l);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().message, "more than 10 samples");
  l.max_labels = 2;
  l.max_samples = 100;
  EXPECT_FALSE(parse_prom_text("m{a=\"1\",b=\"2\",c=\"3\"} 1\n", l));
  EXPECT_TRUE(parse_prom_text("m{a=\"1\",b=\"2\"} 1\n", l));
}

TEST(prom_text, the_last_line_needs_no_newline_and_empty_text_has_no_samples) {
  auto r = parse_prom_text("a 1\nb 2");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->size(), 2u);
  auto e = parse_prom_text("");
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->empty());
}

} // namespace
} // namespace endure::monitor
