// report::summary_json (the --summary-json document) from hand-made inputs with known values, and
// report::monitor_accumulator (the monitoring summary shared by the live run and endure report).
#include "report/summary.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "report/monitor.hpp"
#include "sample_snapshot.hpp"

using namespace endure;
using nlohmann::json;

namespace {

report::summary_input base_input(const stats::snapshot& s) {
  report::summary_input in;
  in.endure_version = "9.9.9";
  in.source = "run";
  in.locustfile = "lf.py";
  in.host = "http://h:1";
  in.start_wall_s = 1'700'000'000.0;
  in.end_wall_s = 1'700'000'010.5;
  in.end_reason = "run time";
  in.exit_code = 3;
  in.exit_reasons = {"threshold failed: p95<1ms: 2 ms"};
  in.totals = &s;
  in.window = "whole run";
  return in;
}

}  // namespace

TEST(summary_json, run_totals_and_thresholds_carry_their_values) {
  auto snap = test::make_snapshot();
  snap.peak_user_count = 30;
  snap.classes.push_back({"Shopper", 7, 0, 0, 0, 0, 0});
  snap.classes.push_back({"Browser", 5, 2, 1, 0, 0, 0});
  snap.rows.push_back(test::make_row("GET", "/never", 0, 0, 0));
  snap.rows.back().intended_percentiles_ms = snap.rows.back().percentiles_ms;
  auto in = base_input(snap);
  analysis::threshold_result failed;
  failed.spec = *analysis::parse_threshold("p95<1ms");
  failed.status = analysis::threshold_status::failed;
  failed.value = 2.0;
  analysis::threshold_result unmeasured;
  unmeasured.spec = *analysis::parse_threshold("p95.slope<1ms/h");
  unmeasured.status = analysis::threshold_status::no_data;
  unmeasured.note = "too short";
  std::vector<analysis::threshold_result> ts = {failed, unmeasured};
  in.thresholds = &ts;
  in.failed_live = std::vector<std::string>{"p95<1ms"};
  in.aborted_by = "p95<1ms";

  const json j = json::parse(report::summary_json(in));
  EXPECT_EQ(j["schema"], "endure-run-summary/1");
  EXPECT_EQ(j["endure_version"], "9.9.9");
  EXPECT_EQ(j["run"]["start_iso"], "2023-11-14T22:13:20Z");
  EXPECT_DOUBLE_EQ(j["run"]["duration_s"].get<double>(), 10.5);
  EXPECT_EQ(j["run"]["exit_code"], 3);
  EXPECT_EQ(j["run"]["exit_code_name"], "thresholds");
  EXPECT_EQ(j["run"]["exit_reasons"], json::array({"threshold failed: p95<1ms: 2 ms"}));
  EXPECT_EQ(j["run"]["peak_users"], 30);
  EXPECT_EQ(j["run"]["users_at_end"], 25);
  EXPECT_TRUE(j["run"]["store"].is_null());

  const json& agg = j["totals"]["aggregated"];
  EXPECT_EQ(agg["requests"], 120);
  EXPECT_EQ(agg["failures"], 4);
  EXPECT_DOUBLE_EQ(agg["fail_ratio"].get<double>(), 4.0 / 120.0);
  EXPECT_DOUBLE_EQ(agg["percentiles_ms"]["50%"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(agg["percentiles_ms"]["100%"].get<double>(), 11.0);
  EXPECT_DOUBLE_EQ(agg["intended_percentiles_ms"]["50%"].get<double>(), 3.0);  // they differ here
  ASSERT_EQ(j["totals"]["entries"].size(), 3u);
  const json& never = j["totals"]["entries"][2];
  EXPECT_EQ(never["requests"], 0);
  EXPECT_TRUE(never["percentiles_ms"].is_null());
  EXPECT_TRUE(never["intended_percentiles_ms"].is_null());
  EXPECT_TRUE(never["avg_ms"].is_null());
  EXPECT_EQ(j["totals"]["entries"][1]["name"], "/b,\"quoted\" <b>");
  EXPECT_EQ(j["totals"]["failures"][0]["occurrences"], 4);
  EXPECT_EQ(j["totals"]["exceptions"][0]["count"], 2);
  EXPECT_EQ(j["totals"]["dropped_arrivals"], 12);
  EXPECT_EQ(j["totals"]["classes"][1]["sessions_started"], 2);

  ASSERT_EQ(j["thresholds"].size(), 2u);
  EXPECT_EQ(j["thresholds"][0]["status"], "failed");
  EXPECT_EQ(j["thresholds"][0]["value"], 2.0);
  EXPECT_EQ(j["thresholds"][0]["unit"], "ms");
  EXPECT_TRUE(j["thresholds"][0]["failed_live"].get<bool>());
  EXPECT_TRUE(j["thresholds"][0]["aborted_run"].get<bool>());
  EXPECT_EQ(j["thresholds"][1]["status"], "no_data");
  EXPECT_FALSE(j["thresholds"][1]["passed"].get<bool>());
  EXPECT_TRUE(j["thresholds"][1]["value"].is_null());
  EXPECT_EQ(j["thresholds"][1]["unit"], "ms_per_s");
  EXPECT_FALSE(j["thresholds"][1]["failed_live"].get<bool>());
  EXPECT_FALSE(j["thresholds"][1]["aborted_run"].get<bool>());
  EXPECT_TRUE(j["verdict"].is_null());
  EXPECT_TRUE(j["monitor"].is_null());
}

TEST(summary_json, a_killed_run_from_its_store_has_nulls_not_zeros) {
  auto snap = test::make_snapshot();
  auto in = base_input(snap);
  in.source = "store";
  in.ended = false;
  in.exit_code.reset();
  in.exit_reasons.clear();
  in.end_reason = "no end record (killed, or still running)";
  in.run_id = "abc";
  in.store_path = "r.db";
  analysis::soak_verdict v;
  v.start_wall_s = 1'700'000'000.0;
  analysis::series_verdict row;
  row.label = "target pid 7 rss_bytes";
  row.key = "target|pid 7|rss_bytes";
  row.verdict = analysis::verdict_kind::degrading;
  row.slope = 1000;
  row.slope_lower = 900;
  row.slope_upper = std::numeric_limits<double>::quiet_NaN();
  row.has_limit = true;
  row.limit_value = 8e9;
  row.exhaustion_s = 3600;
  v.rows.push_back(row);
  in.verdict = &v;
  in.has_monitor = true;
  in.monitor.push_back({"pid 7", "rss_bytes", 3, 1, 3, 1, 3, 0.5, {}, {}});
  in.monitor_problems = {"pid 7: 1 failed sample (last: gone)"};

  const json j = json::parse(report::summary_json(in));
  EXPECT_EQ(j["source"], "store");
  EXPECT_FALSE(j["run"]["ended"].get<bool>());
  EXPECT_TRUE(j["run"]["end_time"].is_null());
  EXPECT_TRUE(j["run"]["end_iso"].is_null());
  EXPECT_TRUE(j["run"]["duration_s"].is_null());
  EXPECT_TRUE(j["run"]["exit_code"].is_null());
  EXPECT_TRUE(j["run"]["exit_code_name"].is_null());
  EXPECT_EQ(j["run"]["run_id"], "abc");
  EXPECT_TRUE(j["thresholds"].empty());
  const json& r = j["verdict"]["series"][0];
  EXPECT_EQ(r["verdict"], "DEGRADING");
  EXPECT_DOUBLE_EQ(r["slope_per_hour"].get<double>(), 3.6e6);
  EXPECT_DOUBLE_EQ(r["slope_ci_per_hour"][0].get<double>(), 900 * 3600.0);
  EXPECT_TRUE(r["slope_ci_per_hour"][1].is_null()) << "NaN becomes null";
  EXPECT_DOUBLE_EQ(r["limit"]["exhaustion_s"].get<double>(), 3600);
  EXPECT_EQ(j["verdict"]["counts"]["DEGRADING"], 1);
  EXPECT_EQ(j["verdict"]["counts"]["STABLE"], 0);
  EXPECT_DOUBLE_EQ(j["verdict"]["start_time"].get<double>(), 1'700'000'000.0);
  EXPECT_EQ(j["monitor"]["series"][0]["samples"], 3);
  EXPECT_DOUBLE_EQ(j["monitor"]["series"][0]["slope_per_hour"].get<double>(), 1800);
  EXPECT_EQ(j["monitor"]["problems"][0], "pid 7: 1 failed sample (last: gone)");
}

TEST(summary_json, exit_codes_have_their_documented_names) {
  EXPECT_STREQ(report::exit_code_name(0), "ok");
  EXPECT_STREQ(report::exit_code_name(1), "failures");
  EXPECT_STREQ(report::exit_code_name(2), "usage");
  EXPECT_STREQ(report::exit_code_name(3), "thresholds");
  EXPECT_STREQ(report::exit_code_name(4), "outputs_incomplete");
  EXPECT_STREQ(report::exit_code_name(5), "stuck_users");
  EXPECT_STREQ(report::exit_code_name(70), "internal");
  EXPECT_STREQ(report::exit_code_name(7), "other");
}

TEST(monitor_accumulator, summarises_first_last_min_max_and_the_least_squares_slope) {
  report::monitor_accumulator acc;
  // v = 10 + 2 t with one outlier below, and a NaN that is skipped.
  for (int t = 0; t < 10; ++t) acc.add("pid 1", "rss_bytes", 100.0 + t, t == 5 ? 0.0 : 10.0 + 2 * t);
  acc.add("pid 1", "rss_bytes", 111, std::nan(""));
  acc.add("disk /", "disk_free_bytes", 100, 5);
  const auto rows = acc.summaries();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].source, "disk /");  // by (source, metric)
  EXPECT_EQ(rows[0].samples, 1u);
  EXPECT_EQ(rows[0].slope_per_s, 0);
  const auto& r = rows[1];
  EXPECT_EQ(r.samples, 10u);
  EXPECT_EQ(r.first, 10);
  EXPECT_EQ(r.last, 28);
  EXPECT_EQ(r.min, 0);
  EXPECT_EQ(r.max, 28);
  // Least squares over the points: slope 2 without the outlier; with it, computed by hand.
  double n = 10, st = 0, sv = 0, stt = 0, stv = 0;
  for (int t = 0; t < 10; ++t) {
    const double v = t == 5 ? 0.0 : 10.0 + 2 * t;
    st += t, sv += v, stt += t * t, stv += t * v;
  }
  EXPECT_NEAR(r.slope_per_s, (n * stv - st * sv) / (n * stt - st * st), 1e-12);
  EXPECT_EQ(r.t_s.size(), 10u);
}

TEST(monitor_accumulator, keeps_its_chart_bounded_by_merging_neighbours) {
  report::monitor_accumulator acc;
  const size_t n = 10 * report::monitor_accumulator::max_chart_points + 3;
  for (size_t i = 0; i < n; ++i) acc.add("s", "m", static_cast<double>(i), static_cast<double>(i));
  const auto rows = acc.summaries();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].samples, n);
  EXPECT_LE(rows[0].t_s.size(), report::monitor_accumulator::max_chart_points + 1);
  EXPECT_GE(rows[0].t_s.size(), report::monitor_accumulator::max_chart_points / 4);
  for (size_t i = 0; i < rows[0].t_s.size(); ++i) EXPECT_DOUBLE_EQ(rows[0].t_s[i], rows[0].values[i]);
  EXPECT_NEAR(rows[0].slope_per_s, 1.0, 1e-9);
  // At most max_series series.
  for (size_t i = 0; i < 300; ++i) acc.add("s", "m" + std::to_string(i), 0, 1);
  EXPECT_EQ(acc.summaries().size(), report::monitor_accumulator::max_series);
}
