#include "cli/options.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

using endure::cli::parse;
using namespace std::chrono_literals;

namespace {
// One dir per test process, removed when it exits.
struct scratch_dir {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("endure-opt-" + std::to_string(::getpid()));
  scratch_dir() { std::filesystem::create_directories(path); }
  ~scratch_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};
std::string tmpdir() {
  static scratch_dir dir;
  return dir.path.string();
}
}  // namespace

TEST(options, locust_flags) {
  auto o = parse({"-f", "x.cpp", "--host", "http://localhost:8080", "--headless", "-u", "100", "-r",
                  "10", "--run-time", "7d", "-T", "a", "b", "--csv=out/run", "WebsiteUser"},
                 {}, tmpdir());
  ASSERT_TRUE(o.ok()) << o.err().message;
  EXPECT_EQ(o->locustfile, "x.cpp");
  EXPECT_EQ(o->host, "http://localhost:8080");
  EXPECT_TRUE(o->headless);
  EXPECT_EQ(o->users, 100u);
  EXPECT_EQ(o->spawn_rate, 10.0);
  EXPECT_EQ(*o->run_time, 7 * 24h);
  EXPECT_EQ(o->tags, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(o->csv_prefix, "out/run");
  EXPECT_EQ(o->user_classes, (std::vector<std::string>{"WebsiteUser"}));
}

TEST(options, precedence_config_env_cli) {
  std::string d = tmpdir() + "/prec";
  std::filesystem::create_directories(d);
  std::ofstream(d + "/locust.conf") << "users = 5\nspawn-rate = 2\nrun_time = 1m\n# comment\n";
  std::ofstream(d + "/endure.conf") << "users = 6\n";
  auto o = parse({}, {"LOCUST_SPAWN_RATE=3"}, d);
  ASSERT_TRUE(o.ok()) << o.err().message;
  EXPECT_EQ(o->users, 6u);          // endure.conf over locust.conf
  EXPECT_EQ(o->spawn_rate, 3.0);    // env over config
  EXPECT_EQ(*o->run_time, 1min);
  auto o2 = parse({"-r", "4"}, {"LOCUST_SPAWN_RATE=3", "ENDURE_USERS=9"}, d);
  ASSERT_TRUE(o2.ok());
  EXPECT_EQ(o2->spawn_rate, 4.0);   // cli over env
  EXPECT_EQ(o2->users, 9u);
}

TEST(options, bad_values_name_flag_value_and_expectation) {
  struct bad_case {
    std::vector<std::string> args;
    std::string must_contain;
  };
  std::vector<bad_case> cases = {
      {{"-u", "0"}, "--users"},
      {{"-u", "-5"}, "'-5'"},
      {{"-r", "0"}, "--spawn-rate"},
      {{"-r", "-1"}, "positive"},
      {{"--run-time", "7x"}, "'7x'"},
      {{"--run-time", "-5s"}, "--run-time"},
      {{"-t", "1h30x"}, "expected"},
      {{"--host", "localhost:8080"}, "http://"},
      {{"--bogus"}, "unknown option '--bogus'"},
      {{"-Z"}, "unknown option"},
      {{"-u"}, "needs a value"},
      {{"--threads", "0"}, "--threads"},
      {{"--exit-code-on-error", "300"}, "0 to 255"},
      {{"-L", "LOUD"}, "--loglevel"},
      {{"--headless=maybe"}, "true or false"},
      {{"--list", "--show-task-ratio"}, "exclude each other"},
  };
  for (const auto& c : cases) {
    auto o = parse(c.args, {}, tmpdir());
    ASSERT_FALSE(o.ok()) << c.args[0];
    EXPECT_NE(o.err().message.find(c.must_contain), std::string::npos) << o.err().message;
    EXPECT_EQ(o.err().code, 2);
    EXPECT_EQ(o.err().message.find('\n'), std::string::npos) << "one line";
  }
}

TEST(options, config_file_errors) {
  std::string d = tmpdir() + "/badconf";
  std::filesystem::create_directories(d);
  std::ofstream(d + "/endure.conf") << "userz = 5\n";
  auto o = parse({}, {}, d);
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.err().message.find("unknown option 'userz'"), std::string::npos) << o.err().message;
  std::ofstream(d + "/endure.conf") << "users = many\n";
  auto o2 = parse({}, {}, d);
  ASSERT_FALSE(o2.ok());
  EXPECT_NE(o2.err().message.find("from config file"), std::string::npos) << o2.err().message;
  auto o3 = parse({"--config", d + "/missing.conf"}, {}, tmpdir());
  ASSERT_FALSE(o3.ok());
  EXPECT_NE(o3.err().message.find("cannot read config file"), std::string::npos);
}

TEST(options, console_rows_takes_a_count_or_all) {
  auto d = parse({}, {});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->console_rows, 20u);
  auto n = parse({"--console-rows", "5"}, {});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->console_rows, 5u);
  auto all = parse({"--console-rows=all"}, {});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->console_rows, 0u);
  auto env = parse({}, {"ENDURE_CONSOLE_ROWS=0"});
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->console_rows, 0u);
  auto bad = parse({"--console-rows", "many"}, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.err().message,
            "invalid value 'many' for --console-rows: expected a number of rows (0 or all: every "
            "row)");
}

TEST(options, help_lists_every_locust_flag) {
  std::string h = endure::cli::help_text();
  for (const char* f : {"--locustfile", "--host", "--users", "--spawn-rate", "--run-time", "--headless",
                        "--iterations", "--stop-timeout", "--tags", "--exclude-tags", "--csv",
                        "--csv-full-history", "--json", "--json-file", "--html", "--only-summary",
                        "--print-stats", "--reset-stats", "--loglevel", "--logfile",
                        "--exit-code-on-error", "--list", "--show-task-ratio",
                        "--show-task-ratio-json", "--config", "--version", "--threads",
                        "--request-timeout", "--insecure", "--seed"})
    EXPECT_NE(h.find(f), std::string::npos) << f;
}

TEST(options, locustfile_options_from_cli_config_and_env) {
  std::vector<endure::cli::extra_option> extras = {
      {"my-flag", true, "", "a switch", {}},
      {"env-name", false, "staging", "which environment", {"staging", "prod"}},
      {"batch", false, "10", "batch size", {}},
  };
  std::string d = tmpdir() + "/extras";
  std::filesystem::create_directories(d);
  std::ofstream(d + "/endure.conf") << "batch = 25\n";
  auto o = parse({"--my-flag", "--env-name", "prod"}, {}, d, extras);
  ASSERT_TRUE(o.ok()) << o.err().message;
  EXPECT_EQ(o->extra["my-flag"], "true");
  EXPECT_EQ(o->extra["env-name"], "prod");
  EXPECT_EQ(o->extra["batch"], "25");  // from the config file
  auto o2 = parse({}, {"LOCUST_BATCH=40"}, tmpdir(), extras);
  ASSERT_TRUE(o2.ok());
  EXPECT_EQ(o2->extra["batch"], "40");
  EXPECT_EQ(o2->extra["my-flag"], "false");
  EXPECT_EQ(o2->extra["env-name"], "staging");  // default
  auto bad = parse({"--env-name", "qa"}, {}, tmpdir(), extras);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.err().message.find("expected one of staging, prod"), std::string::npos);
  // Without the locustfile's options they are unknown, unless a first pass allows that.
  EXPECT_FALSE(parse({"--batch", "3", "-u", "2"}, {}, tmpdir()).ok());
  auto first = parse({"--batch", "3", "-u", "2", "-f", "x.py"}, {}, tmpdir(), {}, true);
  ASSERT_TRUE(first.ok()) << first.err().message;
  EXPECT_EQ(first->users, 2u);
  EXPECT_EQ(first->locustfile, "x.py");
  EXPECT_NE(endure::cli::help_text(extras).find("--env-name VALUE"), std::string::npos);
}
