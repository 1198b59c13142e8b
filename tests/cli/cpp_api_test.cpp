// C++ locustfiles through the endure binary: Locust's events and request.fire, the locustfile's
// own options (command line, config, environment, --help), and the footguns that must be loud: a
// task that is not a coroutine, a request not awaited, compiler warnings, a missing clang, a
// folder that mixes languages.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "cli_support.hpp"
#include "support/test_server.hpp"

namespace fs = std::filesystem;
using namespace endure::test_support;
using namespace std::chrono_literals;

namespace {

const std::string api = ENDURE_SOURCE_DIR "/tests/cli/locustfiles/api/";

// The last line of stderr (the one `endure: error:` line after the compiler's messages).
std::string last_line(const std::string& s) {
  auto lines = split(s, '\n');
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines.empty() ? "" : lines.back();
}

}  // namespace

TEST(cpp_api_cli, events_fire_in_order_with_locust_arguments_and_request_fire_records) {
  test_server server;
  std::string dir = temp_dir("cpp-events");
  auto r = run_process({endure_bin, "-f", api + "events_hooks.cpp", "--host", server.base_url(),
                        "--headless", "-u", "3", "-r", "100", "-t", "2s", "--stop-timeout", "10s",
                        "--csv", dir + "/out", "--only-summary"},
                       {cache_env}, 120s);
  EXPECT_EQ(r.exit_code, 1) << r.err;  // /status/503 fails by design
  const std::string& out = r.out;
  const std::vector<std::string> order = {
      "EVENT init users=3 shop_user=ada count=1 ratio=0.5 fast=false mode=fast",
      "EVENT test_start", "EVENT spawning_complete 3", "EVENT test_stopping", "EVENT test_stop",
      "EVENT quitting", "EVENT quit 1"};
  size_t pos = 0;
  for (const auto& e : order) {
    auto p = out.find(e, pos);
    EXPECT_NE(p, std::string::npos) << e << "\n" << out;
    if (p != std::string::npos) pos = p;
  }
  auto rows = read_stats_csv(dir + "/out_stats.csv");
  const uint64_t fast = count_of(rows, "GET /fast"), err = count_of(rows, "GET /status/503");
  ASSERT_GT(fast, 10u);
  EXPECT_EQ(server.count("GET /fast"), fast);
  EXPECT_EQ(server.count("GET /status/503"), err);
  // Fired from a task and from a thread of the locustfile's own: recorded like any request.
  EXPECT_EQ(count_of(rows, "CUSTOM fired"), 1u);
  EXPECT_EQ(rows["CUSTOM fired"]["Average Response Time"], "12.5");
  EXPECT_EQ(rows["CUSTOM fired"]["Average Content Size"], "3");
  EXPECT_EQ(count_of(rows, "CUSTOM fired-fail", "Failure Count"), 1u);
  EXPECT_EQ(count_of(rows, "METRIC from a thread"), 1u);
  EXPECT_EQ(rows["METRIC from a thread"]["Average Response Time"], "7");
  auto failures = read_file(dir + "/out_failures.csv");
  EXPECT_NE(failures.find("CUSTOM,fired-fail,custom failure,1,"), std::string::npos) << failures;
  // The request listener saw every request (the engine's with their response and context), and
  // the environment's totals at test_stop are the run's.
  const uint64_t total = count_of(rows, " Aggregated");
  EXPECT_EQ(total, fast + err + 3);
  EXPECT_NE(out.find("EVENT test_stop requests=" + std::to_string(total) + " ok=" +
                     std::to_string(fast + 2) + " total=" + std::to_string(total) +
                     " failures=" + std::to_string(err + 1) +
                     " with_response=" + std::to_string(fast + err) +
                     " with_context=" + std::to_string(fast)),
            std::string::npos)
      << out;
}

// environment().quit() from a task stops the test long before -t, with every output written;
// --reset-stats fires the reset_stats listeners once the users are spawned.
TEST(cpp_api_cli, quit_from_a_task_stops_the_test_and_reset_stats_fires_its_event) {
  test_server server;
  std::string dir = temp_dir("cpp-quit");
  const auto t0 = std::chrono::steady_clock::now();
  auto r = run_process({endure_bin, "-f", api + "quits.cpp", "--host", server.base_url(), "--headless",
                        "-u", "2", "-r", "100", "-t", "60s", "--reset-stats", "--csv", dir + "/out",
                        "--only-summary"},
                       {cache_env}, 120s);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 40s) << "quit() ends the test, not -t 60s";
  EXPECT_NE(r.err.find("Test stopped (quit)"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("EVENT reset_stats user_count=2"), std::string::npos) << r.out;
  auto rows = read_stats_csv(dir + "/out_stats.csv");
  EXPECT_GT(count_of(rows, "GET /fast"), 0u);
  EXPECT_LE(count_of(rows, "GET /fast"), server.count("GET /fast"));
}

TEST(cpp_api_cli, locustfile_options_from_command_line_config_environment_and_help) {
  std::string dir = temp_dir("cpp-options");
  std::ofstream(dir + "/endure.conf") << "mode = slow\n";
  // -l runs no test: the init listener prints what it got.
  auto r = run_process({endure_bin, "-f", api + "events_hooks.cpp", "--host", "http://127.0.0.1:1",
                        "--headless", "-u", "2", "-t", "1s", "--only-summary", "--shop-user", "grace",
                        "--fast", "--ratio=0.25"},
                       {cache_env, "LOCUST_COUNT=7"}, 120s, dir);
  EXPECT_EQ(r.exit_code, 1) << r.err;  // nothing listens on port 1
  EXPECT_NE(r.out.find("EVENT init users=2 shop_user=grace count=7 ratio=0.25 fast=true mode=slow\n"),
            std::string::npos)
      << r.out << r.err;
  struct bad_case {
    std::vector<std::string> args;
    std::string err;
    std::vector<std::string> env;
  };
  const std::vector<bad_case> bad = {
      {{"--count", "seven"}, "endure: error: invalid value 'seven' for --count: expected an integer\n"},
      {{}, "endure: error: invalid value 'x' for --count (from environment): "
           "expected an integer\n", {"LOCUST_COUNT=x"}},
      {{"--ratio", "1/2"}, "endure: error: invalid value '1/2' for --ratio: expected a number\n"},
      {{"--mode", "medium"},
       "endure: error: invalid value 'medium' for --mode: expected one of fast, slow\n"},
      {{"--nope"}, "endure: error: unknown option '--nope' (see endure --help)\n"},
  };
  for (const auto& c : bad) {
    std::vector<std::string> argv = {endure_bin, "-f", api + "events_hooks.cpp", "--headless"};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    auto env = c.env;
    env.push_back(cache_env);
    auto b = run_process(argv, env, 60s);
    EXPECT_EQ(b.exit_code, 2) << c.err;
    EXPECT_EQ(b.err, c.err);
    EXPECT_EQ(b.out, "");
  }
  // endure's own bad values are found before the locustfile is loaded (nothing is compiled).
  auto early = run_process({endure_bin, "-f", api + "events_hooks.cpp", "--headless", "-u", "0"},
                           {"ENDURE_CACHE_DIR=" + dir + "/empty-cache"}, 60s);
  EXPECT_EQ(early.exit_code, 2);
  EXPECT_EQ(early.err.find("compiling"), std::string::npos) << early.err;
  EXPECT_FALSE(fs::exists(dir + "/empty-cache"));
  // --help with the file lists its options; without -f it equals the plain help.
  auto help = run_process({endure_bin, "-f", api + "events_hooks.cpp", "--help"}, {cache_env}, 60s);
  EXPECT_EQ(help.exit_code, 0) << help.err;
  EXPECT_NE(help.out.find("\nOptions of the locustfile:\n"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("      --shop-user VALUE           who logs in (default: ada)\n"), std::string::npos)
      << help.out;
  EXPECT_NE(help.out.find("      --fast                      a switch\n"), std::string::npos) << help.out;
  auto plain = run_process({endure_bin, "--help"}, {}, 10s);
  EXPECT_EQ(plain.out.find("--shop-user"), std::string::npos);
}

TEST(cpp_api_cli, a_task_that_is_not_a_coroutine_does_not_compile_and_says_what_to_write) {
  auto r = run_process({endure_bin, "-f", api + "no_coroutine.cpp", "--headless", "-t", "1s"},
                       {cache_env}, 120s);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("no_coroutine.cpp:6:"), std::string::npos) << "the compiler's messages: " << r.err;
  EXPECT_EQ(last_line(r.err),
            "endure: error: " + api +
                "no_coroutine.cpp:6: this function returns nothing; a task (or on_start, on_stop, a "
                "helper returning Task or Async) that never uses co_await is not a coroutine and "
                "would crash the run: end it with `co_return;`");
  EXPECT_TRUE(r.out.empty());
}

TEST(cpp_api_cli, a_request_without_co_await_does_not_compile_and_says_what_to_write) {
  auto r = run_process({endure_bin, "-f", api + "not_awaited.cpp", "--headless", "-t", "1s"},
                       {cache_env}, 120s);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("does nothing until it is awaited"), std::string::npos) << r.err;
  EXPECT_EQ(last_line(r.err),
            "endure: error: " + api +
                "not_awaited.cpp:7: a request (or a Task, Async or sleep) that is not awaited does "
                "nothing: write `co_await client.get(...)` (or `auto r = co_await client.get(...)`)");
}

TEST(cpp_api_cli, a_request_kept_but_never_awaited_is_reported_as_an_exception) {
  test_server server;
  std::string dir = temp_dir("cpp-stored");
  auto r = run_process({endure_bin, "-f", api + "stored_not_awaited.cpp", "--host", server.base_url(),
                        "--headless", "-u", "1", "-t", "1s", "--csv", dir + "/out", "--only-summary"},
                       {cache_env}, 120s);
  EXPECT_EQ(r.exit_code, 1) << r.err;  // an exception makes the exit code 1
  EXPECT_EQ(server.count("GET /fast"), 0u);
  EXPECT_GT(server.count("GET /status/204"), 0u);
  auto exceptions = read_file(dir + "/out_exceptions.csv");
  EXPECT_NE(exceptions.find("\"RequestNotAwaited: GET /fast was never awaited, so it was not sent: write "
                            "co_await client.get(...)\",Forgetful.index,local"),
            std::string::npos)
      << exceptions;
}

TEST(cpp_api_cli, compiler_warnings_are_shown_on_every_run) {
  std::string dir = temp_dir("cpp-warns");
  const std::string cache = "ENDURE_CACHE_DIR=" + dir + "/cache";
  auto first = run_process({endure_bin, "-f", api + "warns.cpp", "--list"}, {cache}, 120s);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.err.find("compiling"), std::string::npos);
  EXPECT_NE(first.err.find("endure test: this locustfile is a draft"), std::string::npos) << first.err;
  auto second = run_process({endure_bin, "-f", api + "warns.cpp", "--list"}, {cache}, 60s);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(second.err.find("compiling"), std::string::npos) << second.err;
  EXPECT_NE(second.err.find("endure test: this locustfile is a draft"), std::string::npos) << second.err;
  EXPECT_NE(second.err.find("the compiler's warnings above are from its cached build"), std::string::npos)
      << second.err;
  EXPECT_EQ(second.out, "Draft\n");
}

TEST(cpp_api_cli, a_missing_clang_is_said_at_start) {
  std::string dir = temp_dir("cpp-compilers");
  fs::create_directories(dir + "/gcc-only");
  fs::create_directories(dir + "/none");
  // g++ with the assembler and linker it runs, and nothing else: no clang++.
  for (const char* tool : {"g++", "as", "ld"}) fs::create_symlink(std::string("/usr/bin/") + tool, dir + "/gcc-only/" + tool);
  auto gcc = run_process({endure_bin, "-f", api + "warns.cpp", "--list"},
                         {"PATH=" + dir + "/gcc-only", "ENDURE_CACHE_DIR=" + dir + "/cache"}, 120s);
  EXPECT_NE(gcc.err.find("WARNING [cppfile]: clang++ is not installed: compiling with g++, which rejects "
                         "request options written inside co_await"),
            std::string::npos)
      << gcc.err;
  EXPECT_EQ(gcc.exit_code, 0) << gcc.err;
  auto none = run_process({endure_bin, "-f", api + "warns.cpp", "--list"},
                          {"PATH=" + dir + "/none", "ENDURE_CACHE_DIR=" + dir + "/cache2"}, 60s);
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_EQ(none.err,
            "endure: error: no C++ compiler to build the locustfile: install clang (apt-get install "
            "clang; bash scripts/install-deps.sh does) or set ENDURE_CXX to a C++20 compiler\n");
}

TEST(cpp_api_cli, a_folder_that_mixes_languages_is_refused_in_one_line) {
  auto r = run_process({endure_bin, "-f", api + "mixed", "--headless", "-t", "1s"}, {cache_env}, 60s);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "endure: error: " + api + "mixed mixes languages (" + api + "mixed/a.py is Python, " +
                       api + "mixed/b.cpp is C++): one run uses one language; name the .py or the .cpp "
                       "files with -f\n");
}

TEST(cpp_api_cli, the_log_names_the_real_url_of_a_failure_grouped_by_name) {
  test_server server;
  std::string dir = temp_dir("cpp-named");
  auto r = run_process({endure_bin, "-f", api + "named.cpp", "--host", server.base_url(), "--headless",
                        "-u", "4", "-r", "100", "-t", "1s", "--csv", dir + "/out", "--only-summary"},
                       {cache_env}, 120s);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  ASSERT_GT(server.count("GET /status/503"), 10u);
  const std::string line = "INFO [failures]: GET /status/[code] (grouped by name=) failed first at " +
                           server.base_url() + "/status/503: HTTPError('503 Server Error: Service Unavailable for url: /status/[code]')\n";
  auto first = r.err.find(line);
  EXPECT_NE(first, std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(line, first + 1), std::string::npos) << "once per kind, not per failure";
  EXPECT_EQ(r.err.find("/fast-named"), std::string::npos) << "successes are not logged";
  auto failures = read_file(dir + "/out_failures.csv");
  EXPECT_NE(failures.find("GET,/status/[code],HTTPError('503 Server Error: Service Unavailable for url: /status/[code]'),"),
            std::string::npos)
      << failures;
}

namespace {
// The ```cpp blocks of a markdown file.
std::vector<std::string> cpp_blocks(const std::string& md) {
  std::vector<std::string> out;
  for (size_t p = 0; (p = md.find("```cpp\n", p)) != std::string::npos;) {
    p += 7;
    auto end = md.find("```", p);
    out.push_back(md.substr(p, end - p));
    p = end + 3;
  }
  return out;
}
}  // namespace

TEST(cpp_api_cli, every_complete_cpp_example_in_the_docs_compiles_and_the_seeds_are_the_examples) {
  std::string dir = temp_dir("cpp-doc-examples");
  int complete = 0;
  for (const char* doc : {"/docs/cpp-locustfiles.md", "/README.md"}) {
    const auto blocks = cpp_blocks(read_file(source_dir + doc));
    for (size_t i = 0; i < blocks.size(); ++i) {
      const auto& b = blocks[i];
      if (b.find("#include <endure/endure.hpp>") == std::string::npos || b.find("ENDURE_USERS(") == std::string::npos)
        continue;  // a fragment
      ++complete;
      const std::string file = dir + "/example_" + std::to_string(complete) + ".cpp";
      std::ofstream(file) << b;
      auto r = run_process({endure_bin, "-f", file, "--list"}, {cache_env}, 120s);
      EXPECT_EQ(r.exit_code, 0) << doc << " block " << i << ":\n" << b << "\n" << r.err;
      EXPECT_FALSE(r.out.empty());
      EXPECT_EQ(r.err.find("warning"), std::string::npos) << doc << " block " << i << ": " << r.err;
    }
  }
  EXPECT_GE(complete, 5);  // two seeds, the tour, the events example, the README
  // The seed examples in the guide are the files in examples/, verbatim.
  const auto guide = read_file(source_dir + "/docs/cpp-locustfiles.md");
  for (const char* f : {"/examples/locustfile.cpp", "/examples/ecommerce.cpp"})
    EXPECT_NE(guide.find("```cpp\n" + read_file(source_dir + f) + "```"), std::string::npos) << f;
}
