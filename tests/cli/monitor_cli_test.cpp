// Target monitoring as a user meets it: bad --monitor-* values refused before
// the run (exit 2, one line), and a run against the demo shop leaking memory
// with --monitor-pid on the shop: its RSS in PREFIX_monitor.csv every interval,
// in the console's monitoring table and judged DEGRADING by the soak verdict at
// about the planted rate, while an exporter that does not answer costs one
// warning and nothing else.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "cli_support.hpp"

namespace fs = std::filesystem;
using namespace endure::test_support;
using namespace std::chrono_literals;

namespace {

const std::string files = ENDURE_SOURCE_DIR "/tests/cli/locustfiles/";

} // namespace

TEST(monitor_cli, bad_monitor_values_are_refused_before_the_run) {
  std::string dir = temp_dir("monitor-bad");
  const std::string lf = files + "refused.cpp";
  run_process({endure_bin, "-f", lf, "--list"}, {cache_env}, 120s);
  struct bad_case {
    std::vector<std::string> args;
    std::string expect;
  };
  for (const auto &c : std::vector<bad_case>{
           {{"--monitor-pid", "abc"},
            "invalid value 'abc' for --monitor-pid: expected a process id"},
           {{"--monitor-pid", "4194000"},
            "invalid value '4194000' for --monitor-pid: no process 4194000 is "
            "running"},
           {{"--monitor-process", "no-such-process-xyz"},
            "invalid value 'no-such-process-xyz' for --monitor-process: no "
            "process named no-such-process-xyz is running"},
           {{"--monitor-disk", "/no/such/dir"},
            "invalid value '/no/such/dir' for --monitor-disk: /no/such/dir: No "
            "such file"},
           {{"--monitor-node-exporter", "db1:9100"},
            "invalid value 'db1:9100' for --monitor-node-exporter: expected a "
            "URL"},
           {{"--monitor-query", "sum(up)"},
            "invalid value 'sum(up)' for --monitor-query: expected "
            "NAME=PROMQL"},
           {{"--monitor-query", "up=up"},
            "--monitor-query needs --monitor-prometheus URL"},
           {{"--monitor-prometheus", "http://127.0.0.1:9"},
            "--monitor-prometheus needs at least one --monitor-query"},
       }) {
    std::vector<std::string> argv = {endure_bin, "-f", lf,      "--headless",
                                     "-t",       "1s", "--csv", dir + "/out"};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    auto r = run_process(argv, {cache_env}, 60s, dir);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(r.err.rfind("endure: error: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1)
        << "one line: " << r.err;
    EXPECT_FALSE(fs::exists(dir + "/out_stats.csv"));
  }
}

TEST(monitor_cli, the_leaking_shops_rss_is_sampled_shown_and_judged_degrading) {
  // Two users, each GET / every 20 ms: ~100 requests/s, each leaking 16 KiB in
  // the shop, ~1.6 MB/s.
  demo_shop shop({"--leak-kb-per-request", "16", "--fd-leak-every", "50"});
  ASSERT_FALSE(shop.url().empty());
  const std::string dir = temp_dir("monitor-leak");
  run_process({endure_bin, "-f", files + "steady.cpp", "--list"}, {cache_env},
              120s);
  const std::string pid = std::to_string(shop.pid());
  auto r = run_process({endure_bin,
                        "-f",
                        files + "steady.cpp",
                        "--host",
                        shop.url(),
                        "--headless",
                        "-u",
                        "2",
                        "-r",
                        "10",
                        "-t",
                        "20s",
                        "--only-summary",
                        "--csv",
                        dir + "/run",
                        "--monitor-pid",
                        pid,
                        "--monitor-disk",
                        dir,
                        "--monitor-node-exporter",
                        "http://127.0.0.1:1/metrics",
                        "--store",
                        dir + "/run.db"},
                       {cache_env}, 120s);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // The exporter that never answers: one warning, the run unharmed.
  const std::string warn = "[monitor]: http://127.0.0.1:1/metrics: ";
  const auto first = r.err.find(warn);
  EXPECT_NE(first, std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(warn, first + 1), std::string::npos)
      << "warned once: " << r.err;
  EXPECT_NE(r.out.find("http://127.0.0.1:1/metrics: "), std::string::npos)
      << "counted in the summary: " << r.out;

  // PREFIX_monitor.csv: the shop's RSS every interval, growing.
  const auto csv = split(read_file(dir + "/run_monitor.csv"), '\n');
  ASSERT_FALSE(csv.empty());
  EXPECT_EQ(csv[0].substr(0, 29), "Timestamp,Source,Metric,Value");
  std::vector<std::pair<double, double>> rss;
  std::map<std::string, int> metrics;
  for (size_t i = 1; i < csv.size(); ++i) {
    auto f = split(csv[i], ',');
    if (f.size() != 4)
      continue;
    metrics[f[1] + " " + f[2]]++;
    if (f[1] == "pid " + pid && f[2] == "rss_bytes")
      rss.emplace_back(std::stod(f[0]), std::stod(f[3]));
  }
  ASSERT_GE(rss.size(), 18u) << read_file(dir + "/run_monitor.csv");
  for (const char *m : {"threads", "fds", "cpu_percent"})
    EXPECT_GE(metrics["pid " + pid + " " + m], 17) << m;
  EXPECT_GE(metrics["disk " + dir + " disk_free_bytes"], 18);
  // Least-squares slope of the CSV's RSS: the leak the shop counted, per second
  // of the run.
  double n = 0, st = 0, sv = 0, stt = 0, stv = 0;
  for (auto [t, v] : rss) {
    const double x = t - rss.front().first;
    n += 1, st += x, sv += v, stt += x * x, stv += x * v;
  }
  const double slope = (n * stv - st * sv) / (n * stt - st * st);
  const double planted =
      shop.stats()["leaked_bytes"].get<double>() / 20.0; // bytes per second
  EXPECT_GT(slope, 0.5 * planted)
      << "slope " << slope << " B/s, planted " << planted;
  EXPECT_LT(slope, 1.5 * planted)
      << "slope " << slope << " B/s, planted " << planted;

  // Open files: the shop's fds grow by the descriptors it says it leaked.
  std::vector<double> fds;
  for (size_t i = 1; i < csv.size(); ++i) {
    auto f = split(csv[i], ',');
    if (f.size() == 4 && f[1] == "pid " + pid && f[2] == "fds") fds.push_back(std::stod(f[3]));
  }
  ASSERT_GE(fds.size(), 18u);
  const double leaked_fds = shop.stats()["leaked_fds"].get<double>();
  EXPECT_GT(leaked_fds, 10);
  EXPECT_GE(fds.back() - fds.front(), 0.7 * leaked_fds) << fds.front() << " -> " << fds.back();
  EXPECT_LE(fds.back() - fds.front(), leaked_fds + 10) << fds.front() << " -> " << fds.back();

  // The run store: the same series, one tier-0 row per interval.
  auto db =
      run_process({"/usr/bin/python3", "-c",
                   "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); "
                   "print(c.execute(\"SELECT count(*) FROM "
                   "monitor m JOIN monitor_series s USING(series_id) WHERE "
                   "m.tier=0 AND s.source=? AND "
                   "s.metric='rss_bytes'\", (sys.argv[2],)).fetchone()[0])",
                   dir + "/run.db", "pid " + pid},
                  {}, 30s);
  ASSERT_EQ(db.exit_code, 0) << db.err;
  EXPECT_GE(std::stoi(db.out), 18) << db.out;

  // The console: the monitoring table, and the verdict on the target's RSS.
  EXPECT_NE(r.out.find("Target monitoring\n"), std::string::npos) << r.out;
  const auto row = r.out.find("target pid " + pid + " rss_bytes");
  ASSERT_NE(row, std::string::npos) << r.out;
  EXPECT_NE(r.out.substr(row, r.out.find('\n', row) - row).find("DEGRADING"),
            std::string::npos)
      << r.out;
}

namespace {


// Polls url with curl until it answers 200 or the deadline passes.
bool wait_ready(const std::string &url, std::chrono::milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    auto r = run_process(
        {"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", url}, {}, 5s);
    if (r.out == "200")
      return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

} // namespace

// docs/monitoring.md's node_exporter and Prometheus commands against Debian's
// servers, started here on loopback: host figures scraped every interval, a
// PromQL query answered each interval.
TEST(monitor_cli,
     node_exporter_and_prometheus_queries_against_the_real_servers) {
  if (!fs::exists("/usr/bin/prometheus-node-exporter") ||
      !fs::exists("/usr/bin/prometheus"))
    GTEST_SKIP() << "prometheus-node-exporter and prometheus are not installed "
                    "(scripts/install-deps.sh)";
  const std::string dir = temp_dir("monitor-prom");
  const int ne_port = free_port();
  const std::string ne =
      "http://127.0.0.1:" + std::to_string(ne_port) + "/metrics";
  child_process exporter(
      {"/usr/bin/prometheus-node-exporter",
       "--web.listen-address=127.0.0.1:" + std::to_string(ne_port)});
  ASSERT_TRUE(wait_ready(ne, 10s)) << "node_exporter did not start";
  const int prom_port = free_port();
  const std::string prom = "http://127.0.0.1:" + std::to_string(prom_port);
  {
    std::ofstream cfg(dir + "/prometheus.yml");
    cfg << "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: "
           "node\n    static_configs:\n"
           "      - targets: ['127.0.0.1:"
        << ne_port << "']\n";
  }
  child_process prometheus(
      {"/usr/bin/prometheus", "--config.file=" + dir + "/prometheus.yml",
       "--storage.tsdb.path=" + dir + "/tsdb",
       "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)});
  ASSERT_TRUE(wait_ready(prom + "/-/ready", 20s)) << "prometheus did not start";
  // Until its first scrape, the query has no series (endure would say so,
  // once): wait for it.
  bool scraped = false;
  for (auto end = std::chrono::steady_clock::now() + 20s;
       !scraped && std::chrono::steady_clock::now() < end;) {
    auto q =
        run_process({"curl", "-s", prom + "/api/v1/query?query=up"}, {}, 5s);
    scraped = q.out.find("\"1\"]") != std::string::npos;
    if (!scraped)
      std::this_thread::sleep_for(200ms);
  }
  ASSERT_TRUE(scraped) << "prometheus never scraped the exporter";

  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  run_process({endure_bin, "-f", files + "steady.cpp", "--list"}, {cache_env},
              120s);
  auto r = run_process({endure_bin,
                        "-f",
                        files + "steady.cpp",
                        "--host",
                        shop.url(),
                        "--headless",
                        "-u",
                        "1",
                        "-t",
                        "6s",
                        "--only-summary",
                        "--no-store",
                        "--csv",
                        dir + "/run",
                        "--monitor-node-exporter",
                        ne,
                        "--monitor-prometheus",
                        prom,
                        "--monitor-query",
                        "node_up=sum(up{job=\"node\"})",
                        "--monitor-query",
                        "broken=sum(up"},
                       {cache_env}, 120s);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, std::vector<double>> by;
  for (const auto &line : split(read_file(dir + "/run_monitor.csv"), '\n')) {
    auto f = split(line, ',');
    if (f.size() == 4 && f[0] != "Timestamp")
      by[f[1] + "|" + f[2]].push_back(std::stod(f[3]));
  }
  // Host figures, every interval (rates from the second scrape on).
  ASSERT_GE(by[ne + "|memory_available_bytes"].size(), 5u)
      << read_file(dir + "/run_monitor.csv");
  EXPECT_GT(by[ne + "|memory_available_bytes"].back(), 1e6);
  EXPECT_GE(by[ne + "|load1"].size(), 5u);
  ASSERT_GE(by[ne + "|cpu_percent"].size(), 4u);
  for (double c : by[ne + "|cpu_percent"])
    EXPECT_TRUE(c >= 0 && c <= 100) << c;
  bool any_mount = false, any_net = false;
  for (const auto &[k, v] : by) {
    any_mount = any_mount || (k.rfind(ne + " mount ", 0) == 0 &&
                              k.ends_with("|disk_free_bytes") && v.back() > 0);
    any_net = any_net || (k.rfind(ne + " net ", 0) == 0 &&
                          k.ends_with("|receive_bytes_per_s"));
  }
  EXPECT_TRUE(any_mount);
  EXPECT_TRUE(any_net);
  // The query: Prometheus scrapes the exporter every second, so up is 1 once it
  // has.
  ASSERT_FALSE(by[prom + "|node_up"].empty()) << r.err;
  EXPECT_GE(by[prom + "|node_up"].size(), 5u);
  EXPECT_EQ(by[prom + "|node_up"].back(), 1);
  // The malformed query: one warning, Prometheus's reason, the run unharmed.
  const std::string warn =
      "[monitor]: " + prom + " query broken: the query failed: ";
  const auto at = r.err.find(warn);
  EXPECT_NE(at, std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(warn, at + 1), std::string::npos) << r.err;
  EXPECT_EQ(by.count(prom + "|broken"), 0u);
}

// docs/exports.md's /metrics command: Debian's Prometheus scrapes a headless
// run every second on loopback; the last scraped counters equal the run's
// totals in PREFIX_stats.csv exactly, and histogram_quantile(0.95) lands in the
// bucket that holds endure's own p95.
TEST(monitor_cli, prometheus_scrapes_metrics_port_and_agrees_with_the_run) {
  if (!fs::exists("/usr/bin/prometheus"))
    GTEST_SKIP() << "prometheus is not installed (scripts/install-deps.sh)";
  const std::string dir = temp_dir("metrics-prom");
  const int metrics_port = free_port();
  const int prom_port = free_port();
  const std::string prom = "http://127.0.0.1:" + std::to_string(prom_port);
  {
    std::ofstream cfg(dir + "/prometheus.yml");
    cfg << "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: "
           "endure\n    static_configs:\n"
           "      - targets: ['127.0.0.1:"
        << metrics_port << "']\n";
  }
  child_process prometheus(
      {"/usr/bin/prometheus", "--config.file=" + dir + "/prometheus.yml",
       "--storage.tsdb.path=" + dir + "/tsdb",
       "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)});
  ASSERT_TRUE(wait_ready(prom + "/-/ready", 20s)) << "prometheus did not start";
  demo_shop shop({"--latency-ms", "1", "--latency-jitter-ms", "4"});
  ASSERT_FALSE(shop.url().empty());
  run_process({endure_bin, "-f", files + "steady.cpp", "--list"}, {cache_env},
              120s);
  const std::string buckets =
      "0.0005,0.001,0.002,0.003,0.004,0.005,0.0075,0.01,0.025,0.1";
  auto r = run_process({endure_bin,
                        "-f",
                        files + "steady.cpp",
                        "--host",
                        shop.url(),
                        "--headless",
                        "-u",
                        "3",
                        "-t",
                        "6s",
                        "--only-summary",
                        "--no-store",
                        "--csv",
                        dir + "/run",
                        "--metrics-port",
                        std::to_string(metrics_port),
                        "--metrics-host",
                        "127.0.0.1",
                        "--metrics-buckets",
                        buckets},
                       {cache_env}, 120s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("no scrape read the final values"), std::string::npos)
      << r.err;
  auto rows = read_stats_csv(dir + "/run_stats.csv");
  const uint64_t total = count_of(rows, "GET /");
  ASSERT_GT(total, 100u);
  auto query = [&](const std::string &q) {
    auto a = run_process({"curl", "-s", "--get", "--data-urlencode",
                          "query=" + q, prom + "/api/v1/query"},
                         {}, 10s);
    auto j = nlohmann::json::parse(a.out, nullptr, false);
    if (j.is_discarded() || j["data"]["result"].empty())
      return std::nan("");
    return std::stod(j["data"]["result"][0]["value"][1].get<std::string>());
  };
  EXPECT_EQ(query("max_over_time(endure_requests_total{method=\"GET\",name=\"/"
                  "\"}[5m])"),
            static_cast<double>(total));
  EXPECT_EQ(query("max_over_time(endure_request_failures_total{method=\"GET\","
                  "name=\"/\"}[5m])"),
            0.0);
  EXPECT_EQ(query("max_over_time(endure_request_duration_seconds_count{name=\"/"
                  "\"}[5m])"),
            static_cast<double>(total));
  // The 95th percentile: Prometheus interpolates inside a bucket; endure's p95
  // (ms, from the CSV) must be in the same bucket.
  const double p95_ms = std::stod(rows["GET /"]["95%"]);
  const double prom_p95_s = query(
      "histogram_quantile(0.95, "
      "max_over_time(endure_request_duration_seconds_bucket{name=\"/\"}[5m]))");
  ASSERT_FALSE(std::isnan(prom_p95_s));
  std::vector<double> bounds = {0};
  for (const auto &b : split(buckets, ','))
    bounds.push_back(std::stod(b));
  size_t bucket = 0;
  while (bucket + 1 < bounds.size() && bounds[bucket + 1] < p95_ms / 1000)
    ++bucket;
  EXPECT_GE(prom_p95_s, bounds[bucket]) << "endure p95 " << p95_ms << " ms";
  EXPECT_LE(prom_p95_s, bounds[std::min(bucket + 1, bounds.size() - 1)])
      << "endure p95 " << p95_ms << " ms";
  // Every query of the Prometheus dashboard (deploy/grafana) is valid PromQL
  // for this Prometheus.
  std::ifstream in(ENDURE_SOURCE_DIR
                   "/deploy/grafana/dashboards/endure-prometheus.json");
  auto d = nlohmann::json::parse(in);
  for (const auto &panel : d["panels"])
    for (const auto &t : panel["targets"]) {
      auto a = run_process({"curl", "-s", "--get", "--data-urlencode",
                            "query=" + t["expr"].get<std::string>(),
                            prom + "/api/v1/query"},
                           {}, 10s);
      auto j = nlohmann::json::parse(a.out, nullptr, false);
      EXPECT_EQ(j.value("status", ""), "success") << t["expr"] << "\n" << a.out;
    }
}

// docs/exports.md's InfluxDB command against Debian's InfluxDB 1.6 started on
// loopback: after the run, its query API returns the run's request total
// exactly (sum of the per-interval counts), the failures, and the monitor
// samples beside them. Then a server that is not there: one warning, the points
// counted as dropped, the run unharmed.
TEST(monitor_cli, influxdb_receives_the_runs_exact_totals) {
  if (!fs::exists("/usr/bin/influxd"))
    GTEST_SKIP() << "influxdb is not installed (scripts/install-deps.sh)";
  const std::string dir = temp_dir("influx");
  const int http_port = free_port(), rpc_port = free_port();
  {
    std::ofstream cfg(dir + "/influxdb.conf");
    cfg << "reporting-disabled = true\nbind-address = \"127.0.0.1:" << rpc_port
        << "\"\n[meta]\n  dir = \"" << dir << "/meta\"\n[data]\n  dir = \""
        << dir << "/data\"\n  wal-dir = \"" << dir << "/wal\"\n[http]\n"
        << "  bind-address = \"127.0.0.1:" << http_port
        << "\"\n  log-enabled = false\n";
  }
  child_process influxd(
      {"/usr/bin/influxd", "-config", dir + "/influxdb.conf"});
  const std::string influx = "http://127.0.0.1:" + std::to_string(http_port);
  bool up = false;
  for (auto end = std::chrono::steady_clock::now() + 20s;
       !up && std::chrono::steady_clock::now() < end;) {
    auto p = run_process({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                          influx + "/ping"},
                         {}, 5s);
    up = p.out == "204";
    if (!up)
      std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(up) << "influxd did not start";
  auto query = [&](const std::string &q) {
    auto a = run_process({"curl", "-s", "-XPOST", influx + "/query",
                          "--data-urlencode", "db=endure", "--data-urlencode",
                          "q=" + q},
                         {}, 10s);
    return nlohmann::json::parse(a.out, nullptr, false);
  };
  query("CREATE DATABASE endure");

  demo_shop shop({"--error-rate", "0.1"});
  ASSERT_FALSE(shop.url().empty());
  run_process({endure_bin, "-f", files + "steady.cpp", "--list"}, {cache_env},
              120s);
  auto r = run_process({endure_bin,
                        "-f",
                        files + "steady.cpp",
                        "--host",
                        shop.url(),
                        "--headless",
                        "-u",
                        "3",
                        "-t",
                        "5s",
                        "--only-summary",
                        "--no-store",
                        "--csv",
                        dir + "/run",
                        "--exit-code-on-error",
                        "0",
                        "--influxdb",
                        influx + "/endure",
                        "--monitor-pid",
                        std::to_string(shop.pid())},
                       {cache_env}, 120s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("[influxdb]: InfluxDB " + influx + "/endure: "),
            std::string::npos)
      << r.err;
  auto rows = read_stats_csv(dir + "/run_stats.csv");
  const uint64_t total = count_of(rows, "GET /"),
                 failures = count_of(rows, "GET /", "Failure Count");
  ASSERT_GT(total, 100u);
  ASSERT_GT(failures, 0u);
  auto value = [](const nlohmann::json &j) -> double {
    if (!j.is_object() || !j.contains("results") || !j["results"].is_array() ||
        j["results"].empty()) {
      ADD_FAILURE() << "InfluxDB answered " << j.dump();
      return -1;
    }
    const auto &s = j["results"][0]["series"];
    return s.is_array() && !s.empty() ? s[0]["values"][0][1].get<double>() : -1;
  };
  EXPECT_EQ(value(query("SELECT sum(requests) FROM endure_requests WHERE "
                        "method='GET' AND \"name\"='/'")),
            static_cast<double>(total));
  EXPECT_EQ(value(query("SELECT sum(failures) FROM endure_requests")),
            static_cast<double>(failures));
  EXPECT_EQ(value(query("SELECT sum(failures) FROM endure_errors")),
            static_cast<double>(failures));
  EXPECT_GT(
      value(query(
          "SELECT last(value) FROM endure_monitor WHERE metric='rss_bytes'")),
      1e6);
  EXPECT_GT(
      value(query(
          "SELECT max(\"users\") FROM endure_users WHERE \"class\"='(all)'")),
      0);
  // Every query of the InfluxDB dashboard (deploy/grafana) runs against this
  // data and finds some.
  {
    std::ifstream in(ENDURE_SOURCE_DIR
                     "/deploy/grafana/dashboards/endure-influxdb.json");
    auto d = nlohmann::json::parse(in);
    for (const auto &panel : d["panels"])
      for (const auto &t : panel["targets"]) {
        std::string q = t["query"];
        for (auto [from, to] :
             std::initializer_list<std::pair<std::string, std::string>>{
                 {"$timeFilter", "time > now() - 1h"}, {"$__interval", "1s"}})
          for (auto at = q.find(from); at != std::string::npos;
               at = q.find(from))
            q.replace(at, from.size(), to);
        auto j = query(q);
        EXPECT_FALSE(j.contains("error") || j["results"][0].contains("error"))
            << q << "\n"
            << j.dump();
        if (panel["title"] !=
            "Target disk free") { // no --monitor-disk in this run
          EXPECT_TRUE(j["results"][0].contains("series")) << "no data: " << q;
        }
      }
  }

  // Nobody at that address: warned once, counted, and the run ends normally
  // within its time.
  const int closed = free_port();
  const auto t0 = std::chrono::steady_clock::now();
  auto down =
      run_process({endure_bin, "-f", files + "steady.cpp", "--host", shop.url(),
                   "--headless", "-u", "1", "-t", "3s", "--only-summary",
                   "--no-store", "--exit-code-on-error", "0", "--influxdb",
                   "http://127.0.0.1:" + std::to_string(closed) + "/endure"},
                  {cache_env}, 120s);
  EXPECT_EQ(down.exit_code, 0) << down.err;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 30s);
  const std::string warn =
      "[influxdb]: http://127.0.0.1:" + std::to_string(closed) + "/endure: ";
  const auto at = down.err.find(warn);
  EXPECT_NE(at, std::string::npos) << down.err;
  EXPECT_EQ(down.err.find(warn, at + 1), std::string::npos) << down.err;
  EXPECT_NE(down.err.find(" dropped (queue full or InfluxDB down at the end)"),
            std::string::npos)
      << down.err;
}
