// The endure CLI run as a subprocess, as a user runs it: exit codes, one-line errors, sub-commands,
// refused modes, the default locustfile, the C++ locustfile cache, and both seed examples against
// the demo shop with server-side counts.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "cli_support.hpp"

namespace fs = std::filesystem;
using namespace endure::test_support;
using namespace std::chrono_literals;

namespace {

const std::string files = ENDURE_SOURCE_DIR "/tests/cli/locustfiles/";

}  // namespace

TEST(cli, help_and_version) {
  auto h = run_process({endure_bin, "--help"}, {cache_env}, 10s);
  EXPECT_EQ(h.exit_code, 0);
  EXPECT_NE(h.out.find("--spawn-rate"), std::string::npos);
  EXPECT_NE(h.out.find("Exit codes"), std::string::npos);
  auto v = run_process({endure_bin, "-V"}, {cache_env}, 10s);
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_EQ(v.out.rfind("endure ", 0), 0u) << v.out;
}

TEST(cli, docs_cli_reference_equals_help) {
  // docs/cli.md carries the literal --help between markers; regenerate it when options change.
  auto doc = read_file(source_dir + "/docs/cli.md");
  auto begin = doc.find("<!-- BEGIN HELP -->");
  auto end = doc.find("<!-- END HELP -->");
  ASSERT_NE(begin, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  std::string block = doc.substr(begin, end - begin);
  auto open = block.find("```\n");
  auto close = block.rfind("```");
  ASSERT_NE(open, std::string::npos);
  std::string documented = block.substr(open + 4, close - open - 4);
  auto h = run_process({endure_bin, "--help"}, {}, 10s);
  EXPECT_EQ(documented, h.out) << "regenerate the block in docs/cli.md from endure --help";
  // And the demo shop's, indented after its prompt line.
  auto shop = run_process({endure_bin, "demo-shop", "--help"}, {}, 10s);
  std::string indented;
  for (const auto& line : split(shop.out.substr(0, shop.out.size() - 1), '\n'))
    indented += (line.empty() ? "" : "    " + line) + "\n";
  EXPECT_NE(doc.find("    $ endure demo-shop --help\n" + indented), std::string::npos)
      << "regenerate docs/cli.md with scripts/update_cli_doc.py";
}

TEST(cli, bad_input_gives_one_line_exit_2_and_no_output_files) {
  std::string dir = temp_dir("bad");
  std::string ok = files + "refused.cpp";
  struct bad_case {
    std::vector<std::string> args;
    std::string expect;
  };
  std::vector<bad_case> cases = {
      {{"-f", ok, "--headless", "-u", "0"}, "--users"},
      {{"-f", ok, "--headless", "-u", "-3"}, "--users"},
      {{"-f", ok, "--headless", "-r", "0"}, "--spawn-rate"},
      {{"-f", ok, "--headless", "-r", "-2"}, "--spawn-rate"},
      {{"-f", ok, "--headless", "--run-time", "7x"}, "'7x'"},
      {{"-f", ok, "--headless", "--run-time", "-5s"}, "--run-time"},
      {{"-f", ok, "--headless", "-t", "1h30x"}, "expected"},
      {{"-f", ok, "--headless", "--host", "not-a-url"}, "http://"},
      {{"-f", ok, "--headless", "--frobnicate"}, "unknown option '--frobnicate'"},
      {{"-f", ok, "--headless", "NoSuchUser"}, "unknown user class 'NoSuchUser'"},
      {{"-f", files + "missing.cpp", "--headless"}, "does not exist"},
      {{"-f", files + "no_users.cpp", "--headless"}, "ENDURE_USERS"},
      {{"-f", files + "nohost.cpp", "--headless"}, "no host"},
      {{"-f", files + "x.py", "--headless"}, "does not exist"},
      {{"-f", ok, "--headless", "--config", dir + "/nope.conf"}, "cannot read config file"},
      {{"-f", ok, "--headless", "--list", "--show-task-ratio"}, "exclude each other"},
      {{"-f", ok, "--headless", "--csv", dir + "/missing-dir/run"}, "missing-dir"},
      {{"-f", ok, "--headless", "--html", dir + "/missing-dir/r.html"}, "does not exist"},
      {{"-f", ok, "--headless", "-u", "100000"}, "ephemeral port range"},
      {{"-f", ok, "--headless", "-P", "-1"},
       "invalid value '-1' for --web-port: expected a port number from 1 to 65535, or 0 for any free port"},
      {{"-f", ok, "--headless", "--web-auth", "admin"}, "invalid value for --web-auth: expected user:password"},
      {{"-f", ok, "--headless", "--processes", "0"}, "invalid value '0' for --processes"},
  };
  // Compile the locustfiles first: a first compile logs a line of its own.
  for (const char* f : {"refused.cpp", "no_users.cpp", "nohost.cpp"})
    run_process({endure_bin, "-f", files + f, "--list"}, {cache_env}, 120s);
  for (auto& c : cases) {
    std::vector<std::string> argv = {endure_bin};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    argv.push_back("--csv=" + dir + "/out");
    // The --csv given last wins unless the case sets its own (a missing directory).
    if (std::find_if(c.args.begin(), c.args.end(), [](auto& a) { return a == "--csv"; }) != c.args.end())
      argv.pop_back();
    auto r = run_process(argv, {cache_env}, 60s, dir);
    EXPECT_EQ(r.exit_code, 2) << c.args.back() << "\n" << r.err;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << r.err;
    EXPECT_EQ(r.err.rfind("endure: error: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line: " << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_FALSE(fs::exists(dir + "/out_stats.csv")) << "no partial outputs for " << c.expect;
  }
  // A config file with an unknown key, found in the working directory.
  std::ofstream(dir + "/endure.conf") << "users = 3\nspeed = fast\n";
  auto r = run_process({endure_bin, "-f", ok, "--headless"}, {cache_env}, 60s, dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown option 'speed'"), std::string::npos) << r.err;
}

TEST(cli, compile_error_shows_compiler_messages_and_exits_2) {
  auto r = run_process({endure_bin, "-f", files + "broken.cpp", "--headless", "-t", "1s"}, {cache_env}, 120s);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("broken.cpp:6"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("this_is_not_declared"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("endure: error: "), std::string::npos) << r.err;
}

TEST(cli, directory_and_list_of_locustfiles_and_cache) {
  auto first = run_process({endure_bin, "-f", files + "dir", "--list"}, {cache_env}, 120s);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.out, "Alpha\nBeta\nGamma\n");
  // The second run loads from the cache without compiling.
  auto second = run_process({endure_bin, "-f", files + "dir/alpha.cpp," + files + "dir/beta.cpp", "-l"},
                            {cache_env}, 60s);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(second.out, "Alpha\nBeta\nGamma\n");
  EXPECT_EQ(second.err.find("compiling"), std::string::npos) << second.err;
  auto ratio = run_process({endure_bin, "-f", files + "dir", "--show-task-ratio-json", "Alpha", "Beta"},
                           {cache_env}, 60s);
  ASSERT_EQ(ratio.exit_code, 0) << ratio.err;
  auto j = nlohmann::json::parse(ratio.out);
  // Locust's shape: per_class (tasks relative to their class) and total (relative to all).
  EXPECT_DOUBLE_EQ(j["per_class"]["Alpha"]["ratio"].get<double>(), 0.75);
  EXPECT_DOUBLE_EQ(j["per_class"]["Alpha"]["tasks"]["two"]["ratio"].get<double>(), 0.75);
  EXPECT_DOUBLE_EQ(j["per_class"]["Beta"]["ratio"].get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(j["total"]["Alpha"]["tasks"]["two"]["ratio"].get<double>(), 0.75 * 0.75);
  EXPECT_FALSE(j["per_class"].contains("Gamma"));
}

TEST(cli, failures_set_the_exit_code) {
  std::string dir = temp_dir("fail");
  auto r = run_process({endure_bin, "-f", files + "refused.cpp", "--headless", "-u", "2", "-r", "10",
                        "-t", "1s", "--csv", dir + "/run", "--only-summary"},
                       {cache_env}, 60s);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  // Locust's text for the exception its client raises.
  EXPECT_NE(r.out.find("ConnectionRefusedError(111, 'Connection refused')"), std::string::npos) << r.out;
  auto fail_csv = read_file(dir + "/run_failures.csv");
  EXPECT_EQ(fail_csv.rfind("Method,Name,Error,Occurrences,First Seen,Last Seen", 0), 0u);
  EXPECT_NE(fail_csv.find("GET,/nothing,\"ConnectionRefusedError(111, 'Connection refused')\","), std::string::npos)
      << fail_csv;
  auto r7 = run_process({endure_bin, "-f", files + "refused.cpp", "--headless", "-u", "1", "-t", "1s",
                         "--exit-code-on-error", "7", "--only-summary"},
                        {cache_env}, 60s);
  EXPECT_EQ(r7.exit_code, 7);
}

namespace {
// The final console table's Aggregated line, as cells.
std::vector<std::string> final_aggregated_cells(const std::string& out) {
  auto end = out.rfind("Response time percentiles");
  auto pos = out.rfind(" Aggregated ", end);
  auto line_end = out.find('\n', pos);
  std::stringstream ss(out.substr(pos, line_end - pos));
  std::vector<std::string> cells;
  std::string c;
  while (ss >> c)
    if (c != "|") cells.push_back(c);
  return cells;  // Aggregated reqs fails(%) avg min max med req/s failures/s
}
}  // namespace

TEST(cli, seed_example_one_against_the_demo_shop) {
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  std::string dir = temp_dir("seed1");
  auto r = run_process({endure_bin, "-f", source_dir + "/examples/locustfile.cpp", "--host", shop.url(),
                        "--headless", "-u", "300", "-r", "300", "--run-time", "5s", "--seed", "7",
                        "--stop-timeout", "10s",
                        "--csv", dir + "/seed1", "--json-file", dir + "/seed1.json", "--html",
                        dir + "/seed1.html"},
                       {cache_env}, 120s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto rows = read_stats_csv(dir + "/seed1_stats.csv");
  uint64_t index = std::stoull(rows["GET /"]["Request Count"]);
  uint64_t about = std::stoull(rows["GET /about/"]["Request Count"]);
  ASSERT_GT(index, 50u);
  double ratio = static_cast<double>(about) / static_cast<double>(index);
  EXPECT_GT(ratio, 1.5);
  EXPECT_LT(ratio, 2.7);
  // Server-side counts equal the reported ones exactly.
  auto s = shop.stats();
  EXPECT_EQ(s["requests"].value("GET /", 0), index);
  EXPECT_EQ(s["requests"].value("GET /about/", 0), about);
  EXPECT_EQ(rows[" Aggregated"]["Failure Count"], "0");
  // The final _stats.csv equals the final console summary.
  auto cells = final_aggregated_cells(r.out);
  ASSERT_EQ(cells.size(), 9u) << r.out;
  auto& agg = rows[" Aggregated"];
  EXPECT_EQ(cells[1], agg["Request Count"]);
  EXPECT_EQ(cells[3], agg["Average Response Time"]);
  EXPECT_EQ(cells[4], agg["Min Response Time"]);
  EXPECT_EQ(cells[5], agg["Max Response Time"]);
  EXPECT_EQ(cells[6], agg["Median Response Time"]);
  EXPECT_EQ(cells[7], agg["Requests/s"]);
  // History: one flushed row per second, Aggregated only.
  auto history = split(read_file(dir + "/seed1_stats_history.csv"), '\n');
  EXPECT_GE(history.size(), 5u);
  EXPECT_NE(history[1].find(",Aggregated,"), std::string::npos);
  // JSON and HTML.
  auto j = nlohmann::json::parse(read_file(dir + "/seed1.json"));
  ASSERT_TRUE(j.is_array());
  uint64_t json_total = 0;
  for (auto& e : j) json_total += e["num_requests"].get<uint64_t>();
  EXPECT_EQ(json_total, index + about);
  auto html = read_file(dir + "/seed1.html");
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("/about/"), std::string::npos);
}

TEST(cli, seed_example_two_adds_to_cart) {
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  std::string dir = temp_dir("seed2");
  auto r = run_process({endure_bin, "-f", source_dir + "/examples/ecommerce.cpp", "--host", shop.url(),
                        "--headless", "-u", "100", "-r", "100", "-t", "4s", "--stop-timeout", "10s",
                        "--csv", dir + "/seed2",
                        "--only-summary"},
                       {cache_env}, 180s);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  auto rows = read_stats_csv(dir + "/seed2_stats.csv");
  ASSERT_TRUE(rows.count("POST /cart/add/1")) << read_file(dir + "/seed2_stats.csv");
  uint64_t adds = std::stoull(rows["POST /cart/add/1"]["Request Count"]);
  EXPECT_GT(adds, 5u);
  EXPECT_EQ(rows["POST /cart/add/1"]["Failure Count"], "0");
  EXPECT_EQ(rows["GET /products"]["Request Count"], rows["POST /cart/add/1"]["Request Count"]);
  auto s = shop.stats();
  EXPECT_EQ(s["requests"].value("POST /cart/add/1", 0), adds);
  EXPECT_EQ(s["requests"].value("GET /products/123", 0), std::stoull(rows["GET /products/123"]["Request Count"]));
}

TEST(cli, seed_example_two_reports_failures_from_catch_response) {
  demo_shop shop({"--error-rate", "1.0"});
  ASSERT_FALSE(shop.url().empty());
  std::string dir = temp_dir("seed2f");
  auto r = run_process({endure_bin, "-f", source_dir + "/examples/ecommerce.cpp", "--host", shop.url(),
                        "--headless", "-u", "20", "-r", "100", "-t", "2s", "--csv", dir + "/f",
                        "--only-summary"},
                       {cache_env}, 180s);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto failures = read_file(dir + "/f_failures.csv");
  EXPECT_NE(failures.find("GET,/products/123,CatchResponseError('Failed to view product details: 500'),"), std::string::npos)
      << failures;
}

TEST(cli, sigint_and_sigterm_stop_gracefully_with_complete_outputs) {
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  for (int sig : {SIGINT, SIGTERM}) {
    std::string dir = temp_dir("sig" + std::to_string(sig));
    child_process p({endure_bin, "-f", source_dir + "/examples/locustfile.cpp", "--host", shop.url(),
                     "--headless", "-u", "50", "-r", "50", "-t", "1h", "--csv", dir + "/s"},
                    {cache_env});
    // Wait for the first periodic table, then a little more, then signal.
    p.wait_for_stdout("Aggregated", 60s);
    std::this_thread::sleep_for(1s);
    p.signal(sig);
    auto r = p.wait(15s);
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto rows = read_stats_csv(dir + "/s_stats.csv");
    auto cells = final_aggregated_cells(r.out);
    ASSERT_EQ(cells.size(), 9u) << r.out;
    EXPECT_EQ(cells[1], rows[" Aggregated"]["Request Count"]);
    EXPECT_EQ(cells[3], rows[" Aggregated"]["Average Response Time"]);
    EXPECT_TRUE(fs::exists(dir + "/s_failures.csv"));
    EXPECT_TRUE(fs::exists(dir + "/s_exceptions.csv"));
    EXPECT_NE(r.err.find(sig == SIGINT ? "SIGINT" : "SIGTERM"), std::string::npos) << r.err;
  }
}

TEST(cli, a_user_stuck_in_a_busy_loop_does_not_hang_the_run) {
  std::string dir = temp_dir("spin");
  auto t0 = std::chrono::steady_clock::now();
  auto r = run_process({endure_bin, "-f", files + "spin.cpp", "--headless", "-u", "1", "-t", "1s",
                        "--threads", "1", "--csv", dir + "/spin", "--only-summary"},
                       {cache_env}, 120s);
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_FALSE(r.timed_out);
  // The stuck user makes the exit code 5 and is named with its class and task; what its shard
  // recorded before it got stuck (the refused request) is kept.
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_NE(r.err.find("abandoned"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Spinner.spin"), std::string::npos) << r.err;
  auto rows = read_stats_csv(dir + "/spin_stats.csv");
  EXPECT_EQ(rows["GET /before-spin"]["Request Count"], "1");
  EXPECT_EQ(rows["GET /before-spin"]["Failure Count"], "1");
  EXPECT_LT(took, 60s);  // compile (first run) + 1 s run + the 2 s and 2 s deadlines
}

TEST(cli, a_load_shape_drives_the_users_and_ends_the_test) {
  std::string dir = temp_dir("shape");
  auto r = run_process({endure_bin, "-f", files + "shape.cpp", "--headless", "-u", "50", "--csv",
                        dir + "/shape", "--only-summary"},
                       {cache_env}, 120s);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("Test stopped (shape)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("-u/--users and -r/--spawn-rate are ignored"), std::string::npos) << r.err;
  // The history's User Count column goes 4 ... then 1.
  auto lines = split(read_file(dir + "/shape_stats_history.csv"), '\n');
  std::vector<std::string> counts;
  for (size_t i = 1; i < lines.size(); ++i)
    if (!lines[i].empty()) counts.push_back(split(lines[i], ',')[1]);
  ASSERT_GE(counts.size(), 4u) << read_file(dir + "/shape_stats_history.csv");
  EXPECT_NE(std::find(counts.begin(), counts.end(), "4"), counts.end());
  EXPECT_EQ(counts.back() == "1" || counts.back() == "0", true) << counts.back();
  EXPECT_NE(std::find(counts.begin(), counts.end(), "1"), counts.end());
}

TEST(cli, json_logfile_loglevel_request_timeout_and_task_ratio_flags_reach_the_run) {
  // The demo shop answers after 300 ms; a 100 ms --request-timeout makes every request fail.
  demo_shop shop({"--latency-ms", "300"});
  ASSERT_FALSE(shop.url().empty());
  std::string dir = temp_dir("flags");
  auto r = run_process({endure_bin, "-f", source_dir + "/examples/locustfile.cpp", "--host", shop.url(),
                        "--headless", "-u", "2", "-r", "10", "-t", "2s", "--request-timeout", "100ms",
                        "--json", "--only-summary", "--logfile", dir + "/endure.log", "-L", "DEBUG"},
                       {cache_env}, 120s);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  // --json prints the entries on stdout after the summary.
  auto open = r.out.find("\n[");
  ASSERT_NE(open, std::string::npos) << r.out;
  auto j = nlohmann::json::parse(r.out.substr(open + 1), nullptr, false);
  ASSERT_TRUE(j.is_array()) << r.out.substr(open);
  uint64_t failures = 0;
  for (auto& e : j) failures += e["num_failures"].get<uint64_t>();
  EXPECT_GT(failures, 0u);
  EXPECT_NE(r.out.find("TimeoutError('request timed out after 0.1s')"), std::string::npos) << r.out;
  // The log went to the file, not to stderr.
  auto log = read_file(dir + "/endure.log");
  EXPECT_NE(log.find("INFO [main]: Test stopped (run time)"), std::string::npos) << log;
  EXPECT_EQ(r.err.find("Test stopped"), std::string::npos) << r.err;
  // A higher level keeps INFO lines out.
  auto quiet = run_process({endure_bin, "-f", files + "refused.cpp", "--headless", "-u", "1", "-t", "1s",
                            "--only-summary", "-L", "ERROR"},
                           {cache_env}, 120s);
  EXPECT_EQ(quiet.err.find("INFO"), std::string::npos) << quiet.err;
  auto ratio = run_process({endure_bin, "-f", files + "dir/alpha.cpp", "--show-task-ratio"}, {cache_env}, 120s);
  EXPECT_EQ(ratio.exit_code, 0) << ratio.err;
  EXPECT_NE(ratio.out.find("100.0 % Alpha"), std::string::npos) << ratio.out;
  EXPECT_NE(ratio.out.find("75.0  % two"), std::string::npos) << ratio.out;
}

TEST(cli, sub_commands_come_from_one_table) {
  auto help = run_process({endure_bin, "--help"}, {}, 10s);
  ASSERT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("\n  run         Run a load test from a locustfile (the default command)\n"), std::string::npos)
      << help.out;
  EXPECT_NE(help.out.find("\n  demo-shop   Serve the built-in demo shop, a small HTTP target to try endure on\n"),
            std::string::npos);
  // `endure run --help` is the same page; `endure demo-shop --help` is the demo shop's own.
  auto run_help = run_process({endure_bin, "run", "--help"}, {}, 10s);
  EXPECT_EQ(run_help.exit_code, 0);
  EXPECT_EQ(run_help.out, help.out);
  auto shop_help = run_process({endure_bin, "demo-shop", "--help"}, {}, 10s);
  EXPECT_EQ(shop_help.exit_code, 0);
  EXPECT_EQ(shop_help.out.rfind("usage: endure demo-shop [options]\n", 0), 0u) << shop_help.out;
  auto version = run_process({endure_bin, "run", "-V"}, {}, 10s);
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out.rfind("endure ", 0), 0u);
  // After `run` (or after an option) a command's name is a user class name.
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"run", "demo-shop", "-f", files + "refused.cpp", "--list"},
        std::vector<std::string>{"-f", files + "refused.cpp", "demo-shop", "--list"}}) {
    std::vector<std::string> argv = {endure_bin};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run_process(argv, {cache_env}, 120s);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(r.err, "endure: error: unknown user class 'demo-shop': the locustfile defines Refused\n");
  }
  // --help and --version answer even when other options are wrong or unknown.
  auto lenient = run_process({endure_bin, "-u", "0", "--not-yet-known", "x", "--help"}, {}, 10s);
  EXPECT_EQ(lenient.exit_code, 0) << lenient.err;
  EXPECT_EQ(lenient.out, help.out);
}

TEST(cli, modes_not_built_yet_are_refused_with_one_line_never_ignored) {
  std::string dir = temp_dir("modes");
  const std::string distributed =
      " is not available in this build yet (master/worker mode is not built): remove it\n";
  struct refused_case {
    std::vector<std::string> args, env;
    std::string err;
  };
  std::vector<refused_case> cases = {
      {{"--master"}, {}, "--master" + distributed},
      {{"--worker", "--master-host", "10.0.0.5"}, {}, "--worker" + distributed},
      {{"--processes", "4"}, {}, "--processes" + distributed},
      {{"--processes", "-1"}, {}, "--processes" + distributed},
      {{}, {"LOCUST_MODE_MASTER=true"}, "--master (from environment variable LOCUST_MODE_MASTER)" + distributed},
      {{}, {"LOCUST_MODE_WORKER=1"}, "--worker (from environment variable LOCUST_MODE_WORKER)" + distributed},
  };
  // C++ options are resolved before compiling, Python ones once the file is imported: both refuse.
  for (const std::string& file : {files + "refused.cpp", source_dir + "/examples/locustfile.py"}) {
    for (const auto& c : cases) {
      std::vector<std::string> argv = {endure_bin, "-f", file, "--headless", "-t", "2s",
                                       "--csv", dir + "/out"};
      argv.insert(argv.end(), c.args.begin(), c.args.end());
      auto env = c.env;
      env.push_back(cache_env);
      auto r = run_process(argv, env, 120s);
      EXPECT_EQ(r.exit_code, 2) << file << " " << c.err;
      EXPECT_EQ(r.err, "endure: error: " + c.err) << file;
      EXPECT_TRUE(r.out.empty()) << r.out;
      EXPECT_FALSE(fs::exists(dir + "/out_stats.csv"));
      EXPECT_FALSE(fs::exists(dir + "/run.db"));
    }
  }
  // The web UI is built: a run without --headless serves it (tests/cli/web_ui_test.cpp tests it).
  auto web = run_process({endure_bin, "-f", files + "refused.cpp", "--web-host", "127.0.0.1", "-P", "0", "--autostart",
                          "-t", "1s", "--autoquit", "1", "--no-store"},
                         {cache_env}, 60s);
  EXPECT_NE(web.exit_code, 2) << web.err;
  EXPECT_EQ(web.out.rfind("Web UI: http://127.0.0.1:", 0), 0u) << web.out;
  // Settings that switch nothing on are accepted in a headless run, as Locust does.
  auto ok = run_process({endure_bin, "-f", files + "refused.cpp", "--headless", "-t", "1s", "--only-summary",
                         "-P", "8090", "--master-host", "10.0.0.5", "--expect-workers", "2", "--no-store"},
                        {cache_env, "LOCUST_MODE_MASTER=false"}, 60s);
  EXPECT_EQ(ok.exit_code, 1) << ok.err;  // it ran: nothing listens on the locustfile's host
  EXPECT_NE(ok.err.find("Test stopped (run time)"), std::string::npos) << ok.err;
}

TEST(cli, the_locustfile_defaults_to_locustfile_py_then_locustfile_cpp) {
  std::string dir = temp_dir("default-locustfile");
  auto none = run_process({endure_bin, "--headless"}, {cache_env}, 10s, dir);
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_EQ(none.err, "endure: error: no locustfile: neither locustfile.py nor locustfile.cpp is in " +
                          fs::canonical(dir).string() +
                          "; name one with -f FILE (a .py or .cpp file, a directory of them, or a "
                          "comma-separated list)\n");
  fs::copy_file(files + "dir/alpha.cpp", dir + "/locustfile.cpp");
  auto cpp = run_process({endure_bin, "--list"}, {cache_env}, 120s, dir);
  EXPECT_EQ(cpp.exit_code, 0) << cpp.err;
  EXPECT_EQ(cpp.out, "Alpha\n");
  fs::copy_file(source_dir + "/examples/locustfile.py", dir + "/locustfile.py");
  auto py = run_process({endure_bin, "-l"}, {cache_env}, 60s, dir);
  EXPECT_EQ(py.exit_code, 0) << py.err;
  EXPECT_EQ(py.out, "WebsiteUser\n");
  // -f, from any source, wins over the default.
  std::ofstream(dir + "/endure.conf") << "locustfile = locustfile.cpp\n";
  auto conf = run_process({endure_bin, "-l"}, {cache_env}, 60s, dir);
  EXPECT_EQ(conf.out, "Alpha\n") << conf.err;
}

namespace {
// Values of an attribute on the SVG ticks of one class ("xtick", "ytick") in the HTML report.
std::vector<double> tick_values(const std::string& html, const std::string& cls, const std::string& attr) {
  std::vector<double> out;
  const std::string marker = "class=\"axis " + cls + "\"";
  for (size_t p = 0; (p = html.find(marker, p)) != std::string::npos; p += marker.size()) {
    auto a = html.find(attr + "=\"", p);
    if (a == std::string::npos) break;
    a += attr.size() + 2;
    out.push_back(std::stod(html.substr(a, html.find('"', a) - a)));
  }
  return out;
}
std::string info_cell(const std::string& doc, const std::string& title) {
  auto p = doc.find("<th>" + title + "</th><td>");
  if (p == std::string::npos) return "(missing)";
  p += title.size() + 13;
  return doc.substr(p, doc.find("</td>", p) - p);
}
}  // namespace

TEST(cli, the_html_report_shows_the_peak_users_and_round_clock_and_elapsed_axes) {
  std::string dir = temp_dir("html-peak");
  // The shape holds 4 users for 2.5 s, then 1 until 5 s.
  auto r = run_process({endure_bin, "-f", files + "shape.cpp", "--headless", "--html", dir + "/r.html",
                        "--only-summary"},
                       {cache_env}, 120s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto html = read_file(dir + "/r.html");
  EXPECT_EQ(info_cell(html, "Users (peak)"), "4");
  EXPECT_EQ(info_cell(html, "Users: Visitor (at the end)"), "1");
  // Time ticks: at whole steps of elapsed time from 0 (the test's start), 5 s run: 1 s steps.
  const auto first_chart = html.substr(html.find("<svg"), html.find("</svg>") - html.find("<svg"));
  const auto elapsed = tick_values(first_chart, "xtick", "data-elapsed-s");
  ASSERT_GE(elapsed.size(), 4u) << html.substr(0, 3000);
  EXPECT_EQ(elapsed[0], 0);
  const double step = elapsed[1] - elapsed[0];
  EXPECT_EQ(step, 1);
  for (size_t i = 1; i < elapsed.size(); ++i) EXPECT_EQ(elapsed[i], elapsed[i - 1] + step);
  EXPECT_NE(html.find(" UTC</text>"), std::string::npos);
  EXPECT_NE(html.find(">elapsed +0</text>"), std::string::npos);
  // The users chart's value ticks are round: 0, 1, 2, 3, 4.
  const auto users_chart = html.substr(html.find("aria-label=\"Number of users\""));
  EXPECT_EQ(tick_values(users_chart.substr(0, users_chart.find("</svg>")), "ytick", "data-value"),
            (std::vector<double>{0, 1, 2, 3, 4}));
}

TEST(cli, a_long_run_has_a_current_html_report_before_it_ends_and_after_a_crash) {
  std::string dir = temp_dir("html-interval");
  child_process p({endure_bin, "-f", files + "refused.cpp", "--headless", "-u", "2", "-t", "1h",
                   "--html", dir + "/r.html", "--html-interval", "2s"},
                  {cache_env});
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!fs::exists(dir + "/r.html") && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(100ms);
  ASSERT_TRUE(fs::exists(dir + "/r.html"));
  p.signal(SIGKILL);  // a crash: no final report
  auto r = p.wait(10s);
  EXPECT_EQ(r.exit_code, 128 + SIGKILL);
  const auto html = read_file(dir + "/r.html");
  const auto note = html.find("Written while the test runs, ");
  ASSERT_NE(note, std::string::npos) << html.substr(0, 2000);
  const int into_s = std::stoi(html.substr(note + 28));
  EXPECT_GE(into_s, 2);
  EXPECT_LE(into_s, 4);
  EXPECT_NE(html.find("</html>"), std::string::npos) << "whole: written to a temporary file, then renamed";
  EXPECT_NE(html.find("<td>/nothing</td>"), std::string::npos);
  EXPECT_EQ(info_cell(html, "Users (now)"), "2");
}
