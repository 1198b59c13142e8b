// The run summary (--summary-json) and `endure report` rebuilding target monitoring, as a user
// meets them: a run against the leaking demo shop with --monitor-pid, thresholds and
// --abort-on-threshold writes a summary whose every field has its type and whose values equal
// what the run printed and wrote; `endure report` on its store prints the same monitoring table,
// writes the same PREFIX_monitor.csv and a summary with the same figures; a run stopped by SIGTERM
// whose --json-file could not be written still leaves its summary (exit code 4 and why); a path
// that cannot be written is refused before the run.
#include <signal.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli_support.hpp"

namespace fs = std::filesystem;
using namespace endure::test_support;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const std::string files = ENDURE_SOURCE_DIR "/tests/cli/locustfiles/";

json read_json(const std::string& path) {
  auto text = read_file(path);
  auto j = json::parse(text, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << path << ": " << text;
  return j;
}

// The "Target monitoring" table's lines of a console output (title to the blank line).
std::vector<std::string> monitor_table(const std::string& out) {
  std::vector<std::string> lines;
  auto at = out.find("Target monitoring\n");
  if (at == std::string::npos) return lines;
  for (const auto& l : split(out.substr(at), '\n')) {
    if (l.empty()) break;
    lines.push_back(l);
  }
  return lines;
}

enum class kind { string, number, integer, boolean, object, array, null_or_number, null_or_string,
                  null_or_object, null_or_boolean };

void expect_field(const json& j, const std::string& key, kind k, const std::string& where) {
  ASSERT_TRUE(j.is_object()) << where;
  ASSERT_TRUE(j.contains(key)) << where << " has no '" << key << "': " << j.dump();
  const json& v = j[key];
  bool ok = false;
  switch (k) {
    case kind::string: ok = v.is_string(); break;
    case kind::number: ok = v.is_number(); break;
    case kind::integer: ok = v.is_number_integer(); break;
    case kind::boolean: ok = v.is_boolean(); break;
    case kind::object: ok = v.is_object(); break;
    case kind::array: ok = v.is_array(); break;
    case kind::null_or_number: ok = v.is_null() || v.is_number(); break;
    case kind::null_or_string: ok = v.is_null() || v.is_string(); break;
    case kind::null_or_object: ok = v.is_null() || v.is_object(); break;
    case kind::null_or_boolean: ok = v.is_null() || v.is_boolean(); break;
  }
  EXPECT_TRUE(ok) << where << "." << key << " has the wrong type: " << v.dump();
}

// Every field of docs/outputs.md's "Run summary JSON", with its type.
void expect_schema(const json& s, bool has_monitor) {
  expect_field(s, "schema", kind::string, "summary");
  EXPECT_EQ(s["schema"], "endure-run-summary/1");
  expect_field(s, "endure_version", kind::string, "summary");
  expect_field(s, "source", kind::string, "summary");
  expect_field(s, "run", kind::object, "summary");
  const json& run = s["run"];
  for (const char* k : {"locustfile", "host", "end_reason", "start_iso"}) expect_field(run, k, kind::string, "run");
  for (const char* k : {"run_id", "store", "end_iso", "exit_code_name"}) expect_field(run, k, kind::null_or_string, "run");
  for (const char* k : {"start_time"}) expect_field(run, k, kind::number, "run");
  for (const char* k : {"end_time", "duration_s", "exit_code", "peak_users", "users_at_end"})
    expect_field(run, k, kind::null_or_number, "run");
  expect_field(run, "ended", kind::boolean, "run");
  expect_field(run, "exit_reasons", kind::array, "run");

  expect_field(s, "totals", kind::object, "summary");
  const json& t = s["totals"];
  expect_field(t, "window", kind::string, "totals");
  expect_field(t, "aggregated", kind::object, "totals");
  for (const char* k : {"entries", "failures", "exceptions", "classes"}) expect_field(t, k, kind::array, "totals");
  expect_field(t, "dropped_arrivals", kind::integer, "totals");
  std::vector<json> entries = {t["aggregated"]};
  for (const auto& e : t["entries"]) entries.push_back(e);
  for (const auto& e : entries) {
    for (const char* k : {"method", "name"}) expect_field(e, k, kind::string, "entry");
    for (const char* k : {"requests", "failures", "total_content_bytes"}) expect_field(e, k, kind::integer, "entry");
    for (const char* k : {"fail_ratio", "rps", "fail_per_s", "avg_content_bytes"}) expect_field(e, k, kind::number, "entry");
    for (const char* k : {"avg_ms", "min_ms", "max_ms", "median_ms", "first_request_time", "last_request_time"})
      expect_field(e, k, kind::null_or_number, "entry");
    expect_field(e, "percentiles_ms", kind::null_or_object, "entry");
    expect_field(e, "intended_percentiles_ms", kind::null_or_object, "entry");
    if (e["percentiles_ms"].is_object()) {
      EXPECT_EQ(e["percentiles_ms"].size(), 11u);
      for (const char* p : {"50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%", "99.9%", "99.99%", "100%"})
        expect_field(e["percentiles_ms"], p, kind::number, "percentiles_ms");
    }
  }
  for (const auto& f : t["failures"]) {
    for (const char* k : {"method", "name", "error"}) expect_field(f, k, kind::string, "failure");
    expect_field(f, "occurrences", kind::integer, "failure");
    for (const char* k : {"first_seen", "last_seen"}) expect_field(f, k, kind::null_or_number, "failure");
  }

  expect_field(s, "thresholds", kind::array, "summary");
  for (const auto& th : s["thresholds"]) {
    for (const char* k : {"threshold", "status", "unit", "where", "note"}) expect_field(th, k, kind::string, "threshold");
    expect_field(th, "passed", kind::boolean, "threshold");
    expect_field(th, "value", kind::null_or_number, "threshold");
    for (const char* k : {"failed_live", "aborted_run"}) expect_field(th, k, kind::null_or_boolean, "threshold");
  }

  expect_field(s, "verdict", kind::object, "summary");
  const json& v = s["verdict"];
  for (const char* k : {"start_time", "warmup_s", "analysed_s", "window_s", "generator_saturated_share"})
    expect_field(v, k, kind::number, "verdict");
  expect_field(v, "warmup_auto", kind::boolean, "verdict");
  expect_field(v, "windows", kind::integer, "verdict");
  expect_field(v, "notes", kind::array, "verdict");
  expect_field(v, "counts", kind::object, "verdict");
  expect_field(v, "series", kind::array, "verdict");
  size_t counted = 0;
  for (const char* c : {"STABLE", "DEGRADING", "IMPROVING", "STEP CHANGE", "INCONCLUSIVE"}) {
    expect_field(v["counts"], c, kind::integer, "verdict.counts");
    counted += v["counts"].value(c, 0u);
  }
  EXPECT_EQ(counted, v["series"].size());
  for (const auto& r : v["series"]) {
    for (const char* k : {"series", "key", "kind", "unit", "verdict", "reason", "note"})
      expect_field(r, k, kind::string, "verdict row");
    for (const char* k : {"from_s", "to_s", "seasonal_period_s"}) expect_field(r, k, kind::number, "verdict row");
    expect_field(r, "windows", kind::integer, "verdict row");
    for (const char* k : {"slope_per_hour", "p_value", "autocorrelation_factor", "level_start", "level_end",
                          "change", "relative_change", "practical_change"})
      expect_field(r, k, kind::null_or_number, "verdict row");
    expect_field(r, "slope_ci_per_hour", kind::array, "verdict row");
    EXPECT_EQ(r["slope_ci_per_hour"].size(), 2u);
    expect_field(r, "step", kind::null_or_object, "verdict row");
    expect_field(r, "limit", kind::null_or_object, "verdict row");
  }

  if (!has_monitor) {
    EXPECT_TRUE(s["monitor"].is_null());
    return;
  }
  expect_field(s, "monitor", kind::object, "summary");
  expect_field(s["monitor"], "series", kind::array, "monitor");
  expect_field(s["monitor"], "problems", kind::array, "monitor");
  for (const auto& m : s["monitor"]["series"]) {
    for (const char* k : {"source", "metric"}) expect_field(m, k, kind::string, "monitor series");
    expect_field(m, "samples", kind::integer, "monitor series");
    for (const char* k : {"first", "last", "min", "max", "slope_per_hour"})
      expect_field(m, k, kind::null_or_number, "monitor series");
  }
}

const json* find_monitor(const json& s, const std::string& source, const std::string& metric) {
  for (const auto& m : s["monitor"]["series"])
    if (m["source"] == source && m["metric"] == metric) return &m;
  return nullptr;
}

}  // namespace

TEST(summary_cli, a_monitored_run_writes_its_summary_and_endure_report_rebuilds_it_from_the_store) {
  // Two users, GET / every 20 ms: ~100 requests/s, each leaking 16 KiB in the shop.
  demo_shop shop({"--leak-kb-per-request", "16"});
  ASSERT_FALSE(shop.url().empty());
  const std::string dir = temp_dir("summary-run");
  run_process({endure_bin, "-f", files + "steady.cpp", "--list"}, {cache_env}, 120s);
  const std::string pid = std::to_string(shop.pid());
  // p50<1us fails after the 10 settling intervals and stops the test; fail_ratio<0.5 passes.
  auto r = run_process({endure_bin, "-f", files + "steady.cpp", "--host", shop.url(), "--headless", "-u", "2",
                        "-r", "10", "-t", "60s", "--only-summary", "--csv", dir + "/run", "--store",
                        dir + "/run.db", "--monitor-pid", pid, "--threshold", "p50<1us", "--threshold",
                        "fail_ratio<0.5", "--abort-on-threshold", "--summary-json", dir + "/summary.json"},
                       {cache_env}, 120s);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  const json s = read_json(dir + "/summary.json");
  expect_schema(s, true);
  if (HasFailure()) return;

  // How it ended: as the console and the log said.
  EXPECT_EQ(s["source"], "run");
  EXPECT_EQ(s["run"]["exit_code"], 3);
  EXPECT_EQ(s["run"]["exit_code_name"], "thresholds");
  EXPECT_EQ(s["run"]["end_reason"], "threshold");
  EXPECT_TRUE(s["run"]["ended"].get<bool>());
  EXPECT_EQ(s["run"]["store"], dir + "/run.db");
  EXPECT_EQ(s["run"]["host"], shop.url());
  EXPECT_EQ(s["run"]["peak_users"], 2);
  ASSERT_EQ(s["run"]["exit_reasons"].size(), 1u) << s["run"].dump();
  EXPECT_EQ(s["run"]["exit_reasons"][0].get<std::string>().rfind("threshold failed: p50<1us: ", 0), 0u);
  const double duration = s["run"]["duration_s"].get<double>();
  EXPECT_GT(duration, 9.0);
  EXPECT_LT(duration, 40.0) << "the abort stopped it before -t 60s";

  // Totals: equal to the final _stats.csv.
  auto rows = read_stats_csv(dir + "/run_stats.csv");
  const json& agg = s["totals"]["aggregated"];
  EXPECT_EQ(agg["name"], "Aggregated");
  EXPECT_EQ(std::to_string(agg["requests"].get<uint64_t>()), rows[" Aggregated"]["Request Count"]);
  EXPECT_EQ(std::to_string(agg["failures"].get<uint64_t>()), rows[" Aggregated"]["Failure Count"]);
  EXPECT_GT(agg["requests"].get<uint64_t>(), 500u);
  ASSERT_EQ(s["totals"]["entries"].size(), 1u);
  const json& index = s["totals"]["entries"][0];
  EXPECT_EQ(index["method"], "GET");
  EXPECT_EQ(index["name"], "/");
  EXPECT_EQ(index["requests"], agg["requests"]);
  EXPECT_DOUBLE_EQ(index["percentiles_ms"]["100%"].get<double>(), index["max_ms"].get<double>());
  EXPECT_LE(index["percentiles_ms"]["50%"].get<double>(), index["percentiles_ms"]["99%"].get<double>());
  EXPECT_TRUE(index["intended_percentiles_ms"].is_null()) << "no pacing: the same as percentiles_ms";
  EXPECT_EQ(s["totals"]["dropped_arrivals"], 0);
  EXPECT_TRUE(s["totals"]["failures"].empty());

  // Thresholds: the failed one failed live and stopped the run; the other passed.
  ASSERT_EQ(s["thresholds"].size(), 2u);
  EXPECT_EQ(s["thresholds"][0]["threshold"], "p50<1us");
  EXPECT_EQ(s["thresholds"][0]["status"], "failed");
  EXPECT_FALSE(s["thresholds"][0]["passed"].get<bool>());
  EXPECT_TRUE(s["thresholds"][0]["failed_live"].get<bool>());
  EXPECT_TRUE(s["thresholds"][0]["aborted_run"].get<bool>());
  EXPECT_GT(s["thresholds"][0]["value"].get<double>(), 0.001);
  EXPECT_EQ(s["thresholds"][0]["unit"], "ms");
  EXPECT_EQ(s["thresholds"][1]["threshold"], "fail_ratio<0.5");
  EXPECT_EQ(s["thresholds"][1]["status"], "passed");
  EXPECT_FALSE(s["thresholds"][1]["failed_live"].get<bool>());
  EXPECT_FALSE(s["thresholds"][1]["aborted_run"].get<bool>());
  EXPECT_EQ(s["thresholds"][1]["value"], 0.0);

  // The verdict: a row per series the console shows, with the console's verdict.
  const std::string rss_label = "target pid " + pid + " rss_bytes";
  bool rss_row = false;
  for (const auto& row : s["verdict"]["series"]) {
    const std::string label = row["series"];
    const auto at = r.out.find("\n" + label + "  ");
    if (at == std::string::npos) {
      // The console counts percentile series with too few requests per window in one line.
      EXPECT_EQ(row["verdict"], "INCONCLUSIVE") << label << " not in the console's table";
      EXPECT_NE(row["reason"].get<std::string>().find("requests"), std::string::npos) << row.dump();
      continue;
    }
    const auto line = r.out.substr(at + 1, r.out.find('\n', at + 1) - at - 1);
    EXPECT_NE(line.find("  " + row["verdict"].get<std::string>()), std::string::npos) << line;
    rss_row = rss_row || label == rss_label;
  }
  EXPECT_TRUE(rss_row) << rss_label;
  EXPECT_NEAR(s["verdict"]["start_time"].get<double>(), s["run"]["start_time"].get<double>(), 0.01);

  // Monitoring: the shop's RSS grew by about what it leaked.
  const json* rss = find_monitor(s, "pid " + pid, "rss_bytes");
  ASSERT_NE(rss, nullptr) << s["monitor"].dump();
  EXPECT_GE((*rss)["samples"].get<uint64_t>(), 9u);
  EXPECT_GT((*rss)["last"].get<double>(), (*rss)["first"].get<double>());
  EXPECT_EQ((*rss)["max"], (*rss)["last"]);
  EXPECT_GT((*rss)["slope_per_hour"].get<double>(), 0);
  for (const char* m : {"threads", "fds", "cpu_percent"}) EXPECT_NE(find_monitor(s, "pid " + pid, m), nullptr) << m;
  EXPECT_TRUE(s["monitor"]["problems"].empty());

  // `endure report` on the store: the same monitoring table and PREFIX_monitor.csv, and a
  // summary with the same figures.
  auto rep = run_process({endure_bin, "report", dir + "/run.db", "--csv", dir + "/rep", "--summary-json",
                          dir + "/rebuilt.json", "--html", dir + "/rep.html"},
                         {}, 60s);
  EXPECT_EQ(rep.exit_code, 0) << rep.err;
  const auto live_table = monitor_table(r.out);
  ASSERT_GE(live_table.size(), 5u) << r.out;
  EXPECT_EQ(monitor_table(rep.out), live_table) << rep.out;
  const std::string live_csv = read_file(dir + "/run_monitor.csv");
  EXPECT_GT(split(live_csv, '\n').size(), 40u);
  EXPECT_EQ(read_file(dir + "/rep_monitor.csv"), live_csv);
  const std::string html = read_file(dir + "/rep.html");
  EXPECT_NE(html.find("rss_bytes"), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos);

  const json b = read_json(dir + "/rebuilt.json");
  expect_schema(b, true);
  if (HasFailure()) return;
  EXPECT_EQ(b["source"], "store");
  EXPECT_EQ(b["run"]["exit_code"], 3);
  EXPECT_EQ(b["run"]["end_reason"], "threshold");
  EXPECT_FALSE(b["run"]["run_id"].is_null());
  EXPECT_EQ(b["totals"]["aggregated"]["requests"], agg["requests"]);
  EXPECT_EQ(b["totals"]["aggregated"]["percentiles_ms"], agg["percentiles_ms"]);
  EXPECT_TRUE(b["thresholds"].empty()) << "endure report judges only the thresholds it is given";
  ASSERT_EQ(b["monitor"]["series"].size(), s["monitor"]["series"].size());
  for (size_t i = 0; i < b["monitor"]["series"].size(); ++i) {
    const json& x = b["monitor"]["series"][i];
    const json& y = s["monitor"]["series"][i];
    for (const char* k : {"source", "metric", "samples", "first", "last", "min", "max"}) EXPECT_EQ(x[k], y[k]) << k;
    EXPECT_NEAR(x["slope_per_hour"].get<double>(), y["slope_per_hour"].get<double>(),
                1e-6 * std::max(1.0, std::abs(y["slope_per_hour"].get<double>())));
  }
}

TEST(summary_cli, a_run_stopped_by_sigterm_with_an_output_lost_still_writes_its_summary) {
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  const std::string dir = temp_dir("summary-sigterm");
  fs::create_directories(dir + "/gone");
  child_process p({endure_bin, "-f", source_dir + "/examples/locustfile.cpp", "--host", shop.url(), "--headless",
                   "-u", "5", "-r", "50", "-t", "1h", "--no-store", "--json-file", dir + "/gone/run.json",
                   "--summary-json", dir + "/summary.json"},
                  {cache_env});
  p.wait_for_stdout("Aggregated", 60s);
  fs::remove_all(dir + "/gone");  // --json-file cannot be written at the end
  std::this_thread::sleep_for(1s);
  p.signal(SIGTERM);
  auto r = p.wait(30s);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 4) << r.err;
  const json s = read_json(dir + "/summary.json");
  expect_schema(s, false);
  if (HasFailure()) return;
  EXPECT_EQ(s["run"]["exit_code"], 4);
  EXPECT_EQ(s["run"]["exit_code_name"], "outputs_incomplete");
  EXPECT_EQ(s["run"]["end_reason"], "signal");
  bool named = false;
  for (const auto& why : s["run"]["exit_reasons"])
    named = named || why.get<std::string>().find("gone/run.json") != std::string::npos;
  EXPECT_TRUE(named) << s["run"].dump();
  EXPECT_TRUE(s["run"]["store"].is_null());
  EXPECT_GT(s["totals"]["aggregated"]["requests"].get<uint64_t>(), 0u);
  EXPECT_TRUE(s["thresholds"].empty());
}

TEST(summary_cli, a_summary_path_that_cannot_be_written_is_refused_before_the_run) {
  const std::string dir = temp_dir("summary-bad");
  run_process({endure_bin, "-f", files + "refused.cpp", "--list"}, {cache_env}, 120s);
  auto r = run_process({endure_bin, "-f", files + "refused.cpp", "--headless", "-t", "1s", "--csv", dir + "/out",
                        "--summary-json", dir + "/no/such/dir/s.json"},
                       {cache_env}, 120s);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err, "endure: error: cannot write --summary-json '" + dir +
                       "/no/such/dir/s.json': directory '" + dir + "/no/such/dir' does not exist\n");
  EXPECT_FALSE(fs::exists(dir + "/out_stats.csv"));
  auto rep = run_process({endure_bin, "report", dir + "/missing.db", "--summary-json", dir + "/no/s.json"}, {}, 30s);
  EXPECT_EQ(rep.exit_code, 2) << rep.err;
  EXPECT_NE(rep.err.find("--summary-json"), std::string::npos) << rep.err;
}
