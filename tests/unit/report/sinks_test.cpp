#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "report/csv.hpp"
#include "report/format.hpp"
#include "sinks/bounded_series.hpp"
#include "stats/histogram.hpp"
#include "stats/run_totals.hpp"
#include "sinks/console_sink.hpp"
#include "sinks/csv_sink.hpp"
#include "sinks/endpoint_series.hpp"
#include "sinks/html_sink.hpp"
#include "sinks/json_sink.hpp"
#include "stats/recorder.hpp"

namespace endure::sinks {
namespace {

namespace fs = std::filesystem;
constexpr double t0 = 1'700'000'000.0;

class temp_dir {
 public:
  temp_dir() {
    std::string tmpl = (fs::temp_directory_path() / "endure_sinks_XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~temp_dir() { fs::remove_all(path_); }
  std::string operator/(const std::string& f) const { return (fs::path(path_) / f).string(); }

 private:
  std::string path_;
};

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

size_t count_lines(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

// A run of `seconds` intervals with two endpoints, through the real recorder and run totals.
std::vector<stats::snapshot_ptr> run(int seconds) {
  stats::run_totals totals(t0);
  std::vector<stats::snapshot_ptr> out;
  for (int k = 1; k <= seconds; ++k) {
    stats::shard_recorder r;
    for (int i = 0; i < 10 * k; ++i) {
      stats::request_sample s;
      s.method = "GET";
      s.name = i % 3 ? "/fast" : "/slow,\"x\"";
      s.latency_us = i % 3 ? 150 + i : 12'000 + 100 * i;
      s.intended_latency_us = s.latency_us;
      s.content_bytes = 100;
      s.error = i % 7 == 0 ? "HTTPError(500)" : "";
      s.wall_s = t0 + k - 0.5;
      r.record(s);
    }
    if (k == 2) r.record_exception("std::runtime_error: boom", "user::task");
    stats::interval_record rec;
    rec.id = static_cast<uint64_t>(t0) + static_cast<uint64_t>(k) - 1;
    rec.start_wall_s = t0 + k - 1;
    rec.end_wall_s = t0 + k;
    rec.user_count = static_cast<uint64_t>(k);
    rec.is_final = k == seconds;
    rec.state = k == seconds ? stats::run_state::stopped : stats::run_state::running;
    rec.data = r.take_delta();
    totals.add(rec);
    out.push_back(totals.view({.with_buckets = rec.is_final, .window_all_rows = true}));
  }
  return out;
}

TEST(csv_sink, open_fails_for_missing_directory) {
  auto r = csv_sink::open("/nonexistent-dir-endure/run", false);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.err().message.find("/nonexistent-dir-endure/run_stats.csv"), std::string::npos)
      << r.err().message;
  EXPECT_EQ(r.err().code, 2);
}

TEST(csv_sink, writes_all_files_and_history_per_second) {
  temp_dir dir;
  const auto prefix = dir / "run";
  auto sink = csv_sink::open(prefix, false);
  ASSERT_TRUE(sink.ok()) << sink.err().message;
  EXPECT_EQ(read(prefix + "_stats_history.csv"), report::history_csv_header());
  EXPECT_EQ(count_lines(read(prefix + "_stats.csv")), 2u);  // header + Aggregated
  const auto snaps = run(5);
  for (size_t i = 0; i < 3; ++i) {
    (*sink)->on_snapshot(*snaps[i]);
    // History is flushed after every snapshot: readable before the sink closes.
    EXPECT_EQ(count_lines(read(prefix + "_stats_history.csv")), 2 + i);
    EXPECT_EQ(read(prefix + "_stats.csv"), report::stats_csv(*snaps[i]));
  }
  (*sink)->on_snapshot(*snaps[2]);  // same second again: no new history row
  EXPECT_EQ(count_lines(read(prefix + "_stats_history.csv")), 4u);
  (*sink)->on_snapshot(*snaps[3]);
  (*sink)->on_snapshot(*snaps[4]);  // final
  EXPECT_EQ(count_lines(read(prefix + "_stats_history.csv")), 6u);
  EXPECT_EQ(read(prefix + "_stats.csv"), report::stats_csv(*snaps[4]));
  EXPECT_EQ(read(prefix + "_failures.csv"), report::failures_csv(*snaps[4]));
  EXPECT_NE(read(prefix + "_failures.csv").find("HTTPError(500)"), std::string::npos);
  EXPECT_NE(read(prefix + "_exceptions.csv").find("std::runtime_error: boom"), std::string::npos);
  EXPECT_FALSE(fs::exists(prefix + "_stats.csv.tmp"));
  EXPECT_TRUE((*sink)->status().is_complete());
}

TEST(csv_sink, full_history_has_every_entry) {
  temp_dir dir;
  auto sink = csv_sink::open(dir / "f", true);
  ASSERT_TRUE(sink.ok());
  const auto snaps = run(2);
  (*sink)->on_snapshot(*snaps[0]);
  const auto h = read(dir / "f_stats_history.csv");
  EXPECT_EQ(count_lines(h), 4u);  // header, /fast, /slow, Aggregated
  EXPECT_NE(h.find("1700000001,1,GET,/fast,"), std::string::npos) << h;
  EXPECT_NE(h.find("\"/slow,\"\"x\"\"\""), std::string::npos) << h;
}

TEST(console_sink, periodic_tables_and_summary_agree_with_csv) {
  temp_dir dir;
  const auto path = dir / "console.txt";
  std::FILE* f = std::fopen(path.c_str(), "w+");
  ASSERT_NE(f, nullptr);
  const auto snaps = run(5);
  {
    console_sink sink(f, false, true);
    for (const auto& s : snaps) sink.on_snapshot(*s);
  }
  std::fclose(f);
  const auto text = read(path);
  size_t tables = 0;
  for (size_t p = 0; (p = text.find("Type     Name", p)) != std::string::npos; ++p) ++tables;
  EXPECT_EQ(tables, 2u + 2u);  // snapshots 2 and 4, then the summary's two tables
  EXPECT_NE(text.find("Response time percentiles (approximated)"), std::string::npos);
  EXPECT_NE(text.find("Error report"), std::string::npos);
  // The final summary row for /fast shows the same numbers as the final _stats.csv.
  const auto& fin = *snaps.back();
  const auto& fast = fin.rows[0];
  ASSERT_EQ(fast.name, "/fast");
  const auto csv = report::stats_csv(fin);
  const auto summary = text.substr(text.rfind("# fails"));
  const std::string row = summary.substr(summary.find("GET      /fast"));
  for (const auto& v : {report::format_ms(fast.avg_ms), report::format_ms(fast.min_ms),
                        report::format_ms(fast.max_ms), report::format_ms(fast.median_ms),
                        report::format_rate(fast.total_rps),
                        report::format_rate(fast.total_fail_per_s)}) {
    EXPECT_NE(row.substr(0, row.find('\n')).find(" " + v), std::string::npos) << v;
    EXPECT_NE(csv.find("," + v + ","), std::string::npos) << v;
  }
}

TEST(console_sink, only_summary_prints_once) {
  temp_dir dir;
  const auto path = dir / "c.txt";
  std::FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  const auto snaps = run(4);
  {
    console_sink sink(f, true, true);
    for (const auto& s : snaps) sink.on_snapshot(*s);
  }
  std::fclose(f);
  const auto text = read(path);
  EXPECT_EQ(text.find("Type     Name"), 0u);
  EXPECT_EQ(text.find("Type     Name", 1), text.find("Response time percentiles") + 41);
}

TEST(json_sink, writes_final_entries) {
  temp_dir dir;
  json_sink sink(dir / "out.json");
  const auto snaps = run(3);
  sink.on_snapshot(*snaps[0]);
  EXPECT_FALSE(fs::exists(dir / "out.json"));
  sink.on_snapshot(*snaps[2]);
  const auto j = nlohmann::json::parse(read(dir / "out.json"));
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["name"], "/fast");
  uint64_t n = 0;
  for (const auto& [k, v] : j[0]["response_times"].items()) n += v.get<uint64_t>();
  EXPECT_EQ(n, j[0]["num_requests"].get<uint64_t>());
  json_sink run_sink(dir / "run.json", json_sink::shape::run);
  ASSERT_TRUE(run_sink.write(*snaps[2]).ok());
  EXPECT_EQ(nlohmann::json::parse(read(dir / "run.json"))["exceptions"][0]["count"], 1);
}

TEST(html_sink, report_on_final_and_on_demand) {
  temp_dir dir;
  report::html_run_info info;
  info.host = "http://example.test";
  html_sink sink(dir / "r.html", info);
  EXPECT_FALSE(sink.write_now().ok());
  const auto snaps = run(4);
  sink.on_snapshot(*snaps[0]);
  ASSERT_TRUE(sink.write_now().ok());
  EXPECT_NE(read(dir / "r.html").find("http://example.test"), std::string::npos);
  for (size_t i = 1; i < snaps.size(); ++i) sink.on_snapshot(*snaps[i]);
  const auto doc = read(dir / "r.html");
  EXPECT_NE(doc.find("<td>stopped</td>"), std::string::npos);
  EXPECT_NE(doc.find("/slow,&quot;x&quot;"), std::string::npos);
  EXPECT_EQ(sink.series().points().size(), 4u);
  EXPECT_EQ(sink.html_sink::series().points().back().users, 4.0);
  EXPECT_FALSE(sink.write_now().ok() && fs::exists(dir / "missing/x.html"));
  html_sink bad(dir / "missing/x.html", info);
  bad.on_snapshot(*snaps[0]);
  EXPECT_FALSE(bad.write_now().ok());
}

TEST(html_sink, the_report_is_rewritten_every_interval_of_run_time_while_the_test_runs) {
  temp_dir dir;
  report::html_run_info info;
  info.rewrite_every_s = 3;
  html_sink sink(dir / "r.html", info);
  const auto snaps = run(8);
  for (size_t i = 0; i < 2; ++i) sink.on_snapshot(*snaps[i]);
  EXPECT_FALSE(fs::exists(dir / "r.html")) << "2 s into the run: not yet";
  sink.on_snapshot(*snaps[2]);
  ASSERT_TRUE(fs::exists(dir / "r.html"));
  auto doc = read(dir / "r.html");
  EXPECT_NE(doc.find("Written while the test runs, 3s into it"), std::string::npos);
  EXPECT_NE(doc.find("<th>Users (now)</th><td>3</td>"), std::string::npos);
  // Not the final report: the output still says the final one is owed.
  EXPECT_FALSE(sink.status().incomplete.empty());
  for (size_t i = 3; i < 5; ++i) sink.on_snapshot(*snaps[i]);
  EXPECT_NE(read(dir / "r.html").find("3s into it"), std::string::npos) << "5 s: still the 3 s report";
  sink.on_snapshot(*snaps[5]);
  EXPECT_NE(read(dir / "r.html").find("6s into it"), std::string::npos);
  for (size_t i = 6; i < snaps.size(); ++i) sink.on_snapshot(*snaps[i]);
  doc = read(dir / "r.html");
  EXPECT_EQ(doc.find("Written while the test runs"), std::string::npos);
  EXPECT_NE(doc.find("<th>Users (peak)</th><td>8</td>"), std::string::npos);
  EXPECT_TRUE(sink.status().incomplete.empty());
  // No temporary file is left beside it (each write is a rename over the report).
  size_t files = 0;
  for (const auto& f : fs::directory_iterator(fs::path(dir / "r.html").parent_path())) files += f.is_regular_file();
  EXPECT_EQ(files, 1u);
}

// A load shape's stages are shaded on the report's charts, one band per run of equal stages,
// and the bands stay bounded whatever the number of stage changes.
TEST(html_sink, stages_are_shaded_on_the_charts_and_bounded) {
  temp_dir dir;
  html_sink sink(dir / "r.html", report::html_run_info{});
  const auto snaps = run(6);
  for (size_t i = 0; i < snaps.size(); ++i) {
    stats::snapshot s = *snaps[i];
    s.stage = i < 3 ? "warm-up" : "burst 1";
    sink.on_snapshot(s);
  }
  ASSERT_EQ(sink.stages().size(), 2u);
  EXPECT_EQ(sink.stages()[0].label, "warm-up");
  EXPECT_EQ(sink.stages()[1].label, "burst 1");
  EXPECT_DOUBLE_EQ(sink.stages()[0].to_s, snaps[2]->wall_s);
  const auto doc = read(dir / "r.html");
  EXPECT_NE(doc.find("<title>stage warm-up</title>"), std::string::npos);
  EXPECT_NE(doc.find("<title>stage burst 1</title>"), std::string::npos);
  EXPECT_NE(doc.find("Shaded: the load shape's stages"), std::string::npos);
  // A stage name per interval, 1,000 times over: at most max_stage_bands bands.
  html_sink many(dir / "m.html", report::html_run_info{});
  stats::snapshot s = *snaps[0];
  for (int i = 0; i < 1000; ++i) {
    s.wall_s += 1;
    s.stage = "stage " + std::to_string(i);
    many.on_snapshot(s);
  }
  EXPECT_EQ(many.stages().size(), html_sink::max_stage_bands);
  EXPECT_EQ(many.stages().back().label, "stage 999");
}

TEST(endpoint_series, follows_a_bounded_number_of_endpoints_the_busiest_first) {
  endpoint_series es(3, 50);
  auto snap = [](double wall, std::vector<std::pair<std::string, uint64_t>> rows) {
    stats::snapshot s;
    s.wall_s = wall;
    s.interval_s = 1;
    for (auto& [name, total] : rows) {
      stats::row r;
      r.method = "GET";
      r.name = name;
      r.num_requests = total;
      r.interval_requests = 10;
      r.interval_latency = {{stats::histogram::bucket_index(1000), 10}};
      r.interval_min_us = r.interval_max_us = 1000;
      s.rows.push_back(std::move(r));
    }
    return s;
  };
  es.add(snap(t0 + 1, {{"/a", 100}, {"/b", 50}, {"/c", 20}, {"/d", 30}}));
  EXPECT_EQ(es.followed(), 3u);
  // /d is busier than /c but not twice as busy: no turn-taking at the boundary.
  es.add(snap(t0 + 2, {{"/a", 110}, {"/b", 60}, {"/c", 25}, {"/d", 45}}));
  auto c = es.charts(10);
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].name, "/a");
  EXPECT_EQ(c[2].name, "/c");
  EXPECT_EQ(c[0].points.size(), 2u);
  EXPECT_DOUBLE_EQ(c[0].since_wall_s, t0);
  // /e, a hundred times busier, replaces the least busy and is followed from now on.
  es.add(snap(t0 + 3, {{"/a", 120}, {"/b", 70}, {"/c", 30}, {"/d", 60}, {"/e", 3000}}));
  c = es.charts(2);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].name, "/e");
  EXPECT_DOUBLE_EQ(c[0].since_wall_s, t0 + 2);
  EXPECT_EQ(c[0].points.size(), 1u);
  EXPECT_EQ(c[1].name, "/a");
  EXPECT_EQ(es.followed(), 3u);
  // A row without its interval histogram (not among the snapshot's window rows) cannot start.
  endpoint_series none(3, 50);
  auto s = snap(t0 + 1, {{"/x", 10}});
  s.rows[0].interval_latency.clear();
  none.add(s);
  EXPECT_EQ(none.followed(), 0u);
}

TEST(bounded_series, memory_is_bounded_and_points_merge_histograms_exactly) {
  bounded_series s(100);
  for (int i = 0; i < 10'000; ++i) {
    // Interval i: 10 requests near (i % 100 + 1) ms, one failure every other interval.
    stats::histogram h;
    for (int k = 0; k < 10; ++k) h.record(static_cast<uint64_t>((i % 100 + 1) * 1000 + k));
    series_input in;
    in.wall_s = i + 1;
    in.interval_s = 1;
    in.requests = 10;
    in.failures = i % 2;
    in.users = 1;
    in.latency = h.to_sparse();
    in.min_us = h.min();
    in.max_us = h.max();
    s.add(in);
    ASSERT_LE(s.size(), 101u);
  }
  const auto pts = s.points();
  EXPECT_GE(pts.size(), 50u);
  EXPECT_EQ(s.stride(), 128u);
  // Uniform coverage: points are in time order, the first early and the last near the end.
  for (size_t i = 1; i < pts.size(); ++i) EXPECT_LT(pts[i - 1].wall_s, pts[i].wall_s);
  EXPECT_LE(pts.front().wall_s, 200);
  EXPECT_GT(pts.back().wall_s, 9'700);
  // Rates come from merged counts and covered time.
  for (const auto& p : pts) {
    EXPECT_NEAR(p.rps, 10.0, 1e-9);
    EXPECT_NEAR(p.users, 1.0, 1e-9);
  }
  EXPECT_NEAR(pts[1].fail_per_s, 0.5, 1e-9);
  // The first full point covers intervals 0..127 (values 1..100 ms, then 1..28 ms): its p99 is
  // the merged histogram's, ~99-100 ms; an average of the intervals' p99s would be ~45 ms.
  EXPECT_GT(pts[0].p99_ms, 98.0);
  EXPECT_LT(pts[0].p99_ms, 101.0);
  EXPECT_LT(pts[0].p50_ms, 45.0);
}

}  // namespace
}  // namespace endure::sinks
