// Python locustfiles run by the endure binary as a subprocess: the seed examples against the demo
// shop, and the tests/locustfiles corpus against the in-process test server, with server-side
// counts compared to the reported statistics.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_support.hpp"
#include "support/test_server.hpp"

namespace fs = std::filesystem;
using namespace endure::test_support;
using namespace std::chrono_literals;
using endure::test_support::test_server;

namespace {

const std::string corpus = ENDURE_SOURCE_DIR "/tests/locustfiles/";

// Rows of _stats.csv keyed by "Type Name"; cells: Request Count, Failure Count ...
struct run_result {
  endure::test_support::process_result proc;
  csv_rows rows;
  std::string failures, exceptions;
};

run_result run_endure(const std::string& name, std::vector<std::string> args,
                      std::chrono::seconds deadline = 60s) {
  std::string dir = temp_dir(name);
  // A graceful stop lets the last requests finish, so server-side counts compare exactly (a
  // killed request reached the server but is not a result). Later flags override it.
  std::vector<std::string> argv = {endure_bin, "--stop-timeout", "10s"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--headless", "--csv", dir + "/out", "--only-summary"});
  run_result r;
  r.proc = run_process(argv, {}, deadline);
  r.rows = read_stats_csv(dir + "/out_stats.csv");
  r.failures = read_file(dir + "/out_failures.csv");
  r.exceptions = read_file(dir + "/out_exceptions.csv");
  return r;
}

}  // namespace

TEST(python_cli, seed_example_one_verbatim_against_the_demo_shop) {
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  auto r = run_endure("seed1", {"-f", source_dir + "/examples/locustfile.py", "--host", shop.url(),
                                "-u", "100", "-r", "100", "--run-time", "4s"});
  ASSERT_EQ(r.proc.exit_code, 0) << r.proc.err;
  uint64_t index = count_of(r.rows, "GET /"), about = count_of(r.rows, "GET /about/");
  EXPECT_GT(index + about, 50u);
  auto s = shop.stats();
  EXPECT_EQ(s["requests"].value("GET /", 0), index);
  EXPECT_EQ(s["requests"].value("GET /about/", 0), about);
  EXPECT_EQ(r.rows[" Aggregated"]["Failure Count"], "0");
  EXPECT_NE(r.proc.err.find("one thread per process"), std::string::npos) << r.proc.err;
}

TEST(python_cli, seed_example_two_verbatim_adds_to_cart) {
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  auto r = run_endure("seed2", {"-f", source_dir + "/examples/ecommerce.py", "--host", shop.url(),
                                "-u", "100", "-r", "100", "-t", "4s"});
  ASSERT_EQ(r.proc.exit_code, 0) << r.proc.err << r.proc.out;
  uint64_t adds = count_of(r.rows, "POST /cart/add/1");
  EXPECT_GT(adds, 5u);
  EXPECT_EQ(count_of(r.rows, "GET /products"), adds);
  auto s = shop.stats();
  EXPECT_EQ(s["requests"].value("POST /cart/add/1", 0), adds);
  EXPECT_EQ(s["requests"].value("GET /products", 0), count_of(r.rows, "GET /products"));
  EXPECT_EQ(s["requests"].value("GET /products/123", 0), count_of(r.rows, "GET /products/123"));
}

TEST(python_cli, seed_example_two_reports_catch_response_failures) {
  demo_shop shop({"--error-rate", "1.0"});
  ASSERT_FALSE(shop.url().empty());
  auto r = run_endure("seed2f", {"-f", source_dir + "/examples/ecommerce.py", "--host", shop.url(),
                                 "-u", "20", "-r", "100", "-t", "3s"});
  EXPECT_EQ(r.proc.exit_code, 1) << r.proc.err;
  EXPECT_NE(r.failures.find("GET,/products/123,CatchResponseError('Failed to view product details: 500'),"),
            std::string::npos)
      << r.failures;
}

TEST(python_cli, bad_locustfiles_give_one_line_with_file_and_line_and_exit_2) {
  struct bad_case {
    std::string file, expect;
  };
  std::vector<bad_case> cases = {
      {"bad/syntax_error.py", "bad/syntax_error.py:6: SyntaxError: expected ':'"},
      {"bad/import_error.py", "bad/import_error.py:2: ModuleNotFoundError: No module named 'no_such_module_here'"},
      {"bad/raises.py", "bad/raises.py:3: RuntimeError: configuration missing"},
      {"bad/no_user.py", "no user class found"},
      {"bad/no_tasks.py", "bad/no_tasks.py:3: no tasks defined on Idle"},
      {"bad/no_host.py", "no host for user class 'NoHost'"},
  };
  for (auto& c : cases) {
    std::string dir = temp_dir("bad");
    auto r = run_process({endure_bin, "-f", corpus + c.file, "--headless", "-t", "1s", "--csv", dir + "/out"},
                         {}, 60s);
    EXPECT_EQ(r.exit_code, 2) << c.file << "\n" << r.err;
    EXPECT_EQ(r.err.rfind("endure: error: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line: " << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_FALSE(fs::exists(dir + "/out_stats.csv")) << "no partial outputs for " << c.file;
  }
}

TEST(python_cli, every_client_option_and_response_attribute) {
  test_server server;
  auto r = run_endure("options", {"-f", corpus + "client_options.py", "--host", server.base_url(),
                                  "-u", "1", "-r", "1", "-t", "20s"});
  EXPECT_EQ(r.proc.exit_code, 1) << r.proc.err;  // the 404 and the timeout are failures
  // No assertion failed inside the locustfile.
  EXPECT_EQ(split(r.exceptions, '\n').size(), 1u) << r.exceptions;
  EXPECT_EQ(count_of(r.rows, "GET echo-named"), 1u);
  EXPECT_EQ(count_of(r.rows, "GET renamed"), 2u);
  EXPECT_EQ(count_of(r.rows, "GET /slow-timeout", "Failure Count"), 1u);
  EXPECT_EQ(count_of(r.rows, "GET /status/404", "Failure Count"), 1u);
  EXPECT_NE(r.failures.find("GET,/slow-timeout,TimeoutError('request timed out after 0.05s')"), std::string::npos)
      << r.failures;
  // requests' HTTPError names the full URL (Locust 2.12.1's failures table).
  EXPECT_NE(r.failures.find("GET,/status/404,HTTPError('404 Client Error: Not Found for url: " + server.base_url() +
                            "/status/404')"),
            std::string::npos)
      << r.failures;
  // Server-side: every request reported (the redirect followed counts twice at the server).
  EXPECT_EQ(server.total(), count_of(r.rows, " Aggregated") + 1);
  EXPECT_EQ(server.count("GET /echo"), count_of(r.rows, "GET echo-named") + count_of(r.rows, "GET echo-default"));
  EXPECT_EQ(server.count("POST /echo"), count_of(r.rows, "POST /echo"));
}

TEST(python_cli, catch_response_follows_locusts_rules) {
  test_server server;
  auto r = run_endure("catch", {"-f", corpus + "catch_response.py", "--host", server.base_url(),
                                "-u", "1", "-r", "1", "-t", "20s", "-i", "1"});
  EXPECT_EQ(r.proc.exit_code, 1) << r.proc.err;
  EXPECT_EQ(count_of(r.rows, "GET success-404"), 1u);
  EXPECT_EQ(count_of(r.rows, "GET success-404", "Failure Count"), 0u);
  EXPECT_EQ(count_of(r.rows, "GET failure-200", "Failure Count"), 1u);
  EXPECT_EQ(count_of(r.rows, "GET default-500", "Failure Count"), 1u);
  EXPECT_EQ(count_of(r.rows, "GET default-200", "Failure Count"), 0u);
  EXPECT_EQ(count_of(r.rows, "GET response-error", "Failure Count"), 1u);
  EXPECT_EQ(count_of(r.rows, "GET other-exception"), 0u);  // not a request result
  EXPECT_EQ(count_of(r.rows, "GET uncaught-404", "Failure Count"), 1u);
  // Locust 2.12.1's texts: repr(exception); a catch_response default names the full URL, an
  // uncaught failure with name= names the name (requests' error with Locust's url swap).
  for (std::string line :
       {std::string("GET,failure-200,CatchResponseError('not what I wanted'),1"),
        std::string("GET,failure-exc,ValueError('bad value'),1"),
        "GET,default-500,HTTPError('500 Server Error: Internal Server Error for url: " + server.base_url() +
            "/status/500'),1",
        std::string("GET,response-error,ResponseError('raised inside'),1"),
        std::string("GET,uncaught-404,HTTPError('404 Client Error: Not Found for url: uncaught-404'),1")})
    EXPECT_NE(r.failures.find(line), std::string::npos) << line << "\n" << r.failures;
  EXPECT_NE(r.exceptions.find("'boom'"), std::string::npos) << r.exceptions;
  EXPECT_NE(r.exceptions.find("in other_exception_inside"), std::string::npos) << r.exceptions;
  EXPECT_EQ(server.total(), count_of(r.rows, " Aggregated") + 1);  // + the unreported one
}

TEST(python_cli, task_sets_weights_and_control_flow) {
  test_server server;
  auto r = run_endure("tasksets", {"-f", corpus + "tasksets.py", "--host", server.base_url(), "-u", "6",
                                   "-r", "100", "-t", "2s", "--stop-timeout", "2s"});
  EXPECT_EQ(r.proc.exit_code, 0) << r.proc.err << r.exceptions;
  // SequentialTaskSet: in order, on_stop after each interrupt (with graceful stop, maybe one
  // sequence cut short at the end).
  uint64_t s1 = count_of(r.rows, "GET seq-1"), s3 = count_of(r.rows, "GET seq-3");
  EXPECT_GT(s1, 10u);
  EXPECT_LE(s1 - s3, 4u);
  EXPECT_GE(count_of(r.rows, "GET seq-on-stop"), s3);
  EXPECT_GT(count_of(r.rows, "GET inner"), 10u);
  EXPECT_GT(count_of(r.rows, "GET scheduled"), 10u);
  // Weights 3:1 between the two tasks of the fixed_count user.
  double ratio = static_cast<double>(count_of(r.rows, "GET resched")) /
                 static_cast<double>(count_of(r.rows, "GET resched-now"));
  EXPECT_GT(ratio, 2.0);
  EXPECT_LT(ratio, 4.5);
  // The Stopper ran once and stopped (on_stop ran); 4 TaskSetUsers + 2 fixed ones started.
  EXPECT_EQ(count_of(r.rows, "GET stopper"), 1u);
  EXPECT_EQ(count_of(r.rows, "GET user-on-start"), 6u);
  // Graceful stop: every remaining user's on_stop ran too.
  EXPECT_EQ(count_of(r.rows, "GET user-on-stop"), 6u);
  EXPECT_EQ(server.count("GET /fast"), count_of(r.rows, " Aggregated"));
}

TEST(python_cli, event_hooks_and_custom_clients) {
  test_server server;
  auto r = run_endure("events", {"-f", corpus + "events_hooks.py", "--host", server.base_url(), "-u", "3",
                                 "-r", "100", "-t", "2s"});
  EXPECT_EQ(r.proc.exit_code, 1) << r.proc.err;
  const std::string& out = r.proc.out;
  std::vector<std::string> order = {"EVENT init LocalRunner 3", "EVENT test_start", "EVENT spawning_complete 3",
                                    "EVENT test_stopping", "EVENT test_stop", "EVENT quitting", "EVENT quit 1"};
  size_t pos = 0;
  for (auto& e : order) {
    auto p = out.find(e, pos);
    EXPECT_NE(p, std::string::npos) << e << "\n" << out;
    if (p != std::string::npos) pos = p;
  }
  uint64_t fast = count_of(r.rows, "GET /fast"), err = count_of(r.rows, "GET /status/503");
  EXPECT_EQ(server.count("GET /fast"), fast);
  EXPECT_EQ(server.count("GET /status/503"), err);
  // The request listener saw every HTTP request and the custom ones.
  EXPECT_NE(out.find("EVENT test_stop requests=" + std::to_string(fast + err + 3) + " ok=" +
                     std::to_string(fast + 2) + " total=" + std::to_string(fast + err + 3)),
            std::string::npos)
      << out;
  EXPECT_EQ(count_of(r.rows, "CUSTOM fired"), 1u);
  EXPECT_EQ(r.rows["CUSTOM fired"]["Average Response Time"].substr(0, 4), "12.5");
  EXPECT_EQ(count_of(r.rows, "CUSTOM measured-fail", "Failure Count"), 1u);
  EXPECT_EQ(count_of(r.rows, "CUSTOM measured-ok", "Failure Count"), 0u);
  EXPECT_NE(r.failures.find("CUSTOM,measured-fail,ValueError('custom failure'),1"), std::string::npos) << r.failures;
}

TEST(python_cli, task_exceptions_have_python_tracebacks_and_stop_test_ends_the_run) {
  test_server server;
  auto r = run_endure("exc", {"-f", corpus + "exceptions_table.py", "--host", server.base_url(), "-u", "1",
                              "-r", "1", "-t", "30s"});
  EXPECT_EQ(r.proc.exit_code, 1) << r.proc.err;
  EXPECT_NE(r.proc.err.find("Test stopped (stop_test)"), std::string::npos) << r.proc.err;
  EXPECT_EQ(count_of(r.rows, "GET /fast"), 4u);
  EXPECT_EQ(server.count("GET /fast"), 4u);
  // Locust's exceptions table shows str(exception).
  EXPECT_NE(r.exceptions.find("3,out of stock,"), std::string::npos) << r.exceptions;
  EXPECT_NE(r.exceptions.find("exceptions_table.py\"\", line 8, in helper"), std::string::npos) << r.exceptions;
}

TEST(python_cli, time_sleep_and_gevent_sleep_yield_to_other_users) {
  test_server server;
  auto r = run_endure("sleep", {"-f", corpus + "sleeping.py", "--host", server.base_url(), "-u", "20",
                                "-r", "100", "-t", "3s"});
  EXPECT_EQ(r.proc.exit_code, 0) << r.proc.err << r.exceptions;
  // 19 sleepers, 1 s per task, about 2.8 s: blocking sleeps would give about 3.
  EXPECT_GE(count_of(r.rows, "GET /fast"), 30u);
  EXPECT_GE(count_of(r.rows, "GET spawned"), 5u);
  EXPECT_EQ(server.count("GET /fast"), count_of(r.rows, " Aggregated"));
}

TEST(python_cli, wait_time_functions_pace_users) {
  test_server server;
  auto r = run_endure("wait", {"-f", corpus + "wait_times.py", "--host", server.base_url(), "-u", "4",
                               "-r", "100", "-t", "3s"});
  EXPECT_EQ(r.proc.exit_code, 0) << r.proc.err << r.exceptions;
  // One user each. constant_pacing(0.2) and constant_throughput(5): about 15 in 3 s.
  for (const char* name : {"GET pacing", "GET throughput"}) {
    EXPECT_GE(count_of(r.rows, name), 12u) << name;
    EXPECT_LE(count_of(r.rows, name), 16u) << name;
  }
  EXPECT_GE(count_of(r.rows, "GET constant"), 20u);  // 0.1 s
  EXPECT_LE(count_of(r.rows, "GET constant"), 31u);
  EXPECT_GE(count_of(r.rows, "GET between"), 13u);  // 0.1-0.2 s
  EXPECT_LE(count_of(r.rows, "GET between"), 31u);
}

TEST(python_cli, tags_and_iterations) {
  test_server server;
  auto a = run_endure("tags-a", {"-f", corpus + "tags.py", "--host", server.base_url(), "-u", "1", "-r", "100",
                                 "-t", "10s", "-i", "200", "--tags", "a"});
  EXPECT_EQ(a.proc.exit_code, 0) << a.proc.err;
  EXPECT_GT(count_of(a.rows, "GET tag-a"), 0u);
  EXPECT_GT(count_of(a.rows, "GET tag-ac"), 0u);
  EXPECT_GT(count_of(a.rows, "GET set-a"), 0u);
  EXPECT_EQ(count_of(a.rows, "GET tag-b"), 0u);
  EXPECT_EQ(count_of(a.rows, "GET untagged"), 0u);
  // -i counts top-level tasks: exactly 200 here (each makes one request).
  EXPECT_EQ(count_of(a.rows, " Aggregated"), 200u);
  EXPECT_EQ(server.total(), 200u);
  auto x = run_endure("tags-x", {"-f", corpus + "tags.py", "--host", server.base_url(), "-u", "1", "-r", "100",
                                 "-t", "10s", "-i", "100", "--exclude-tags", "a"});
  EXPECT_EQ(x.proc.exit_code, 0) << x.proc.err;
  EXPECT_EQ(count_of(x.rows, "GET tag-a") + count_of(x.rows, "GET tag-ac") + count_of(x.rows, "GET set-a"), 0u);
  EXPECT_EQ(count_of(x.rows, "GET tag-b") + count_of(x.rows, "GET untagged"), 100u);
}

TEST(python_cli, list_and_task_ratio) {
  auto l = run_process({endure_bin, "-f", corpus + "tasksets.py", "--list"}, {}, 30s);
  ASSERT_EQ(l.exit_code, 0) << l.err;
  EXPECT_EQ(l.out, "TaskSetUser\nRescheduler\nStopper\nNotAnHttpUser\n");
  auto j = run_process({endure_bin, "-f", corpus + "tasksets.py", "--show-task-ratio-json", "TaskSetUser",
                        "Rescheduler"}, {}, 30s);
  ASSERT_EQ(j.exit_code, 0) << j.err;
  // Locust's structure and numbers (as Debian's Locust 2.12.1 prints them for this file): the
  // fixed_count Rescheduler takes the one user there is without -u; per_class ratios are
  // relative to the parent, total ones to the whole test.
  auto ratio = nlohmann::json::parse(j.out);
  ASSERT_EQ(ratio.size(), 2u) << j.out;
  EXPECT_DOUBLE_EQ(ratio["per_class"]["TaskSetUser"]["ratio"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(ratio["per_class"]["Rescheduler"]["ratio"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(ratio["per_class"]["Rescheduler"]["tasks"]["reschedule"]["ratio"].get<double>(), 0.75);
  EXPECT_DOUBLE_EQ(ratio["per_class"]["TaskSetUser"]["tasks"]["Nested"]["tasks"]["Inner"]["ratio"].get<double>(),
                   0.5);
  EXPECT_DOUBLE_EQ(ratio["total"]["TaskSetUser"]["tasks"]["Nested"]["tasks"]["Inner"]["ratio"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(ratio["total"]["Rescheduler"]["tasks"]["reschedule"]["ratio"].get<double>(), 0.75);
}

TEST(python_cli, a_load_test_shape_drives_the_users_and_ends_the_test) {
  test_server server;
  std::string dir = temp_dir("pyshape");
  auto r = run_process({endure_bin, "-f", corpus + "shape.py", "--host", server.base_url(),
                        "--headless", "--csv", dir + "/out", "--only-summary"},
                       {}, 120s);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("Test stopped (shape)"), std::string::npos) << r.err;
  auto lines = split(read_file(dir + "/out_stats_history.csv"), '\n');
  std::vector<std::string> counts;
  for (size_t i = 1; i < lines.size(); ++i)
    if (!lines[i].empty()) counts.push_back(split(lines[i], ',')[1]);
  ASSERT_GE(counts.size(), 4u);
  EXPECT_NE(std::find(counts.begin(), counts.end(), "4"), counts.end());
  EXPECT_NE(std::find(counts.begin(), counts.end(), "1"), counts.end());
  // After the second stage starts only Buyer runs: /status/201 keeps growing, /fast stops.
  EXPECT_GT(server.count("GET /status/201"), 0u);
  EXPECT_GT(server.count("GET /fast"), 0u);
}

TEST(python_cli, locustfile_options_from_the_command_line_config_and_environment) {
  test_server server;
  std::string dir = temp_dir("pyopts");
  std::ofstream(dir + "/endure.conf") << "mode = slow\n";
  auto r = run_process({endure_bin, "-f", corpus + "custom_options.py", "--host", server.base_url(),
                        "--headless", "-u", "1", "-t", "2s", "--my-arg", "hello", "--flag", "--csv",
                        dir + "/out", "--only-summary"},
                       {"LOCUST_COUNT=7"}, 120s, dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto rows = read_stats_csv(dir + "/out_stats.csv");
  EXPECT_EQ(rows.count("GET arg=hello flag=True count=7 mode=slow"), 1u) << read_file(dir + "/out_stats.csv");
  auto bad = run_process({endure_bin, "-f", corpus + "custom_options.py", "--host", server.base_url(),
                          "--headless", "--mode", "medium"},
                         {}, 60s);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("expected one of fast, slow"), std::string::npos) << bad.err;
  auto unknown = run_process({endure_bin, "-f", corpus + "custom_options.py", "--headless", "--nope"}, {}, 60s);
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("unknown option '--nope'"), std::string::npos) << unknown.err;
}

TEST(python_cli, reset_stats_fires_its_event_once_spawning_is_complete) {
  test_server server;
  auto r = run_endure("events-reset", {"-f", corpus + "events_hooks.py", "--host", server.base_url(),
                                       "-u", "2", "-r", "100", "-t", "1s", "--reset-stats"});
  auto spawned = r.proc.out.find("EVENT spawning_complete 2");
  auto reset = r.proc.out.find("EVENT reset_stats");
  ASSERT_NE(reset, std::string::npos) << r.proc.out;
  EXPECT_NE(spawned, std::string::npos) << r.proc.out;
  auto plain = run_endure("events-noreset", {"-f", corpus + "events_hooks.py", "--host", server.base_url(),
                                             "-u", "1", "-r", "100", "-t", "1s"});
  EXPECT_EQ(plain.proc.out.find("EVENT reset_stats"), std::string::npos) << plain.proc.out;
}

namespace {

// The CHECK rows a locustfile reports for its own assertions: every one present, none failed.
void expect_checks(run_result& r, const std::vector<std::string>& names) {
  for (const auto& n : names) {
    EXPECT_GE(count_of(r.rows, "CHECK " + n), 1u) << n << "\n" << r.failures << r.proc.err;
    EXPECT_EQ(count_of(r.rows, "CHECK " + n, "Failure Count"), 0u) << n << "\n" << r.failures;
  }
}

}  // namespace

TEST(python_cli, users_that_never_yield_share_the_loop_stop_on_time_and_keep_their_results) {
  test_server server;
  auto t0 = std::chrono::steady_clock::now();
  auto r = run_endure("never-yields", {"-f", corpus + "never_yields.py", "--host", server.base_url(), "-u", "4",
                                       "-r", "100", "-t", "2s", "--stop-timeout", "2s"});
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.proc.exit_code, 1) << r.proc.err;  // the raising task's exceptions
  EXPECT_LT(seconds, 8.0) << "the stop waited on users that never yield";
  EXPECT_EQ(r.proc.err.find("abandoned"), std::string::npos) << r.proc.err;
  // The HTTP user got its turns beside three users that never wait (one switch per task each).
  uint64_t fast = count_of(r.rows, "GET /fast");
  EXPECT_GE(fast, 30u);
  EXPECT_EQ(server.count("GET /fast"), fast);
  // The custom-protocol user and the raising user ran at full speed, and their results are kept.
  EXPECT_GE(count_of(r.rows, "XMLRPC call"), 500u);
  auto lines = split(r.exceptions, '\n');
  ASSERT_GE(lines.size(), 2u) << r.exceptions;
  EXPECT_NE(lines[1].find(",'missing',"), std::string::npos) << lines[1];
  EXPECT_GE(std::stoull(lines[1].substr(0, lines[1].find(','))), 500u) << lines[1];
}

TEST(python_cli, background_greenlets_run_beside_the_users_and_gevent_primitives_work) {
  auto t0 = std::chrono::steady_clock::now();
  auto r = run_endure("background", {"-f", corpus + "background_greenlets.py", "-u", "2", "-r", "100",
                                     "-t", "2s"});
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.proc.exit_code, 1) << r.proc.err << r.failures << r.exceptions;  // TimesOut's timeouts
  // A Timeout that left a task is a task exception (str: "0.01 seconds"), the user went on.
  auto lines = split(r.exceptions, '\n');
  ASSERT_GE(lines.size(), 2u) << r.exceptions;
  EXPECT_NE(lines[1].find(",0.01 seconds,"), std::string::npos) << lines[1];
  EXPECT_GE(std::stoull(lines[1].substr(0, lines[1].find(','))), 5u) << lines[1];
  EXPECT_LT(seconds, 8.0) << "an endless greenlet held the test";
  expect_checks(r, {"test_start greenlet ran while users run", "on_start greenlet", "get", "killall",
                    "kill a waiting greenlet",
                    "spawn_later joinall", "exception kept", "Timeout fires", "Timeout cancelled",
                    "semaphore bounds", "queue hand-off", "queue timeout", "joinable queue", "pool map",
                    "event wait", "lock non-blocking", "threadpool runs on another thread",
                    "greenlet-local values"});
  // The endless greenlet spawned from events.init ticked through the run (every 50 ms, ~2 s).
  auto at = r.proc.out.find("BG ticks ");
  ASSERT_NE(at, std::string::npos) << r.proc.out;
  EXPECT_GE(std::stoi(r.proc.out.substr(at + 9)), 20) << r.proc.out;
}

TEST(python_cli, blocking_io_of_standard_libraries_cooperates_with_the_users) {
  test_server server;
  auto tls = test_server::start_tls();
  std::string dir = temp_dir("blocking-io-ca");
  std::ofstream(dir + "/ca.pem") << tls->ca_cert_pem();
  std::string csv = temp_dir("blocking-io") + "/out";
  auto proc = run_process({endure_bin, "-f", corpus + "blocking_io.py", "--host", server.base_url(), "-u", "3",
                           "-r", "100", "-t", "6s", "--stop-timeout", "5s", "--headless", "--csv", csv, "--only-summary"},
                          {"TLS_URL=" + tls->base_url(), "TLS_CA=" + dir + "/ca.pem"}, 60s);
  run_result r;
  r.proc = proc;
  r.rows = read_stats_csv(csv + "_stats.csv");
  r.failures = read_file(csv + "_failures.csv");
  EXPECT_EQ(r.proc.exit_code, 0) << r.proc.err << r.failures;
  expect_checks(r, {"urllib lets users run", "http.client lets users run", "requests lets users run",
                    "socket echo", "close wakes a waiting greenlet", "select waits cooperatively", "select sees data", "socket timeout",
                    "getaddrinfo", "ssl lets users run"});
  // The helper's own requests reached the servers; endure's users' counts match the server's (a
  // grace time at the stop: a request in flight at the run time's end is finished and counted).
  EXPECT_EQ(server.count("GET /slow"), 3u);
  EXPECT_EQ(server.count("GET /status/299"), 1u);
  EXPECT_EQ(count_of(r.rows, "GET from init"), 1u);
  EXPECT_EQ(tls->count("GET /slow"), 1u);
  EXPECT_EQ(server.count("GET /fast"), count_of(r.rows, "GET /fast"));
}

TEST(python_cli, locust_api_rest_messages_runner_and_client_naming) {
  test_server server;
  auto r = run_endure("api", {"-f", corpus + "locust_api.py", "--host", server.base_url(), "-u", "2", "-r", "100",
                              "-t", "3s"});
  EXPECT_EQ(r.proc.exit_code, 1) << r.proc.err;  // the failing rest() blocks and the 404
  expect_checks(r, {"runner state", "target_user_count", "spawning_greenlet", "message delivered",
                    "stats total", "parallel requests on one client", "parallel cookie"});
  EXPECT_EQ(count_of(r.rows, "GET parallel"), 3u);
  EXPECT_EQ(count_of(r.rows, "GET parallel", "Failure Count"), 0u);
  EXPECT_EQ(server.count("GET /slow"), 3u);
  EXPECT_EQ(count_of(r.rows, "POST /echo"), 1u);
  EXPECT_EQ(count_of(r.rows, "POST /echo", "Failure Count"), 0u);
  EXPECT_EQ(count_of(r.rows, "GET /echo?_=..."), 1u);  // rest_: named without the timestamp
  EXPECT_EQ(count_of(r.rows, "GET /echo?_=...", "Failure Count"), 0u);
  for (std::string line : {std::string("GET,rest-assert,CatchResponseError('wrong method'),1"),
                           std::string(R"(GET,rest-assert-comma,"CatchResponseError('wrong method, response was {)"),
                           std::string(R"(GET,rest-exception,"CatchResponseError('KeyError: \'no such key\' at )"),
                           std::string(R"(GET,rest-not-json,"CatchResponseError('Could not parse response as JSON. )"
                                       R"(ok\n, response code 200, error Expecting value: line 1 column 1)"),
                           // FastHttpUser's texts and names: BadStatusCode, the URL as written.
                           "GET,/status/404,\"BadStatusCode('" + server.base_url() + "/status/404', code=404)\",1"})
    EXPECT_NE(r.failures.find(line), std::string::npos) << line << "\n" << r.failures;
  EXPECT_EQ(count_of(r.rows, "GET " + server.base_url() + "/echo?fast=1"), 1u);
  // HttpUser names an absolute URL by its path and query.
  EXPECT_EQ(count_of(r.rows, "GET /echo?abs=1"), 1u);
  EXPECT_EQ(count_of(r.rows, "POST form"), 1u);
  EXPECT_NE(r.proc.err.find("Unknown message type received: nobody-listens"), std::string::npos) << r.proc.err;
  EXPECT_EQ(server.count("GET /echo") + server.count("POST /echo") + server.count("GET /status/404") +
                server.count("GET /fast") + server.count("GET /slow") + server.count("GET /set-cookie"),
            count_of(r.rows, " Aggregated") - count_of(r.rows, "CHECK runner state") * 7);
}

TEST(python_cli, host_path_is_kept_a_plain_user_needs_no_host_and_a_class_without_tasks_is_skipped) {
  test_server server;
  auto r = run_endure("host-path", {"-f", corpus + "host_and_naming.py", "--host", server.base_url() + "/status",
                                    "-u", "3", "-r", "100", "-t", "2s"});
  EXPECT_EQ(r.proc.exit_code, 0) << r.proc.err << r.failures;
  EXPECT_NE(r.proc.err.find("no tasks defined on NoTasksHere"), std::string::npos) << r.proc.err;
  EXPECT_EQ(server.count("GET /status/201"), 1u);
  EXPECT_EQ(count_of(r.rows, "GET /status/201"), 1u);
  EXPECT_EQ(server.count("GET /status/202"), 1u);
  EXPECT_EQ(count_of(r.rows, "GET /status/202?q=a+b"), 1u);
  EXPECT_EQ(server.count("GET /status/203"), 1u);
  EXPECT_EQ(count_of(r.rows, "GET /203"), 1u);  // FastHttpUser: the URL as written
  EXPECT_GT(count_of(r.rows, "PLAIN ran"), 10u);

  auto plain = run_endure("no-host", {"-f", corpus + "plain_users.py", "-u", "2", "-r", "100", "-t", "1s"});
  EXPECT_EQ(plain.proc.exit_code, 0) << plain.proc.err;
  EXPECT_GT(count_of(plain.rows, "PLAIN ran"), 10u);
}

TEST(python_cli, an_exception_in_an_event_handler_names_the_handler_and_sets_locusts_exit_code) {
  auto r = run_endure("handler-error", {"-f", corpus + "event_handler_error.py", "-u", "1", "-r", "100",
                                        "-t", "1s"});
  EXPECT_NE(r.proc.err.find("Uncaught exception in event handler event_handler_error.broken_test_start"),
            std::string::npos)
      << r.proc.err;
  EXPECT_NE(r.proc.err.find("RuntimeError: cannot prepare test data"), std::string::npos) << r.proc.err;
  // Locust's rule (exit code 2 when a handler raised and nothing else failed) reaches the quit
  // listeners; program::finish() returns it for the app to exit with.
  EXPECT_NE(r.proc.out.find("EVENT quit 2"), std::string::npos) << r.proc.out;
}

TEST(python_cli, run_single_user_runs_one_user_in_the_foreground_and_prints_its_requests) {
  test_server server;
  // Imported by a normal run, the file does not call it: nothing runs before the test.
  auto normal = run_endure("single-normal", {"-f", corpus + "single_user.py", "--host", server.base_url(),
                                             "-u", "1", "-r", "100", "-t", "1s"});
  EXPECT_EQ(normal.proc.out.find("SINGLE USER DONE"), std::string::npos);
  server.reset();
  // Called (a debugging session): one user runs in the foreground until it stops.
  auto r = run_process({endure_bin, "-f", corpus + "single_user.py", "--list"},
                       {"SINGLE_USER=1", "SINGLE_USER_HOST=" + server.base_url()}, 60s);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("type\tname"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("SINGLE USER DONE 2"), std::string::npos) << r.out;
  EXPECT_EQ(server.count("GET /fast"), 2u);
  EXPECT_EQ(server.count("GET /status/404"), 2u);
  auto lines = split(r.out, '\n');
  EXPECT_EQ(std::count_if(lines.begin(), lines.end(),
                          [](const std::string& l) { return l.rfind("GET\t/status/404", 0) == 0 &&
                                                            l.find("HTTPError('404 Client Error") != std::string::npos; }),
            2)
      << r.out;
}

TEST(python_cli, a_markov_task_set_follows_its_transitions) {
  test_server server;
  auto r = run_endure("markov", {"-f", corpus + "markov.py", "--host", server.base_url(), "-u", "1", "-r", "100",
                                 "-t", "10s", "-i", "400"});
  EXPECT_EQ(r.proc.exit_code, 0) << r.proc.err << r.exceptions;
  uint64_t home = count_of(r.rows, "GET home"), browse = count_of(r.rows, "GET browse"),
           buy = count_of(r.rows, "GET buy"), leave = count_of(r.rows, "GET leave");
  // Every path: home -> browse (-> browse)* -> buy -> (home | leave); leave -> interrupt -> home.
  EXPECT_GT(home, 10u);
  EXPECT_GE(browse, home - 1);         // each home is followed by a browse
  EXPECT_LE(buy, browse);              // a buy only after a browse
  EXPECT_LE(leave, buy);               // a leave only after a buy
  EXPECT_GT(leave, 0u);
  EXPECT_EQ(server.count("GET /status/200"), home);
  EXPECT_EQ(server.count("GET /status/203"), leave);
}

TEST(python_cli, a_task_that_never_yields_is_named_with_its_class_and_task) {
  auto r = run_endure("stuck-once", {"-f", corpus + "stuck_once.py", "-u", "1", "-r", "100", "-t", "8s"});
  // python_shard::current_task() says where the hub is: "Class.task" of the running user.
  EXPECT_NE(r.proc.err.find("stuck in user code (Cruncher.crunch_numbers)"), std::string::npos) << r.proc.err;
}

// Issue 18, the Python half: a user that loops forever after a request. The run still ends soon
// after -t, names the class and task, exits with 5, and keeps the request made before the loop.
TEST(python_cli, a_user_stuck_forever_is_abandoned_named_and_its_results_kept) {
  const auto t0 = std::chrono::steady_clock::now();
  auto r = run_endure("stuck-forever", {"-f", corpus + "stuck_forever.py", "-u", "1", "-r", "100", "-t", "1s",
                                        "--stop-timeout", "0"});
  EXPECT_FALSE(r.proc.timed_out);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 30s);
  EXPECT_EQ(r.proc.exit_code, 5) << r.proc.err;
  EXPECT_NE(r.proc.err.find("Spinner.spin"), std::string::npos) << r.proc.err;
  EXPECT_EQ(count_of(r.rows, "GET /before-spin"), 1u);
  EXPECT_EQ(count_of(r.rows, "GET /before-spin", "Failure Count"), 1u);
}

// gevent.monkey.patch_all() and gevent.lock as field files use them: an RLock re-entered by its
// owner excludes the other greenlets across a sleep; a BoundedSemaphore(2) lets two in at a time.
TEST(python_cli, gevent_locks_and_monkey_patching_work_as_under_gevent) {
  auto r = run_endure("gevent-locks", {"-f", corpus + "gevent_locks.py", "-u", "1", "-r", "100", "-t", "2s"});
  EXPECT_EQ(r.proc.exit_code, 0) << r.proc.err;
  EXPECT_NE(r.proc.out.find("LOCKS done=11 rlock_overlap=0 gate_max=2 locked_after=False patched=True"),
            std::string::npos)
      << r.proc.out << r.proc.err;
}

TEST(python_cli, environment_stats_total_is_readable_when_quitting_to_choose_the_exit_code) {
  test_server server;
  auto r = run_endure("exit-from-stats", {"-f", corpus + "exit_code_from_stats.py", "--host", server.base_url(),
                                          "-u", "2", "-r", "100", "-t", "1s"});
  uint64_t total = count_of(r.rows, " Aggregated"), failures = count_of(r.rows, " Aggregated", "Failure Count");
  ASSERT_GT(total, 10u);
  // The numbers the quitting listener read are the run's own (half the requests failed).
  EXPECT_NE(r.proc.out.find("STATS requests=" + std::to_string(total) + " failures=" + std::to_string(failures) +
                            " fail_ratio=0.500 p95_ok=True max_ok=True"),
            std::string::npos)
      << r.proc.out;
  // environment.process_exit_code reaches the quit listeners (python::program::exit_code()).
  EXPECT_NE(r.proc.out.find("EVENT quit 3"), std::string::npos) << r.proc.out;
}

// --show-task-ratio-json prints what Debian's Locust 2.12.1 prints for the same file, byte for
// byte (classes and tasks in their order, ratios relative to the parent in per_class).
TEST(python_cli, task_ratio_json_is_locusts_byte_for_byte) {
  const std::string file = corpus + "task_ratio.py";
  auto ours = run_process({endure_bin, "-f", file, "--show-task-ratio-json"}, {}, 60s);
  ASSERT_EQ(ours.exit_code, 0) << ours.err;
  auto theirs = run_process({"/usr/bin/python3", ENDURE_SOURCE_DIR "/tests/cli/locust_wrapper.py",
                             "-f", file, "--show-task-ratio-json"},
                            {}, 60s);
  if (theirs.exit_code != 0) GTEST_SKIP() << "Debian's python3-locust did not run: " << theirs.err;
  EXPECT_EQ(ours.out, theirs.out);
  auto with_u = run_process({endure_bin, "-f", file, "--show-task-ratio-json", "-u", "5"}, {}, 60s);
  auto theirs_u = run_process({"/usr/bin/python3", ENDURE_SOURCE_DIR "/tests/cli/locust_wrapper.py",
                               "-f", file, "--show-task-ratio-json", "-u", "5"},
                              {}, 60s);
  EXPECT_EQ(with_u.out, theirs_u.out);
}
