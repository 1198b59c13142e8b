// The soak verdict as text: units, trends per hour (per minute under an hour), offsets, the
// console table of the issue, threshold lines, JSON keys and the HTML section.
#include <gtest/gtest.h>

#include "report/html.hpp"
#include "report/json.hpp"
#include "report/verdict.hpp"

using namespace endure;
using namespace endure::report;
using analysis::unit;
using analysis::verdict_kind;

TEST(verdict_format, values_trends_and_offsets) {
  EXPECT_EQ(format_value(12.4, unit::ms), "12.4 ms");
  EXPECT_EQ(format_value(15300, unit::ms), "15.3 s");
  EXPECT_EQ(format_value(8e9, unit::bytes), "8 GB");
  EXPECT_EQ(format_value(1.234e6, unit::bytes), "1.23 MB");
  EXPECT_EQ(format_value(0.0052, unit::ratio), "0.52%");
  EXPECT_EQ(format_value(48.13, unit::per_s), "48.1 req/s");
  EXPECT_EQ(format_value(200, unit::count), "200");
  EXPECT_EQ(format_trend(3.1 / 3600, unit::ms, 3600), "+3.1 ms/h");
  EXPECT_EQ(format_trend(48e6 / 3600, unit::bytes, 3600), "+48 MB/h");
  EXPECT_EQ(format_trend(-0.5 / 60, unit::per_s, 60), "-0.5 req/s/min");
  EXPECT_EQ(format_offset(2 * 86400 + 3 * 3600 + 120), "2d 03h");
  EXPECT_EQ(format_offset(12 * 60), "12m");
  EXPECT_EQ(format_offset(150), "2m 30s");
  EXPECT_EQ(format_offset(45), "45s");
  EXPECT_EQ(format_offset(6 * 86400 + 23 * 3600), "6d 23h");
}

namespace {

analysis::soak_verdict sample() {
  analysis::soak_verdict v;
  v.warmup_s = 12 * 60;
  v.analysed_s = 6 * 86400 + 23 * 3600;
  v.window_s = 2400;
  v.windows = 251;
  analysis::series_verdict p95;
  p95.key = "GET /products|p95";
  p95.label = "GET /products p95";
  p95.method = "GET";
  p95.name = "/products";
  p95.u = unit::ms;
  p95.verdict = verdict_kind::degrading;
  p95.points = 251;
  p95.slope = 3.1 / 3600;
  p95.slope_lower = 2.4 / 3600;
  p95.slope_upper = 3.9 / 3600;
  p95.level_start = 2484;
  p95.relative_change = 0.21;
  analysis::series_verdict rss;
  rss.key = "target|pid 4242|rss_bytes";
  rss.label = "target pid 4242 rss_bytes";
  rss.kind = analysis::series_kind::target;
  rss.u = unit::bytes;
  rss.verdict = verdict_kind::degrading;
  rss.points = 251;
  rss.slope = 48e6 / 3600;
  rss.slope_lower = 45e6 / 3600;
  rss.slope_upper = 51e6 / 3600;
  rss.level_start = 1e9;
  rss.relative_change = 8.0;
  rss.has_limit = true;
  rss.limit_value = 8e9;
  rss.exhaustion_s = 31 * 3600;
  analysis::series_verdict fds;
  fds.key = "target|pid 4242|fds";
  fds.label = "target pid 4242 fds";
  fds.kind = analysis::series_kind::target;
  fds.u = unit::count;
  fds.verdict = verdict_kind::step_change;
  fds.points = 251;
  fds.step_t_s = 2 * 86400 + 3 * 3600;
  fds.step_before = 120;
  fds.step_after = 320;
  analysis::series_verdict rps;
  rps.key = "Aggregated|req/s";
  rps.label = "Aggregated req/s";
  rps.name = "Aggregated";
  rps.u = unit::per_s;
  rps.verdict = verdict_kind::inconclusive;
  rps.reason = "too noisy to rule out a change of practical size";
  rps.points = 251;
  v.rows = {p95, rss, fds, rps};
  return v;
}

}  // namespace

TEST(verdict_format, the_table_of_the_issue) {
  analysis::threshold_result t;
  t.spec = *analysis::parse_threshold("GET /products: p99<1s");
  t.status = analysis::threshold_status::failed;
  t.value = 1420;
  const std::string out = verdict_table(sample(), {t});
  EXPECT_EQ(
      out.rfind("Soak verdict (warm-up 12m excluded, 6d 23h analysed in 251 windows of 40m)\n", 0),
      0u)
      << out;
  EXPECT_NE(
      out.find("series                     verdict       trend           95% CI        note\n"),
      std::string::npos)
      << out;
  EXPECT_NE(out.find("GET /products p95          DEGRADING     +3.1 ms/h       [+2.4, +3.9]  +21% "
                     "over the run\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("target pid 4242 rss_bytes  DEGRADING     +48 MB/h        [+45, +51]    +800% "
                     "over the run; "
                     "reaches 8 GB limit in ~1d 07h\n"),
            std::string::npos)
      << out;
  EXPECT_NE(
      out.find(
          "target pid 4242 fds        STEP CHANGE   +200 at 2d 03h                120 -> 320\n"),
      std::string::npos)
      << out;
  EXPECT_NE(out.find("Aggregated req/s           INCONCLUSIVE  0 req/s/h"), std::string::npos)
      << out;
  EXPECT_NE(out.find("\nThresholds\n  FAILED  GET /products: p99<1s: 1.42 s\n"), std::string::npos)
      << out;
}

TEST(verdict_format, json_and_html_carry_every_row) {
  auto j = verdict_json(sample(), {});
  ASSERT_EQ(j["series"].size(), 4u);
  EXPECT_EQ(j["series"][0]["verdict"], "DEGRADING");
  EXPECT_NEAR(j["series"][0]["slope_per_hour"].get<double>(), 3.1, 1e-9);
  EXPECT_EQ(j["series"][2]["step"]["after"], 320);
  EXPECT_NEAR(j["series"][1]["limit"]["exhaustion_s"].get<double>(), 31 * 3600, 1e-6);
  EXPECT_EQ(j["warmup_s"], 720);
  auto by_entry = entry_verdicts_json(sample());
  ASSERT_EQ(by_entry.size(), 1u);
  EXPECT_EQ(by_entry.begin()->first, (std::pair<std::string, std::string>{"GET", "/products"}));

  stats::snapshot s;
  stats::row r;
  r.method = "GET";
  r.name = "/products";
  r.num_requests = 3;
  s.rows.push_back(r);
  auto entries = entries_json(s, {"soak_verdict", &by_entry});
  EXPECT_EQ(entries[0]["soak_verdict"][0]["series"], "GET /products p95");

  auto html = verdict_html(sample(), {});
  EXPECT_NE(html.find("<h2>Soak verdict</h2>"), std::string::npos);
  EXPECT_NE(html.find("<td>120 -&gt; 320</td>"), std::string::npos) << html;
  auto doc = html_report(s, {}, {}, {}, html);
  EXPECT_LT(doc.find("<h2>Soak verdict</h2>"), doc.find("<h2>Charts</h2>"));
}

TEST(verdict_format, a_run_too_short_for_any_verdict_says_so_in_one_line) {
  analysis::soak_verdict v;
  v.windows = 4;
  v.analysed_s = 4;
  v.window_s = 1;
  analysis::series_verdict r;
  r.label = "Aggregated p50";
  r.reason = "too short: 4 windows, 10 needed";
  r.points = 4;
  v.rows = {r, r};
  EXPECT_EQ(verdict_table(v, {}),
            "Soak verdict: too short to judge (4 windows of 1s after the warm-up, 10 needed)\n");
}
