#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "report/html.hpp"
#include "report/json.hpp"
#include "stats/histogram.hpp"
#include "unit/report/sample_snapshot.hpp"

namespace endure::report {
namespace {

TEST(json, entry_keys_are_locusts_plus_endures) {
  auto s = test::make_snapshot();
  s.rows[0].latency_buckets = {{stats::histogram::bucket_index(153), 60},
                               {stats::histogram::bucket_index(5000), 40}};
  const auto j = entries_json(s);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 2u);
  const auto& e = j[0];
  for (const char* k : {"name", "method", "last_request_timestamp", "start_time", "num_requests",
                        "num_none_requests", "num_failures", "total_response_time",
                        "max_response_time", "min_response_time", "total_content_length",
                        "response_times", "num_reqs_per_sec", "num_fail_per_sec", "percentiles",
                        "intended_percentiles", "avg_content_size"})
    EXPECT_TRUE(e.contains(k)) << k;
  EXPECT_EQ(e["name"], "/a");
  EXPECT_EQ(e["num_requests"], 100);
  EXPECT_EQ(e["num_failures"], 4);
  EXPECT_DOUBLE_EQ(e["max_response_time"].get<double>(), 1.53);
  EXPECT_DOUBLE_EQ(e["percentiles"]["99%"].get<double>(), 0.153 * 8);
  EXPECT_DOUBLE_EQ(e["intended_percentiles"]["50%"].get<double>(), 0.153 * 3);
  EXPECT_EQ(e["response_times"]["0.153"], 60);
  EXPECT_EQ(e["response_times"]["5.001"], 40);  // bucket [5000, 5003]: midpoint 5001 us
  EXPECT_DOUBLE_EQ(e["start_time"].get<double>(), 1'700'000'000.0);

  const auto run = run_json(s);
  EXPECT_EQ(run["stats"].size(), 2u);
  EXPECT_EQ(run["total"]["name"], "Aggregated");
  EXPECT_EQ(run["failures"][0]["occurrences"], 4);
  EXPECT_EQ(run["exceptions"][0]["count"], 2);
  EXPECT_EQ(run["state"], "running");
}

TEST(html, self_contained_escaped_with_tables_and_charts) {
  const auto s = test::make_snapshot();
  html_run_info info;
  info.title = "Soak <test>";
  info.host = "http://localhost:8080/?a=1&b=2";
  std::vector<chart_point> history;
  for (int i = 0; i < 30; ++i)
    history.push_back({1'700'000'000.0 + i, 10.0 + i, 0.5, 1.0, 2.0 + i, 3.0 + i, 25});
  const auto doc = html_report(s, info, history);
  EXPECT_EQ(doc.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(doc.find("<title>Soak &lt;test&gt;</title>"), std::string::npos);
  EXPECT_NE(doc.find("http://localhost:8080/?a=1&amp;b=2"), std::string::npos);
  EXPECT_NE(doc.find("<td>/b,&quot;quoted&quot; &lt;b&gt;</td>"), std::string::npos);
  EXPECT_EQ(doc.find("<b>"), std::string::npos);  // the raw name never appears unescaped
  EXPECT_NE(doc.find("<table class=\"stats\">"), std::string::npos);
  EXPECT_NE(doc.find("<table class=\"percentiles\">"), std::string::npos);
  EXPECT_NE(doc.find("<table class=\"failures\">"), std::string::npos);
  EXPECT_NE(doc.find("<table class=\"exceptions\">"), std::string::npos);
  EXPECT_NE(doc.find("HTTPError(&#39;500 Server Error&#39;)"), std::string::npos);
  EXPECT_NE(doc.find("2023-11-14T22:13:20Z"), std::string::npos);
  EXPECT_NE(doc.find("<td>11s</td>"), std::string::npos);  // duration 10.7 s
  size_t charts = 0;
  for (size_t p = 0; (p = doc.find("<svg", p)) != std::string::npos; ++p) ++charts;
  EXPECT_EQ(charts, 3u);
  EXPECT_NE(doc.find("<polyline"), std::string::npos);
  EXPECT_EQ(doc.find("<script"), std::string::npos);
  EXPECT_EQ(doc.find("src=\"http"), std::string::npos);
  EXPECT_EQ(doc.find("href=\"http"), std::string::npos);
}

TEST(html, chart_scales_points_into_the_plot) {
  const auto svg = svg_chart("t", {0, 1, 2}, {{"a", "#000", {0, 5, 10}}}, "ms");
  // First point at the left/bottom edge, last at the right edge (x = 900 - 20).
  EXPECT_NE(svg.find("points=\"64.0,192.0 "), std::string::npos) << svg;
  EXPECT_NE(svg.find("880.0,30.0"), std::string::npos) << "10 is the top tick";
  EXPECT_NE(svg.find("a (ms)"), std::string::npos);
  // A value that is not finite breaks the line in two; it is not drawn as 0.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const auto gap = svg_chart("t", {0, 1, 2, 3}, {{"a", "#000", {1, nan, 2, 2}}}, "");
  size_t lines = 0;
  for (size_t p = 0; (p = gap.find("<polyline", p)) != std::string::npos; ++p) ++lines;
  EXPECT_EQ(lines, 2u);
  EXPECT_EQ(gap.find(",192.0 "), std::string::npos) << gap;
}

// Every tick value a whole multiple of the step, from 0 to the first tick at or above vmax.
std::vector<std::string> tick_labels(double vmax) {
  std::vector<std::string> out;
  for (const auto& t : value_ticks(vmax)) out.push_back(t.label);
  return out;
}

TEST(chart, value_ticks_are_round) {
  EXPECT_EQ(tick_labels(0.3), (std::vector<std::string>{"0", "0.1", "0.2", "0.3"}));
  EXPECT_EQ(tick_labels(17), (std::vector<std::string>{"0", "5", "10", "15", "20"}));
  EXPECT_EQ(tick_labels(1234), (std::vector<std::string>{"0", "250", "500", "750", "1000", "1250"}));
  EXPECT_EQ(tick_labels(0.7), (std::vector<std::string>{"0", "0.2", "0.4", "0.6", "0.8"}));
  EXPECT_EQ(tick_labels(12.1), (std::vector<std::string>{"0", "2.5", "5", "7.5", "10", "12.5"}));
  EXPECT_EQ(tick_labels(0), (std::vector<std::string>{"0", "0.2", "0.4", "0.6", "0.8", "1"}));
  EXPECT_EQ(tick_labels(100), (std::vector<std::string>{"0", "20", "40", "60", "80", "100"}));
  for (double v : {0.0031, 0.9, 3.7, 48.0, 999.0, 15300.0, 7.2e6}) {
    const auto t = value_ticks(v);
    ASSERT_GE(t.size(), 2u);
    ASSERT_LE(t.size(), 7u) << v;
    const double step = t[1].value;
    EXPECT_GE(t.back().value, v * (1 - 1e-9));
    EXPECT_LT(t[t.size() - 2].value, v) << "no tick above the one that covers vmax";
    const double mantissa = step / std::pow(10.0, std::floor(std::log10(step)));
    EXPECT_TRUE(std::fabs(mantissa - 1) < 1e-9 || std::fabs(mantissa - 2) < 1e-9 ||
                std::fabs(mantissa - 2.5) < 1e-9 || std::fabs(mantissa - 5) < 1e-9)
        << v << " step " << step;
  }
}

TEST(chart, time_ticks_say_clock_time_and_elapsed_time_at_round_steps) {
  const double start = 1'700'000'000;  // 2023-11-14T22:13:20Z
  // 90 minutes: every 15 minutes of elapsed time.
  auto t = time_ticks(start, start + 5400, start);
  ASSERT_EQ(t.size(), 7u);
  EXPECT_EQ(t[0].label, "22:13");
  EXPECT_EQ(t[0].sublabel, "+0");
  EXPECT_EQ(t[1].label, "22:28");
  EXPECT_EQ(t[1].sublabel, "+15m");
  EXPECT_EQ(t[6].sublabel, "+1h30m");
  // A week: one a day, dated.
  t = time_ticks(start, start + 7 * 86400, start);
  ASSERT_EQ(t.size(), 8u);
  EXPECT_EQ(t[1].label, "11-15");
  EXPECT_EQ(t[7].sublabel, "+7d");
  // 36 hours: every 6 hours, with the date since the run spans days.
  t = time_ticks(start, start + 36 * 3600, start);
  ASSERT_EQ(t.size(), 7u);
  EXPECT_EQ(t[1].label, "11-15 04:13");
  EXPECT_EQ(t[1].sublabel, "+6h");
  // 20 seconds: seconds on the clock.
  t = time_ticks(start, start + 20, start);
  EXPECT_EQ(t[1].label, "22:13:25");
  EXPECT_EQ(t[1].sublabel, "+5s");
  // The axis may begin after the start (a report of the last part): ticks stay on the grid of
  // elapsed time.
  t = time_ticks(start + 100, start + 700, start);
  ASSERT_FALSE(t.empty());
  EXPECT_EQ(t[0].sublabel, "+2m");
  for (double span : {7.0, 61.0, 3599.0, 86401.0, 30 * 86400.0, 400 * 86400.0}) {
    const auto k = time_ticks(start, start + span, start);
    EXPECT_GE(k.size(), 2u) << span;
    EXPECT_LE(k.size(), 9u) << span;
  }
  EXPECT_EQ(elapsed_label(90061), "+1d1h");
  EXPECT_EQ(elapsed_label(45), "+45s");
  EXPECT_EQ(elapsed_label(3600 + 90), "+1h1m");
}

// The text of the cell after <th>title</th> in the report's info table.
std::string info_cell(const std::string& doc, const std::string& title) {
  auto p = doc.find("<th>" + title + "</th><td>");
  if (p == std::string::npos) return "(missing)";
  p += title.size() + 13;
  return doc.substr(p, doc.find("</td>", p) - p);
}

TEST(html, users_peak_is_the_peak_and_the_intended_table_appears_only_when_it_differs) {
  auto s = test::make_snapshot();
  s.is_final = true;
  s.state = stats::run_state::stopped;
  s.user_count = 0;
  s.peak_user_count = 80;
  s.user_count_by_class = {{"ShopUser", 20}};
  for (auto& r : s.rows) r.intended_percentiles_ms = r.percentiles_ms;
  s.aggregated.intended_percentiles_ms = s.aggregated.percentiles_ms;
  auto doc = html_report(s, {}, {});
  EXPECT_EQ(info_cell(doc, "Users (peak)"), "80");
  EXPECT_EQ(info_cell(doc, "Users: ShopUser (at the end)"), "20");
  EXPECT_EQ(doc.find("intended-percentiles"), std::string::npos);
  EXPECT_NE(doc.find("class=\"note intended-equal\""), std::string::npos);
  EXPECT_EQ(doc.find("Written while the test runs"), std::string::npos);
  // Pacing ran late somewhere: the second table, with what it means.
  s.rows[0].intended_percentiles_ms[9] += 5;
  doc = html_report(s, {}, {});
  EXPECT_NE(doc.find("<table class=\"intended-percentiles\">"), std::string::npos);
  EXPECT_NE(doc.find("coordinated omission corrected"), std::string::npos);
  // A report written while the test runs says so, and shows the users now.
  s.is_final = false;
  s.user_count = 60;
  html_run_info info;
  info.rewrite_every_s = 300;
  doc = html_report(s, info, {});
  EXPECT_NE(doc.find("Written while the test runs, 11s into it (2023-11-14T22:13:30Z); rewritten every 5m"),
            std::string::npos)
      << doc.substr(0, 2000);
  EXPECT_EQ(info_cell(doc, "Users (now)"), "60");
  EXPECT_EQ(info_cell(doc, "Users (peak)"), "80");
}

TEST(html, per_endpoint_charts_with_their_start) {
  auto s = test::make_snapshot();
  std::vector<endpoint_chart> e(2);
  e[0].method = "GET";
  e[0].name = "/a";
  e[0].since_wall_s = s.start_wall_s;
  e[1].method = "POST";
  e[1].name = "/b";
  e[1].since_wall_s = s.start_wall_s + 5;
  for (int i = 1; i <= 10; ++i) {
    e[0].points.push_back({s.start_wall_s + i, 10, 1, 1, 2, 3, 0});
    if (i > 5) e[1].points.push_back({s.start_wall_s + i, 5, 0, 4, 5, 6, 0});
  }
  const auto doc = html_report(s, {}, {}, e);
  size_t pairs = 0;
  for (size_t p = 0; (p = doc.find("<div class=\"pair endpoint\"", p)) != std::string::npos; ++p) ++pairs;
  EXPECT_EQ(pairs, 2u);
  EXPECT_NE(doc.find("data-name=\"GET /a\""), std::string::npos);
  EXPECT_NE(doc.find("Followed from 2023-11-14T22:13:25Z (+5s)"), std::string::npos);
  EXPECT_EQ(doc.find("Followed from 2023-11-14T22:13:20Z"), std::string::npos);
  EXPECT_NE(doc.find("The 2 busiest of 2 endpoints"), std::string::npos);
}

}  // namespace
}  // namespace endure::report
