// cli::raw_options: one read of the command line, environment and config files, then resolve:
// precedence by value, the locustfile's own options, every kind of bad input with its exact
// message, the default locustfile, and the flags answered before resolve.
#include "cli/raw_options.hpp"

#include <gtest/gtest.h>

#include "scratch.hpp"

using namespace endure::cli;
using namespace endure::cli::testing;
using namespace std::chrono_literals;

TEST(raw_options, locust_flags_on_one_command_line) {
  auto o = parse({"-f", "x.cpp", "--host", "http://localhost:8080", "--headless", "-u", "100", "-r", "10",
                  "--run-time", "7d", "-T", "a", "b", "--csv=out/run", "WebsiteUser"},
                 {}, scratch("flags"));
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

TEST(raw_options, defaults_are_locusts) {
  auto o = parse({}, {}, scratch("defaults"));
  ASSERT_TRUE(o.ok()) << o.err().message;
  EXPECT_EQ(o->users, 1u);
  EXPECT_EQ(o->spawn_rate, 1.0);
  EXPECT_FALSE(o->run_time);
  EXPECT_EQ(o->web_port, 8089);
  EXPECT_EQ(o->web_host, "127.0.0.1");  // not Locust's "*": the UI is a tool to attack with
  EXPECT_FALSE(o->autoquit);
  EXPECT_EQ(o->master_bind_host, "*");
  EXPECT_EQ(o->master_bind_port, 5557);
  EXPECT_EQ(o->master_host, "127.0.0.1");
  EXPECT_EQ(o->master_port, 5557);
  EXPECT_EQ(o->expect_workers, 1u);
  EXPECT_EQ(o->expect_workers_max_wait, 0ms);
  EXPECT_EQ(o->processes, 0);
  EXPECT_TRUE(o->store.empty());
  EXPECT_FALSE(o->no_store);
  EXPECT_TRUE(o->source.empty());
}

TEST(raw_options, precedence_by_value) {
  std::string d = scratch("precedence");
  write(d + "/locust.conf", "users = 5\nspawn-rate = 2\nrun_time = 1m\nhost = http://locust.conf\n");
  write(d + "/endure.conf", "users = 6\nhost = http://endure.conf\n");
  write(d + "/given.conf", "users = 7\n");
  auto o = parse({}, {"LOCUST_SPAWN_RATE=3"}, d);
  ASSERT_TRUE(o.ok()) << o.err().message;
  EXPECT_EQ(o->users, 6u);          // endure.conf over locust.conf
  EXPECT_EQ(o->host, "http://endure.conf");
  EXPECT_EQ(o->spawn_rate, 3.0);    // environment over config
  EXPECT_EQ(*o->run_time, 1min);    // only in locust.conf
  auto g = parse({"--config", d + "/given.conf"}, {}, d);
  ASSERT_TRUE(g.ok()) << g.err().message;
  EXPECT_EQ(g->users, 7u);  // --config over endure.conf
  auto e = parse({}, {"ENDURE_CONFIG=" + d + "/given.conf"}, d);
  ASSERT_TRUE(e.ok()) << e.err().message;
  EXPECT_EQ(e->users, 7u);  // --config may come from the environment
  auto o2 = parse({"-r", "4"}, {"LOCUST_SPAWN_RATE=3", "ENDURE_SPAWN_RATE=3.5", "ENDURE_USERS=9", "LOCUST_USERS=8"}, d);
  ASSERT_TRUE(o2.ok()) << o2.err().message;
  EXPECT_EQ(o2->spawn_rate, 4.0);  // command line over environment
  EXPECT_EQ(o2->users, 9u);        // ENDURE_* over LOCUST_*, whatever their order
  auto o3 = parse({}, {"ENDURE_USERS=9", "LOCUST_USERS=8"}, d);
  ASSERT_TRUE(o3.ok());
  EXPECT_EQ(o3->users, 9u);
  // Locust's own spelling and ENDURE_*: ENDURE_* wins.
  auto m = parse({}, {"ENDURE_MASTER_HOST=10.0.0.2", "LOCUST_MASTER_NODE_HOST=10.0.0.1"}, d);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->master_host, "10.0.0.2");
}

TEST(raw_options, a_repeated_option_keeps_its_last_value_lists_included) {
  auto o = parse({"-u", "2", "--users", "3", "-T", "a", "b", "-T", "c"}, {}, scratch("repeat"));
  ASSERT_TRUE(o.ok()) << o.err().message;
  EXPECT_EQ(o->users, 3u);
  EXPECT_EQ(o->tags, (std::vector<std::string>{"c"}));
}

TEST(raw_options, repeatable_options_add_up_within_a_source_and_a_higher_source_replaces) {
  std::string d = scratch("repeatable");
  auto o = parse({"--threshold", "p95<500ms", "--threshold=fail_ratio<0.01", "--limit", "rss=8GB",
                  "--threshold", "GET /products: p99<1s"},
                 {}, d);
  ASSERT_TRUE(o.ok()) << o.err().message;
  EXPECT_EQ(o->thresholds,
            (std::vector<std::string>{"p95<500ms", "fail_ratio<0.01", "GET /products: p99<1s"}));
  EXPECT_EQ(o->limits, (std::vector<std::string>{"rss=8GB"}));
  // One line each in a config file; ';' between items in a variable; each layer replaces.
  write(d + "/endure.conf", "threshold = p95<1s\nthreshold = max < 3s\nlimit = disk_free=0\n");
  auto f = parse({}, {}, d);
  ASSERT_TRUE(f.ok()) << f.err().message;
  EXPECT_EQ(f->thresholds, (std::vector<std::string>{"p95<1s", "max < 3s"}));
  auto e = parse({}, {"ENDURE_THRESHOLD=p50<10ms; fail_ratio<1%"}, d);
  ASSERT_TRUE(e.ok()) << e.err().message;
  EXPECT_EQ(e->thresholds, (std::vector<std::string>{"p50<10ms", "fail_ratio<1%"}));
  EXPECT_EQ(e->limits, (std::vector<std::string>{"disk_free=0"}));
  auto c = parse({"--threshold", "rps>1"}, {"ENDURE_THRESHOLD=p50<10ms"}, d);
  ASSERT_TRUE(c.ok()) << c.err().message;
  EXPECT_EQ(c->thresholds, (std::vector<std::string>{"rps>1"}));
}

TEST(raw_options, soak_defaults_and_values) {
  std::string d = scratch("soak");
  auto o = parse({}, {}, d);
  ASSERT_TRUE(o.ok()) << o.err().message;
  EXPECT_FALSE(o->warmup.has_value());
  EXPECT_EQ(o->trend_alpha, 0.05);
  EXPECT_EQ(o->trend_min_change, 0.10);
  EXPECT_EQ(o->trend_min_latency_ms, 1.0);
  EXPECT_EQ(o->trend_min_fail_ratio, 0.001);
  auto w = parse({"--warmup", "0", "--trend-min-change", "0.05", "--trend-min-latency", "250ms"}, {}, d);
  ASSERT_TRUE(w.ok()) << w.err().message;
  EXPECT_EQ(w->warmup, std::optional(std::chrono::milliseconds(0)));
  EXPECT_EQ(w->trend_min_change, 0.05);
  EXPECT_EQ(w->trend_min_latency_ms, 250.0);
  auto a = parse({"--warmup", "10m", "--warmup", "auto"}, {}, d);
  ASSERT_TRUE(a.ok()) << a.err().message;
  EXPECT_FALSE(a->warmup.has_value());
}

TEST(raw_options, list_syntax_per_source) {
  std::string d = scratch("lists");
  write(d + "/endure.conf", "tags = cart  checkout\nexclude_tags =\n");
  auto o = parse({}, {"LOCUST_EXCLUDE_TAGS= slow , ,flaky"}, d);
  ASSERT_TRUE(o.ok()) << o.err().message;
  EXPECT_EQ(o->tags, (std::vector<std::string>{"cart", "checkout"}));        // spaces in files
  EXPECT_EQ(o->exclude_tags, (std::vector<std::string>{"slow", "flaky"}));  // commas in variables
  // On the command line a list stops at the next option or at "--".
  auto c = parse({"-T", "a", "b", "--", "ShopUser", "-u"}, {}, d);
  ASSERT_TRUE(c.ok()) << c.err().message;
  EXPECT_EQ(c->tags, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(c->user_classes, (std::vector<std::string>{"ShopUser", "-u"}));
  auto inl = parse({"--tags=x", "y", "-E", "z"}, {}, d);
  ASSERT_TRUE(inl.ok()) << inl.err().message;
  EXPECT_EQ(inl->tags, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(inl->exclude_tags, (std::vector<std::string>{"z"}));
}

TEST(raw_options, positionals_anywhere_and_dash_words) {
  auto o = parse({"ShopUser", "-f", "-", "AdminUser", "-u", "3", "-"}, {}, scratch("positionals"));
  ASSERT_TRUE(o.ok()) << o.err().message;
  EXPECT_EQ(o->locustfile, "-");  // Locust's -f - (a worker fetching the master's)
  EXPECT_EQ(o->user_classes, (std::vector<std::string>{"ShopUser", "AdminUser", "-"}));
}

TEST(raw_options, every_kind_of_bad_input_is_one_exact_line) {
  std::string d = scratch("bad");
  struct bad_case {
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::string message;
  };
  const std::string number = "a whole number of users, at least 1";
  std::vector<bad_case> cases = {
      {{"-u", "0"}, {}, "invalid value '0' for --users: expected " + number},
      {{"-u", "-5"}, {}, "invalid value '-5' for --users: expected " + number},
      {{"-u", "1e3"}, {}, "invalid value '1e3' for --users: expected " + number},
      {{"-u", "+3"}, {}, "invalid value '+3' for --users: expected " + number},
      {{"-u", "99999999999999999999"}, {}, "invalid value '99999999999999999999' for --users: expected " + number},
      {{}, {"LOCUST_USERS=0"}, "invalid value '0' for --users (from environment): expected " + number},
      {{"-r", "0"}, {}, "invalid value '0' for --spawn-rate: expected a positive number of users per second, e.g. 10 or 0.5"},
      {{"-r", "nan"}, {}, "invalid value 'nan' for --spawn-rate: expected a positive number of users per second, e.g. 10 or 0.5"},
      {{"--run-time", "7x"}, {}, "invalid value '7x' for --run-time: expected a duration such as 7d, 1d12h30m, 90m, 45s or plain seconds"},
      {{"-t", "0s"}, {}, "invalid value '0s' for --run-time: expected a run time above zero"},
      {{"-s", "-1"}, {}, "invalid value '-1' for --stop-timeout: expected a duration such as 7d, 1d12h30m, 90m, 45s or plain seconds"},
      {{"--request-timeout", "0"}, {}, "invalid value '0' for --request-timeout: expected a timeout above zero, e.g. 60s or 500ms"},
      {{"--host", "localhost:8080"}, {}, "invalid value 'localhost:8080' for --host: expected a URL starting with http:// or https://, e.g. http://localhost:8080"},
      {{"-f", ""}, {}, "invalid value '' for --locustfile: expected a locustfile, a directory or a comma-separated list of them"},
      {{"--threads", "0"}, {}, "invalid value '0' for --threads: expected a number of threads from 1 to 256"},
      {{"--threads", "257"}, {}, "invalid value '257' for --threads: expected a number of threads from 1 to 256"},
      {{"--exit-code-on-error", "300"}, {}, "invalid value '300' for --exit-code-on-error: expected an exit code from 0 to 255"},
      {{"-L", "LOUD"}, {}, "invalid value 'LOUD' for --loglevel: expected DEBUG, INFO, WARNING, ERROR or CRITICAL"},
      {{"--seed", "x"}, {}, "invalid value 'x' for --seed: expected a whole number"},
      {{"--headless=maybe"}, {}, "invalid value 'maybe' for --headless: expected true or false"},
      {{}, {"ENDURE_HEADLESS=maybe"}, "invalid value 'maybe' for --headless (from environment): expected true or false"},
      {{"-P", "-1"}, {}, "invalid value '-1' for --web-port: expected a port number from 1 to 65535, or 0 for any free port"},
      {{"--web-port", "65536"}, {}, "invalid value '65536' for --web-port: expected a port number from 1 to 65535, or 0 for any free port"},
      {{"--master-bind-port", "http"}, {}, "invalid value 'http' for --master-bind-port: expected a port number from 1 to 65535"},
      {{}, {"LOCUST_MASTER_NODE_PORT=-1"}, "invalid value '-1' for --master-port (from environment): expected a port number from 1 to 65535"},
      {{"--web-auth", "nocolon"}, {}, "invalid value for --web-auth: expected user:password, both parts non-empty"},
      {{"--web-auth", ":pw"}, {}, "invalid value for --web-auth: expected user:password, both parts non-empty"},
      {{"--web-auth", "user:"}, {}, "invalid value for --web-auth: expected user:password, both parts non-empty"},
      {{"--web-base-path", "ui"}, {}, "invalid value 'ui' for --web-base-path: expected a path starting with /, e.g. /endure"},
      {{"--autostart", "--autoquit", "soon"}, {}, "invalid value 'soon' for --autoquit: expected a time such as 60 (seconds), 5m or 1h, or -1 for never"},
      {{"--expect-workers", "0"}, {}, "invalid value '0' for --expect-workers: expected a whole number of workers, at least 1"},
      {{"--expect-workers-max-wait", "x"}, {}, "invalid value 'x' for --expect-workers-max-wait: expected a duration such as 7d, 1d12h30m, 90m, 45s or plain seconds"},
      {{"--master-host", " "}, {}, "invalid value ' ' for --master-host: expected a host name or address"},
      {{"--processes", "0"}, {}, "invalid value '0' for --processes: expected a number of processes from 1 to 1024, or -1 for one per CPU core"},
      {{"--processes", "-2"}, {}, "invalid value '-2' for --processes: expected a number of processes from 1 to 1024, or -1 for one per CPU core"},
      {{"--store", ""}, {}, "invalid value '' for --store: expected a file or folder path"},
      {{"--threshold", "p95<500ms", "--threshold", "p95<<500ms"}, {},
       "invalid value 'p95<<500ms' for --threshold: expected a threshold such as p95<500ms, fail_ratio<0.01, "
       "p95.slope<2ms/h, target.rss.slope<10MB/h or 'GET /products: p99[5m]<1s' ('<500ms' is not a number)"},
      {{}, {"ENDURE_THRESHOLD=latency<1s"},
       "invalid value 'latency<1s' for --threshold (from environment): expected a threshold such as p95<500ms, "
       "fail_ratio<0.01, p95.slope<2ms/h, target.rss.slope<10MB/h or 'GET /products: p99[5m]<1s' (unknown metric "
       "'latency': use pNN, avg, min, max, fail_ratio, failures, requests, rps, fail_per_s, target.NAME or "
       "generator.cpu|lag|rss)"},
      {{"--limit", "rss"}, {}, "invalid value 'rss' for --limit: expected a limit METRIC=VALUE such as rss=8GB, "
                                "target.fds=1024, disk_free=0, p95=2s or fail_ratio=5%"},
      {{"--threshold"}, {}, "--threshold needs a value (EXPR)"},
      {{"--warmup", "soon"}, {}, "invalid value 'soon' for --warmup: expected a duration such as 10m or 0, or auto (found by MSER-5)"},
      {{"--trend-alpha", "0"}, {}, "invalid value '0' for --trend-alpha: expected a probability above 0 and at most 0.5, e.g. 0.05"},
      {{"--trend-min-change", "lots"}, {}, "invalid value 'lots' for --trend-min-change: expected a share such as 10% or 0.1"},
      {{"--bogus"}, {}, "unknown option '--bogus' (see endure --help)"},
      {{"--bogus=1"}, {}, "unknown option '--bogus' (see endure --help)"},
      {{"-Z"}, {}, "unknown option '-Z' (see endure --help)"},
      {{"-u"}, {}, "--users needs a value (N)"},
      {{"-T"}, {}, "--tags needs at least one TAG"},
      {{"-T", "-u", "2"}, {}, "--tags needs at least one TAG"},
      {{"--list", "--show-task-ratio"}, {}, "--list, --show-task-ratio and --show-task-ratio-json exclude each other: use one"},
      {{"--json", "--json-file", "-"}, {}, "--json and --json-file - both write to stdout: use one"},
      {{"--master", "--worker"}, {}, "--master and --worker exclude each other: use one"},
      {{"--autoquit", "60"}, {}, "--autoquit needs --autostart: it quits that long after an autostarted test ends"},
      {{"--tls-key", "k.pem"}, {}, "--tls-cert and --tls-key go together: give both for HTTPS, or neither"},
      {{"--config", d + "/missing.conf"}, {}, "cannot read config file '" + d + "/missing.conf'"},
      {{}, {"LOCUST_CONFIG=" + d + "/missing.conf"}, "cannot read config file '" + d + "/missing.conf'"},
  };
  for (const auto& c : cases) {
    auto o = parse(c.args, c.env, d);
    ASSERT_FALSE(o.ok()) << c.message;
    EXPECT_EQ(o.err().message, c.message);
    EXPECT_EQ(o.err().code, 2);
  }
}

TEST(raw_options, config_file_errors_name_the_file_and_line) {
  std::string d = scratch("badconf");
  write(d + "/endure.conf", "users = 3\nuserz = 5\n");
  EXPECT_EQ(error_of(parse({}, {}, d)),
            d + "/endure.conf:2: unknown option 'userz' (keys are long option names, e.g. users = 10)");
  write(d + "/endure.conf", "users = many\n");
  EXPECT_EQ(error_of(parse({}, {}, d)), "invalid value 'many' for --users (from config file " + d +
                                            "/endure.conf): expected a whole number of users, at least 1");
  write(d + "/endure.conf", "\nusers 5\n");
  EXPECT_EQ(error_of(parse({}, {}, d)), d + "/endure.conf:2: expected 'key = value', got 'users 5'");
  for (const char* key : {"config", "help", "version"}) {
    write(d + "/endure.conf", std::string(key) + " = x\n");
    EXPECT_EQ(error_of(parse({}, {}, d)), d + "/endure.conf:1: unknown option '" + key +
                                              "' (keys are long option names, e.g. users = 10)");
  }
  std::filesystem::remove(d + "/endure.conf");
  write(d + "/locust.conf", "headless = perhaps\n");
  EXPECT_EQ(error_of(parse({}, {}, d)),
            "invalid value 'perhaps' for --headless (from config file " + d + "/locust.conf): expected true or false");
}

TEST(raw_options, variables_that_are_not_options_are_ignored) {
  // Docker images set LOCUST_VERSION; ENDURE_CXX is the compiler; neither is an option.
  auto o = parse({}, {"LOCUST_VERSION=2.12.1", "ENDURE_CXX=clang++", "LOCUST_HELP=1", "PATH=/bin", "NOEQUALS"},
                 scratch("env-other"));
  ASSERT_TRUE(o.ok()) << o.err().message;
  EXPECT_FALSE(o->version);
  EXPECT_FALSE(o->help);
  EXPECT_TRUE(o->source.empty());
}

TEST(raw_options, locustfile_options_from_every_source) {
  std::vector<extra_option> extras = {
      {"my-flag", true, "", "a switch", {}},
      {"env-name", false, "staging", "which environment", {"staging", "prod"}},
      {"batch", false, "10", "batch size", {}},
  };
  std::string d = scratch("extras");
  write(d + "/endure.conf", "batch = 25\n");
  auto o = parse({"--my-flag", "--env-name", "prod"}, {}, d, extras);
  ASSERT_TRUE(o.ok()) << o.err().message;
  EXPECT_EQ(o->extra.at("my-flag"), "true");
  EXPECT_EQ(o->extra.at("env-name"), "prod");
  EXPECT_EQ(o->extra.at("batch"), "25");  // from the config file
  EXPECT_EQ(o->source.at("batch").layer, "config file " + d + "/endure.conf");
  auto o2 = parse({}, {"LOCUST_BATCH=40", "ENDURE_MY_FLAG=yes"}, scratch("extras-env"), extras);
  ASSERT_TRUE(o2.ok()) << o2.err().message;
  EXPECT_EQ(o2->extra.at("batch"), "40");
  EXPECT_EQ(o2->extra.at("my-flag"), "true");
  EXPECT_EQ(o2->extra.at("env-name"), "staging");  // the default
  auto o3 = parse({}, {}, scratch("extras-none"), extras);
  ASSERT_TRUE(o3.ok());
  EXPECT_EQ(o3->extra.at("my-flag"), "false");
  EXPECT_EQ(o3->extra.at("batch"), "10");
  EXPECT_EQ(o3->source.count("batch"), 0u);
}

TEST(raw_options, the_word_after_a_locustfile_option_is_its_value_or_a_user_class) {
  // Read before the locustfile is loaded: whether --x takes the next word is known only once
  // its own options are, so resolve decides.
  std::vector<extra_option> extras = {{"my-flag", true, "", "", {}}, {"batch", false, "", "", {}}};
  std::string d = scratch("extras-words");
  auto raw = read({"--my-flag", "ShopUser", "--batch", "3", "AdminUser", "--batch=4", "Third"}, {}, d);
  ASSERT_TRUE(raw.ok()) << raw.err().message;
  auto o = raw->resolve(extras);
  ASSERT_TRUE(o.ok()) << o.err().message;
  EXPECT_EQ(o->extra.at("my-flag"), "true");
  EXPECT_EQ(o->extra.at("batch"), "4");
  EXPECT_EQ(o->user_classes, (std::vector<std::string>{"ShopUser", "AdminUser", "Third"}));
  // The same raw read, resolved without the locustfile's options: they are unknown.
  EXPECT_EQ(error_of(raw->resolve()), "unknown option '--my-flag' (see endure --help)");
  // A flag before another option, a value missing at the end, bad values with their source.
  auto f = parse({"--my-flag", "-u", "2"}, {}, d, extras);
  ASSERT_TRUE(f.ok()) << f.err().message;
  EXPECT_EQ(f->users, 2u);
  EXPECT_EQ(error_of(parse({"--batch"}, {}, d, extras)), "--batch needs a value");
  EXPECT_EQ(error_of(parse({"--batch", "-u", "2"}, {}, d, extras)), "--batch needs a value");
  EXPECT_EQ(error_of(parse({"--my-flag=sure"}, {}, d, extras)), "invalid value 'sure' for --my-flag: expected true or false");
  EXPECT_EQ(error_of(parse({}, {"LOCUST_MY_FLAG=sure"}, d, extras)),
            "invalid value 'sure' for --my-flag (from environment): expected true or false");
  std::vector<extra_option> choice = {{"env-name", false, "staging", "", {"staging", "prod"}}};
  EXPECT_EQ(error_of(parse({"--env-name", "qa"}, {}, d, choice)),
            "invalid value 'qa' for --env-name: expected one of staging, prod");
  write(d + "/endure.conf", "env-name = qa\n");
  EXPECT_EQ(error_of(parse({}, {}, d, choice)), "invalid value 'qa' for --env-name (from config file " + d +
                                                    "/endure.conf): expected one of staging, prod");
}

TEST(raw_options, the_default_locustfile_is_python_then_cpp) {
  std::string both = scratch("both");  // has locustfile.py
  write(both + "/locustfile.cpp", "// also here\n");
  auto raw = read({}, {}, both);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(*raw->locustfile(), both + "/locustfile.py");
  EXPECT_EQ(raw->resolve()->locustfile, both + "/locustfile.py");
  EXPECT_EQ(raw->resolve()->source.count("locustfile"), 0u);

  std::string cpp = scratch("cpp-only", false);
  write(cpp + "/locustfile.cpp", "// only C++\n");
  EXPECT_EQ(*read({}, {}, cpp)->locustfile(), cpp + "/locustfile.cpp");

  std::string none = scratch("none", false);
  std::filesystem::create_directory(none + "/locustfile.py");  // a folder is not a locustfile
  const std::string message = "no locustfile: neither locustfile.py nor locustfile.cpp is in " + none +
                              "; name one with -f FILE (a .py or .cpp file, a directory of them, or a "
                              "comma-separated list)";
  EXPECT_EQ(read({}, {}, none)->locustfile().err().message, message);
  EXPECT_EQ(error_of(read({}, {}, none)->resolve()), message);
  // Given anywhere, -f is taken as it is, whether it exists or not (the loader says).
  EXPECT_EQ(*read({"-f", "gone.py"}, {}, none)->locustfile(), "gone.py");
  EXPECT_EQ(*read({}, {"LOCUST_LOCUSTFILE=env.py"}, none)->locustfile(), "env.py");
  write(none + "/locust.conf", "locustfile = conf.cpp\n");
  EXPECT_EQ(*read({}, {}, none)->locustfile(), "conf.cpp");
  EXPECT_EQ(*read({"--locustfile=cli.py"}, {"LOCUST_LOCUSTFILE=env.py"}, none)->locustfile(), "cli.py");
}

TEST(raw_options, help_and_version_are_answered_before_resolve) {
  std::string d = scratch("help");
  // Options of a locustfile not loaded yet, and bad values, do not stop --help.
  auto raw = read({"--my-option", "3", "-u", "0", "--help"}, {}, d);
  ASSERT_TRUE(raw.ok()) << raw.err().message;
  EXPECT_TRUE(raw->flag("help"));
  EXPECT_FALSE(raw->flag("version"));
  EXPECT_FALSE(raw->resolve().ok());
  EXPECT_TRUE(read({"-h"}, {}, d)->flag("help"));
  EXPECT_TRUE(read({"-V"}, {}, d)->flag("version"));
  EXPECT_FALSE(read({"--help=no"}, {}, d)->flag("help"));
  EXPECT_FALSE(read({"--help=maybe"}, {}, d)->flag("help"));
  EXPECT_FALSE(read({}, {"LOCUST_VERSION=2.12.1", "ENDURE_HELP=true"}, d)->flag("version"));
  EXPECT_FALSE(read({}, {"ENDURE_HELP=true"}, d)->flag("help"));
  // Other flags too, with their precedence.
  write(d + "/endure.conf", "headless = true\n");
  EXPECT_TRUE(read({}, {}, d)->flag("headless"));
  EXPECT_FALSE(read({}, {"LOCUST_HEADLESS=false"}, d)->flag("headless"));
  EXPECT_FALSE(read({}, {}, d)->flag("no-such-option"));
}

TEST(raw_options, console_rows_takes_a_count_or_all) {
  auto d = parse({}, {}, scratch("rows"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->console_rows, 20u);
  auto n = parse({"--console-rows", "5"}, {}, scratch("rows"));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->console_rows, 5u);
  auto all = parse({"--console-rows=all"}, {}, scratch("rows"));
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->console_rows, 0u);
  auto env = parse({}, {"ENDURE_CONSOLE_ROWS=0"}, scratch("rows"));
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->console_rows, 0u);
  auto bad = parse({"--console-rows", "many"}, {}, scratch("rows"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.err().message,
            "invalid value 'many' for --console-rows: expected a number of rows (0 or all: every row)");
}

TEST(raw_options, typed_locustfile_options_and_resolving_before_the_locustfile_is_known) {
  std::string d = scratch("extras-typed");
  std::vector<extra_option> typed = {{"count", false, "1", "", {}, "int"}, {"ratio", false, "", "", {}, "float"}};
  auto ok = parse({"--count=-3", "--ratio", "2.5e-1"}, {}, d, typed);
  ASSERT_TRUE(ok.ok()) << ok.err().message;
  EXPECT_EQ(ok->extra.at("count"), "-3");
  EXPECT_EQ(ok->extra.at("ratio"), "2.5e-1");
  EXPECT_EQ(error_of(parse({"--count", "3x"}, {}, d, typed)), "invalid value '3x' for --count: expected an integer");
  EXPECT_EQ(error_of(parse({"--count="}, {}, d, typed)), "invalid value '' for --count: expected an integer");
  EXPECT_EQ(error_of(parse({}, {"ENDURE_RATIO=half"}, d, typed)),
            "invalid value 'half' for --ratio (from environment): expected a number");
  EXPECT_EQ(error_of(parse({"--ratio", "inf"}, {}, d, typed)), "invalid value 'inf' for --ratio: expected a number");
  // resolve_known: endure's own options checked, the locustfile's (unknown yet) left out, with
  // the word after them, wherever they come from.
  write(d + "/endure.conf", "shop-user = ada\n");
  auto raw = read({"--count", "3", "-u", "5", "--my-flag"}, {"LOCUST_COUNT=9"}, d);
  ASSERT_TRUE(raw.ok()) << raw.err().message;
  auto known = raw->resolve_known();
  ASSERT_TRUE(known.ok()) << known.err().message;
  EXPECT_EQ(known->users, 5u);
  EXPECT_TRUE(known->extra.empty());
  EXPECT_EQ(error_of(raw->resolve()), d + "/endure.conf:1: unknown option 'shop-user' (keys are long option names, e.g. users = 10)");
  auto bad = read({"--count", "3", "-u", "0"}, {}, d);
  EXPECT_EQ(error_of(bad->resolve_known()), "invalid value '0' for --users: expected a whole number of users, at least 1");
  EXPECT_TRUE(raw->given("users"));
  EXPECT_FALSE(raw->given("locustfile"));
}
