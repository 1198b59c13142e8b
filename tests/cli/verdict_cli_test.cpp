// The soak verdict and thresholds as a user meets them: malformed thresholds refused before the
// run (exit 2), failed thresholds listed on stderr with exit 3 (above failures' 1),
// --abort-on-threshold ending a run early, and the demo shop's --leak (latency climbing with the
// memory it leaks) judged DEGRADING or STEP CHANGE, while a steady run against a shop without it
// is neither.
// (The target's RSS needs --monitor-pid from the monitoring issue: not in this build yet.)
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli_support.hpp"

namespace fs = std::filesystem;
using namespace endure::test_support;
using namespace std::chrono_literals;

namespace {

const std::string files = ENDURE_SOURCE_DIR "/tests/cli/locustfiles/";
const std::string tight_loop = ENDURE_SOURCE_DIR "/bench/locustfiles/get_root.cpp";

// The rows of the final verdict table ("series  VERDICT  ..."), by series.
std::map<std::string, std::string> verdicts(const std::string& out) {
  std::map<std::string, std::string> rows;
  auto at = out.find("\nseries ");
  if (at == std::string::npos) return rows;
  for (const auto& line : split(out.substr(at + 1), '\n')) {
    if (line.empty() || line.rfind("Note:", 0) == 0 || line == "Thresholds") break;
    for (const char* v : {"DEGRADING", "IMPROVING", "STEP CHANGE", "STABLE", "INCONCLUSIVE"}) {
      auto pos = line.find(std::string("  ") + v);
      if (pos == std::string::npos) continue;
      std::string name = line.substr(0, pos);
      while (!name.empty() && name.back() == ' ') name.pop_back();
      rows[name] = v;
      break;
    }
  }
  return rows;
}

}  // namespace

TEST(verdict_cli, malformed_thresholds_and_limits_are_refused_before_the_run) {
  std::string dir = temp_dir("verdict-bad");
  std::string ok = files + "refused.cpp";
  run_process({endure_bin, "-f", ok, "--list"}, {cache_env}, 120s);
  struct bad_case {
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::string expect;
  };
  for (const auto& c : std::vector<bad_case>{
           {{"--threshold", "p95<<500ms"},
            {},
            "invalid value 'p95<<500ms' for --threshold: expected a threshold such as"},
           {{"--threshold", "p95<1s", "--threshold", "speed>3"}, {}, "unknown metric 'speed'"},
           {{}, {"ENDURE_THRESHOLD=p95.slope<2ms"}, "(from environment)"},
           {{"--limit", "rss=much"}, {}, "invalid value 'rss=much' for --limit"},
           {{"--warmup", "later"}, {}, "invalid value 'later' for --warmup"},
       }) {
    std::vector<std::string> argv = {endure_bin, "-f", ok,      "--headless",
                                     "-t",       "1s", "--csv", dir + "/out"};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    std::vector<std::string> env = c.env;
    env.push_back(cache_env);
    auto r = run_process(argv, env, 60s, dir);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(r.err.rfind("endure: error: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line: " << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_FALSE(fs::exists(dir + "/out_stats.csv"));
  }
}

TEST(verdict_cli, a_failed_threshold_exits_3_above_failures_and_is_listed) {
  // Every request is refused: failures alone give exit 1; a failed threshold gives 3.
  std::string ok = files + "refused.cpp";
  auto r = run_process({endure_bin, "-f", ok, "--headless", "-u", "2", "-r", "10", "-t", "2s",
                        "--only-summary", "--threshold", "fail_ratio<0.5", "--threshold",
                        "failures>0", "--threshold", "p95.slope<1ms/h"},
                       {cache_env}, 60s);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  // A slope needs 10 windows: with 2 s there is nothing to estimate, and a threshold that cannot be
  // checked is not met.
  EXPECT_NE(r.err.find("endure: 2 thresholds failed:\n  fail_ratio<0.5: 100%\n  p95.slope<1ms/h: "),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.out.find("\nThresholds\n  FAILED  fail_ratio<0.5: 100%\n  passed  failures>0: "),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("Soak verdict: too short to judge"), std::string::npos) << r.out;

  auto passing =
      run_process({endure_bin, "-f", ok, "--headless", "-u", "1", "-t", "1s", "--only-summary",
                   "--threshold", "fail_ratio>0.5", "--exit-code-on-error", "0"},
                  {cache_env}, 60s);
  EXPECT_EQ(passing.exit_code, 0) << passing.err;
  EXPECT_NE(passing.out.find("  passed  fail_ratio>0.5: 100%"), std::string::npos) << passing.out;
}

TEST(verdict_cli, abort_on_threshold_stops_the_test_early) {
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  run_process({endure_bin, "-f", files + "steady.cpp", "--list"}, {cache_env}, 120s);
  const auto start = std::chrono::steady_clock::now();
  auto r = run_process(
      {endure_bin, "-f", files + "steady.cpp", "--host", shop.url(), "--headless", "-u", "2", "-r",
       "10", "-t", "60s", "--only-summary", "--threshold", "p50<1us", "--abort-on-threshold"},
      {cache_env}, 120s);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.exit_code, 3) << r.err;
  // Failures count live after 10 intervals (the settling time), then the test stops.
  EXPECT_LT(took, 30s);
  EXPECT_NE(r.err.find("[soak]: threshold FAILED  p50<1us: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[soak]: stopping the test (--abort-on-threshold)"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("Test stopped (threshold)"), std::string::npos) << r.err;
}

TEST(verdict_cli, the_leaking_shop_is_degrading_and_a_steady_one_is_not) {
  // --leak --leak-bytes 4096: every request leaks 4 KiB and adds 1 ms of latency per 16 MiB
  // leaked, i.e. per 4096 requests: a staircase that a tight loop of 10 users climbs by a step
  // within a second at first (and more slowly after it, as each request then takes longer). On
  // 30 s, ten steps: a STEP CHANGE or a DEGRADING trend, announced live once later looks
  // confirm it. Then a steady run against a shop without the leak.
  auto changed = [](const std::string& v) { return v == "DEGRADING" || v == "STEP CHANGE"; };
  demo_shop leaking({"--leak", "--leak-bytes", "4096"});
  ASSERT_FALSE(leaking.url().empty());
  std::string dir = temp_dir("verdict-leak");
  auto r = run_process({endure_bin, "-f", tight_loop, "--host", leaking.url(), "--headless", "-u", "10",
                        "-r", "10", "-t", "30s", "--threads", "1", "--only-summary", "--json-file",
                        dir + "/run.json", "--html", dir + "/run.html"},
                       {cache_env}, 180s);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto rows = verdicts(r.out);
  EXPECT_TRUE(changed(rows["Aggregated p50"])) << r.out;
  EXPECT_TRUE(changed(rows["GET / p50"])) << r.out;
  // Seen while the test runs: only the live looks log verdicts (the last one may come a moment
  // after the "Test stopped" line).
  bool announced = false;
  for (const char* q : {"p50", "p95", "p99"})
    for (const char* v : {"DEGRADING", "STEP CHANGE"})
      announced = announced || r.err.find(std::string("[soak]: GET / ") + q + " is " + v + ": ") !=
                                   std::string::npos;
  EXPECT_TRUE(announced) << r.err << r.out.substr(std::min(r.out.size(), r.out.find("Soak verdict")));
  // The same verdict in the JSON (per entry) and the HTML report.
  auto j = nlohmann::json::parse(read_file(dir + "/run.json"));
  ASSERT_TRUE(j.is_array());
  bool in_json = false;
  for (const auto& row : j[0]["soak_verdict"])
    in_json = in_json || (row["series"] == "GET / p50" && changed(row["verdict"].get<std::string>()));
  EXPECT_TRUE(in_json) << j.dump(1);
  EXPECT_NE(read_file(dir + "/run.html").find("<h2>Soak verdict</h2>"), std::string::npos);

  // A light steady load on a shop without the leak (20 ms per request): its median neither
  // degrades nor steps, nor do its failures. (Its tails and throughput are left out: on a CI
  // machine shared with other tests they measure the machine, which really does change.)
  demo_shop steady({"--latency-ms", "20"});
  ASSERT_FALSE(steady.url().empty());
  auto s = run_process({endure_bin, "-f", files + "steady.cpp", "--host", steady.url(), "--headless", "-u",
                        "10", "-r", "10", "-t", "15s", "--only-summary"},
                       {cache_env}, 180s);
  EXPECT_EQ(s.exit_code, 0) << s.err;
  auto steady_rows = verdicts(s.out);
  for (const char* series : {"Aggregated p50", "GET / p50", "Aggregated fail ratio", "GET / fail ratio"}) {
    ASSERT_TRUE(steady_rows.count(series)) << series << "\n" << s.out;
    EXPECT_FALSE(changed(steady_rows[series])) << series << ": " << steady_rows[series] << "\n" << s.out;
  }
}
