// Target monitoring as a user meets it: bad --monitor-* values refused before the run (exit 2,
// one line), and a run against the demo shop leaking memory with --monitor-pid on the shop: its
// RSS in PREFIX_monitor.csv every interval, in the console's monitoring table and judged
// DEGRADING by the soak verdict at about the planted rate, while an exporter that does not answer
// costs one warning and nothing else.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>

#include "cli_support.hpp"

namespace fs = std::filesystem;
using namespace endure::test_support;
using namespace std::chrono_literals;

namespace {

const std::string files = ENDURE_SOURCE_DIR "/tests/cli/locustfiles/";

}  // namespace

TEST(monitor_cli, bad_monitor_values_are_refused_before_the_run) {
  std::string dir = temp_dir("monitor-bad");
  const std::string lf = files + "refused.cpp";
  run_process({endure_bin, "-f", lf, "--list"}, {cache_env}, 120s);
  struct bad_case {
    std::vector<std::string> args;
    std::string expect;
  };
  for (const auto& c : std::vector<bad_case>{
           {{"--monitor-pid", "abc"}, "invalid value 'abc' for --monitor-pid: expected a process id"},
           {{"--monitor-pid", "4194000"}, "invalid value '4194000' for --monitor-pid: no process 4194000 is running"},
           {{"--monitor-process", "no-such-process-xyz"},
            "invalid value 'no-such-process-xyz' for --monitor-process: no process named no-such-process-xyz is running"},
           {{"--monitor-disk", "/no/such/dir"}, "invalid value '/no/such/dir' for --monitor-disk: /no/such/dir: No such file"},
           {{"--monitor-node-exporter", "db1:9100"}, "invalid value 'db1:9100' for --monitor-node-exporter: expected a URL"},
           {{"--monitor-query", "sum(up)"}, "invalid value 'sum(up)' for --monitor-query: expected NAME=PROMQL"},
           {{"--monitor-query", "up=up"}, "--monitor-query needs --monitor-prometheus URL"},
           {{"--monitor-prometheus", "http://127.0.0.1:9"}, "--monitor-prometheus needs at least one --monitor-query"},
       }) {
    std::vector<std::string> argv = {endure_bin, "-f", lf, "--headless", "-t", "1s", "--csv", dir + "/out"};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    auto r = run_process(argv, {cache_env}, 60s, dir);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(r.err.rfind("endure: error: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line: " << r.err;
    EXPECT_FALSE(fs::exists(dir + "/out_stats.csv"));
  }
}

TEST(monitor_cli, the_leaking_shops_rss_is_sampled_shown_and_judged_degrading) {
  // Two users, each GET / every 20 ms: ~100 requests/s, each leaking 16 KiB in the shop, ~1.6 MB/s.
  demo_shop shop({"--leak", "--leak-bytes", "16384"});
  ASSERT_FALSE(shop.url().empty());
  const std::string dir = temp_dir("monitor-leak");
  run_process({endure_bin, "-f", files + "steady.cpp", "--list"}, {cache_env}, 120s);
  const std::string pid = std::to_string(shop.pid());
  auto r = run_process({endure_bin, "-f", files + "steady.cpp", "--host", shop.url(), "--headless", "-u", "2", "-r",
                        "10", "-t", "20s", "--only-summary", "--csv", dir + "/run", "--monitor-pid", pid,
                        "--monitor-disk", dir, "--monitor-node-exporter", "http://127.0.0.1:1/metrics", "--store",
                        dir + "/run.db"},
                       {cache_env}, 120s);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // The exporter that never answers: one warning, the run unharmed.
  const std::string warn = "[monitor]: http://127.0.0.1:1/metrics: ";
  const auto first = r.err.find(warn);
  EXPECT_NE(first, std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(warn, first + 1), std::string::npos) << "warned once: " << r.err;
  EXPECT_NE(r.out.find("http://127.0.0.1:1/metrics: "), std::string::npos) << "counted in the summary: " << r.out;

  // PREFIX_monitor.csv: the shop's RSS every interval, growing.
  const auto csv = split(read_file(dir + "/run_monitor.csv"), '\n');
  ASSERT_FALSE(csv.empty());
  EXPECT_EQ(csv[0].substr(0, 29), "Timestamp,Source,Metric,Value");
  std::vector<std::pair<double, double>> rss;
  std::map<std::string, int> metrics;
  for (size_t i = 1; i < csv.size(); ++i) {
    auto f = split(csv[i], ',');
    if (f.size() != 4) continue;
    metrics[f[1] + " " + f[2]]++;
    if (f[1] == "pid " + pid && f[2] == "rss_bytes") rss.emplace_back(std::stod(f[0]), std::stod(f[3]));
  }
  ASSERT_GE(rss.size(), 18u) << read_file(dir + "/run_monitor.csv");
  for (const char* m : {"threads", "fds", "cpu_percent"}) EXPECT_GE(metrics["pid " + pid + " " + m], 17) << m;
  EXPECT_GE(metrics["disk " + dir + " disk_free_bytes"], 18);
  // Least-squares slope of the CSV's RSS: the leak the shop counted, per second of the run.
  double n = 0, st = 0, sv = 0, stt = 0, stv = 0;
  for (auto [t, v] : rss) {
    const double x = t - rss.front().first;
    n += 1, st += x, sv += v, stt += x * x, stv += x * v;
  }
  const double slope = (n * stv - st * sv) / (n * stt - st * st);
  const double planted = shop.stats()["leaked_bytes"].get<double>() / 20.0;  // bytes per second
  EXPECT_GT(slope, 0.5 * planted) << "slope " << slope << " B/s, planted " << planted;
  EXPECT_LT(slope, 1.5 * planted) << "slope " << slope << " B/s, planted " << planted;

  // The run store: the same series, one tier-0 row per interval.
  auto db = run_process({"/usr/bin/python3", "-c",
                         "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute(\"SELECT count(*) FROM "
                         "monitor m JOIN monitor_series s USING(series_id) WHERE m.tier=0 AND s.source=? AND "
                         "s.metric='rss_bytes'\", (sys.argv[2],)).fetchone()[0])",
                         dir + "/run.db", "pid " + pid},
                        {}, 30s);
  ASSERT_EQ(db.exit_code, 0) << db.err;
  EXPECT_GE(std::stoi(db.out), 18) << db.out;

  // The console: the monitoring table, and the verdict on the target's RSS.
  EXPECT_NE(r.out.find("Target monitoring\n"), std::string::npos) << r.out;
  const auto row = r.out.find("target pid " + pid + " rss_bytes");
  ASSERT_NE(row, std::string::npos) << r.out;
  EXPECT_NE(r.out.substr(row, r.out.find('\n', row) - row).find("DEGRADING"), std::string::npos) << r.out;
}
