#include <gtest/gtest.h>

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
  EXPECT_NE(svg.find("points=\"60.0,190.0 "), std::string::npos) << svg;
  EXPECT_NE(svg.find("880.0,"), std::string::npos);
  EXPECT_NE(svg.find("a (ms)"), std::string::npos);
}

}  // namespace
}  // namespace endure::report
