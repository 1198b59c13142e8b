// Every row of the option table, set from every source it may come from (long and short name,
// inline value, the three config files, LOCUST_*, Locust's own variable, ENDURE_*), reaches its
// field; the precedence of the sources holds for every row.
#include "cli/option_table.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "scratch.hpp"

using namespace endure::cli;
using namespace endure::cli::testing;
using namespace std::chrono_literals;

namespace {

struct option_case {
  std::vector<std::string> words;  // the value; empty for a flag
  std::function<bool(const options&)> is_set;
  std::vector<std::string> also = {};  // command-line options the value needs (--autostart)
};

// One case per row: the value to give and how to see it arrived.
const std::map<std::string, option_case>& cases() {
  static const std::string config_file = scratch("config-target") + "/target.conf";
  static const bool made = (write(config_file, "# empty\n"), true);
  (void)made;
  static const std::map<std::string, option_case> all = {
      {"locustfile", {{"x.cpp"}, [](auto& o) { return o.locustfile == "x.cpp"; }}},
      {"host", {{"http://h:1/"}, [](auto& o) { return o.host == "http://h:1/"; }}},
      {"users", {{"7"}, [](auto& o) { return o.users == 7u; }}},
      {"spawn-rate", {{"0.5"}, [](auto& o) { return o.spawn_rate == 0.5; }}},
      {"run-time", {{"1d12h"}, [](auto& o) { return o.run_time == std::optional(std::chrono::milliseconds(36h)); }}},
      {"headless", {{}, [](auto& o) { return o.headless; }}},
      {"iterations", {{"9"}, [](auto& o) { return o.iterations == std::optional<uint64_t>(9); }}},
      {"stop-timeout", {{"90s"}, [](auto& o) { return o.stop_timeout == 90s; }}},
      {"tags", {{"a", "b"}, [](auto& o) { return o.tags == std::vector<std::string>{"a", "b"}; }}},
      {"exclude-tags", {{"c", "d"}, [](auto& o) { return o.exclude_tags == std::vector<std::string>{"c", "d"}; }}},
      {"csv", {{"out/run"}, [](auto& o) { return o.csv_prefix == "out/run"; }}},
      {"csv-full-history", {{}, [](auto& o) { return o.csv_full_history; }}},
      {"json", {{}, [](auto& o) { return o.json; }}},
      {"json-file", {{"f.json"}, [](auto& o) { return o.json_file == "f.json"; }}},
      {"summary-json", {{"s.json"}, [](auto& o) { return o.summary_json == "s.json"; }}},
      {"html", {{"r.html"}, [](auto& o) { return o.html_file == "r.html"; }}},
      {"html-interval", {{"90s"}, [](auto& o) { return o.html_interval == 90s; }}},
      {"only-summary", {{}, [](auto& o) { return o.only_summary; }}},
      {"arrival-rate", {{"200/s"}, [](auto& o) { return o.arrival_rate == "200/s"; }}},
      {"arrivals", {{"poisson"}, [](auto& o) { return o.poisson; }}},
      {"max-users", {{"50"}, [](auto& o) { return o.max_users == 50u; }}},
      {"shape", {{"steps:1,2@1m"}, [](auto& o) { return o.shape == "steps:1,2@1m"; }}},
      {"shape-file", {{"s.yaml"}, [](auto& o) { return o.shape_file == "s.yaml"; }}},
      {"session-length", {{"1m..2m"}, [](auto& o) { return o.session_length == "1m..2m"; }}},
      {"console-rows", {{"7"}, [](auto& o) { return o.console_rows == 7u; }}},
      {"print-stats", {{}, [](auto& o) { return o.print_stats; }}},
      {"reset-stats", {{}, [](auto& o) { return o.reset_stats; }}},
      {"loglevel", {{"DEBUG"}, [](auto& o) { return o.loglevel == "DEBUG"; }}},
      {"logfile", {{"e.log"}, [](auto& o) { return o.logfile == "e.log"; }}},
      {"exit-code-on-error", {{"0"}, [](auto& o) { return o.exit_code_on_error == 0; }}},
      {"list", {{}, [](auto& o) { return o.list; }}},
      {"show-task-ratio", {{}, [](auto& o) { return o.show_task_ratio; }}},
      {"show-task-ratio-json", {{}, [](auto& o) { return o.show_task_ratio_json; }}},
      {"config", {{config_file}, [](auto& o) { return o.config == config_file; }}},
      {"version", {{}, [](auto& o) { return o.version; }}},
      {"help", {{}, [](auto& o) { return o.help; }}},
      {"threads", {{"3"}, [](auto& o) { return o.threads == 3; }}},
      {"request-timeout", {{"500ms"}, [](auto& o) { return o.request_timeout == 500ms; }}},
      {"dns-ttl", {{"5m"}, [](auto& o) { return o.dns_ttl == 5min; }}},
      {"insecure", {{}, [](auto& o) { return o.insecure; }}},
      {"seed", {{"42"}, [](auto& o) { return o.seed == std::optional<uint64_t>(42); }}},
      {"threshold", {{"GET /x: p95[5m]<1s"}, [](auto& o) { return o.thresholds == std::vector<std::string>{"GET /x: p95[5m]<1s"}; }}},
      {"abort-on-threshold", {{}, [](auto& o) { return o.abort_on_threshold; }}},
      {"warmup", {{"10m"}, [](auto& o) { return o.warmup == std::optional(std::chrono::milliseconds(10min)); }}},
      {"limit", {{"rss=8GB"}, [](auto& o) { return o.limits == std::vector<std::string>{"rss=8GB"}; }}},
      {"trend-alpha", {{"0.01"}, [](auto& o) { return o.trend_alpha == 0.01; }}},
      {"trend-min-change", {{"20%"}, [](auto& o) { return o.trend_min_change == 0.2; }}},
      {"trend-min-latency", {{"5ms"}, [](auto& o) { return o.trend_min_latency_ms == 5.0; }}},
      {"trend-min-fail-ratio", {{"1%"}, [](auto& o) { return o.trend_min_fail_ratio == 0.01; }}},
      {"monitor-pid", {{"4242"}, [](auto& o) { return o.monitor_pids == std::vector<std::string>{"4242"}; }}},
      {"monitor-process", {{"nginx"}, [](auto& o) { return o.monitor_processes == std::vector<std::string>{"nginx"}; }}},
      {"monitor-disk", {{"/var"}, [](auto& o) { return o.monitor_disks == std::vector<std::string>{"/var"}; }}},
      {"monitor-node-exporter",
       {{"http://db1:9100/metrics"},
        [](auto& o) { return o.monitor_node_exporters == std::vector<std::string>{"http://db1:9100/metrics"}; }}},
      {"monitor-prometheus", {{"http://prom:9090"}, [](auto& o) { return o.monitor_prometheus == "http://prom:9090"; }}},
      {"monitor-query",
       {{"db_conns=sum(pg_stat_activity_count)"},
        [](auto& o) { return o.monitor_queries == std::vector<std::string>{"db_conns=sum(pg_stat_activity_count)"}; }}},
      {"metrics-port", {{"9646"}, [](auto& o) { return o.metrics_port == std::optional<uint16_t>(9646); }}},
      {"metrics-host", {{"127.0.0.1"}, [](auto& o) { return o.metrics_host == "127.0.0.1"; }}},
      {"metrics-buckets", {{"0.01,0.1,1"}, [](auto& o) { return o.metrics_buckets == "0.01,0.1,1"; }}},
      {"influxdb", {{"http://u:p@db:8086/endure"}, [](auto& o) { return o.influxdb == "http://u:p@db:8086/endure"; }}},
      {"influxdb-org", {{"acme"}, [](auto& o) { return o.influxdb_org == "acme"; }}},
      {"influxdb-bucket", {{"soak"}, [](auto& o) { return o.influxdb_bucket == "soak"; }}},
      {"influxdb-token", {{"t0k"}, [](auto& o) { return o.influxdb_token == "t0k"; }}},
      {"web-host", {{"0.0.0.0"}, [](auto& o) { return o.web_host == "0.0.0.0"; }}},
      {"web-port", {{"0"}, [](auto& o) { return o.web_port == 0; }}},
      {"autostart", {{}, [](auto& o) { return o.autostart; }}},
      {"autoquit",
       {{"60"}, [](auto& o) { return o.autoquit == std::optional(std::chrono::milliseconds(60s)); }, {"--autostart"}}},
      {"web-base-path", {{"/endure/"}, [](auto& o) { return o.web_base_path == "/endure"; }}},
      {"class-picker", {{}, [](auto& o) { return o.class_picker; }}},
      {"web-auth",
       {{"admin:s:e"}, [](auto& o) { return o.web_auth && o.web_auth->user == "admin" && o.web_auth->password == "s:e"; }}},
      {"tls-cert", {{"c.pem"}, [](auto& o) { return o.tls_cert == "c.pem"; }, {"--tls-key", "k.pem"}}},
      {"tls-key", {{"k.pem"}, [](auto& o) { return o.tls_key == "k.pem"; }, {"--tls-cert", "c.pem"}}},
      {"master", {{}, [](auto& o) { return o.master; }}},
      {"master-bind-host", {{"10.0.0.1"}, [](auto& o) { return o.master_bind_host == "10.0.0.1"; }}},
      {"master-bind-port", {{"6000"}, [](auto& o) { return o.master_bind_port == 6000; }}},
      {"expect-workers", {{"4"}, [](auto& o) { return o.expect_workers == 4u; }}},
      {"expect-workers-max-wait", {{"5m"}, [](auto& o) { return o.expect_workers_max_wait == 5min; }}},
      {"worker-missing-after", {{"30s"}, [](auto& o) { return o.worker_missing_after == 30s; }}},
      {"worker-redistribute-after", {{"2m"}, [](auto& o) { return o.worker_redistribute_after == 2min; }}},
      {"worker", {{}, [](auto& o) { return o.worker; }}},
      {"master-timeout", {{"5m"}, [](auto& o) { return o.master_timeout == 5min; }}},
      {"master-host", {{"10.0.0.5"}, [](auto& o) { return o.master_host == "10.0.0.5"; }}},
      {"master-port", {{"6001"}, [](auto& o) { return o.master_port == 6001; }}},
      {"cluster-secret-file", {{"/run/secrets/endure"}, [](auto& o) { return o.cluster_secret_file == "/run/secrets/endure"; }}},
      {"resume", {{}, [](auto& o) { return o.resume; }, {"--master"}}},
      {"processes", {{"-1"}, [](auto& o) { return o.processes == -1; }}},
      {"store", {{"runs/"}, [](auto& o) { return o.store == "runs/"; }}},
      {"no-store", {{}, [](auto& o) { return o.no_store; }}},
  };
  return all;
}

std::string joined(const std::vector<std::string>& words, const char* sep) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : sep) + w;
  return out;
}

// The value as a config file or a variable writes it: a flag "true", a list joined.
std::string file_text(const option_spec& row, const option_case& c) {
  return row.kind == arity::flag ? "true" : joined(c.words, " ");
}
std::string env_text(const option_spec& row, const option_case& c) {
  return row.kind == arity::flag ? "true" : joined(c.words, ",");
}

std::vector<std::string> command_line(const option_spec& row, const option_case& c) {
  std::vector<std::string> args = {"--" + std::string(row.name)};
  args.insert(args.end(), c.words.begin(), c.words.end());
  args.insert(args.end(), c.also.begin(), c.also.end());
  return args;
}

}  // namespace

TEST(option_table, every_row_has_a_case_and_unique_names) {
  std::map<std::string_view, int> longs;
  std::map<char, int> shorts;
  for (const auto& row : option_table()) {
    EXPECT_TRUE(cases().count(std::string(row.name))) << "add a case for --" << row.name;
    EXPECT_EQ(++longs[row.name], 1) << row.name;
    if (row.short_name) {
      EXPECT_EQ(++shorts[row.short_name], 1) << row.short_name;
    }
    EXPECT_EQ(row.kind == arity::flag, row.metavar.empty()) << row.name;
    EXPECT_FALSE(row.help.empty()) << row.name;
    EXPECT_EQ(find_option(row.name), &row);
    if (row.short_name) {
      EXPECT_EQ(find_short_option(row.short_name), &row);
    }
  }
  EXPECT_EQ(cases().size(), option_table().size());
}

TEST(option_table, every_option_from_the_command_line) {
  std::string dir = scratch("cli");
  for (const auto& row : option_table()) {
    const auto& c = cases().at(std::string(row.name));
    SCOPED_TRACE(std::string(row.name));
    auto unset = parse({}, {}, dir);
    ASSERT_TRUE(unset.ok()) << unset.err().message;
    EXPECT_FALSE(c.is_set(*unset)) << "the case must see a difference from the default";
    EXPECT_EQ(unset->source.count(std::string(row.name)), 0u);

    auto o = parse(command_line(row, c), {}, dir);
    ASSERT_TRUE(o.ok()) << o.err().message;
    EXPECT_TRUE(c.is_set(*o));
    EXPECT_EQ(o->source.at(std::string(row.name)).layer, "command line");
    EXPECT_EQ(o->source.at(std::string(row.name)).spelling, "--" + std::string(row.name));
    EXPECT_TRUE(o->user_classes.empty());

    if (row.kind == arity::flag) {
      for (const char* off : {"false", "0", "no", "OFF"}) {
        auto f = parse({"--" + std::string(row.name) + "=" + off}, {}, dir);
        ASSERT_TRUE(f.ok()) << f.err().message;
        EXPECT_FALSE(c.is_set(*f)) << off;
      }
      std::vector<std::string> yes = {"--" + std::string(row.name) + "=Yes"};
      yes.insert(yes.end(), c.also.begin(), c.also.end());
      auto on = parse(yes, {}, dir);
      ASSERT_TRUE(on.ok()) << on.err().message;
      EXPECT_TRUE(c.is_set(*on));
    } else if (row.kind == arity::one) {
      std::vector<std::string> args = {"--" + std::string(row.name) + "=" + c.words[0]};
      args.insert(args.end(), c.also.begin(), c.also.end());
      auto inline_value = parse(args, {}, dir);
      ASSERT_TRUE(inline_value.ok()) << inline_value.err().message;
      EXPECT_TRUE(c.is_set(*inline_value));
    }
    if (row.short_name) {
      std::string short_name = std::string("-") + row.short_name;
      std::vector<std::string> args = {short_name};
      args.insert(args.end(), c.words.begin(), c.words.end());
      auto s = parse(args, {}, dir);
      ASSERT_TRUE(s.ok()) << s.err().message;
      EXPECT_TRUE(c.is_set(*s));
      EXPECT_EQ(s->source.at(std::string(row.name)).spelling, short_name);
      if (row.kind == arity::one) {  // -u10
        auto glued = parse({short_name + c.words[0]}, {}, dir);
        ASSERT_TRUE(glued.ok()) << glued.err().message;
        EXPECT_TRUE(c.is_set(*glued));
      }
    }
  }
}

TEST(option_table, every_option_from_each_config_file) {
  for (const auto& row : option_table()) {
    const auto& c = cases().at(std::string(row.name));
    SCOPED_TRACE(std::string(row.name));
    std::string key(row.name);
    std::string underscored = key;
    std::replace(underscored.begin(), underscored.end(), '-', '_');
    for (const std::string file : {"locust.conf", "endure.conf", "given.conf"}) {
      std::string dir = scratch("file-" + file);
      std::string path = dir + "/" + file;
      // The underscore spelling (run_time) in one of the three files, dashes in the others.
      write(path, "# a comment\n\n[section headers are ignored]\n" + (file == "endure.conf" ? underscored : key) +
                      " = " + file_text(row, c) + "\n");
      std::vector<std::string> args = c.also;
      if (file == "given.conf") args.insert(args.end(), {"--config", path});
      auto o = parse(args, {}, dir);
      if (!(row.sources & from_files)) {
        EXPECT_EQ(error_of(o), path + ":4: unknown option '" + key + "' (keys are long option names, e.g. users = 10)");
        continue;
      }
      ASSERT_TRUE(o.ok()) << o.err().message;
      EXPECT_TRUE(c.is_set(*o)) << file;
      EXPECT_EQ(o->source.at(key).layer, "config file " + path);
      if (row.kind == arity::flag) {
        write(path, key + " =\n");  // an empty value means true
        auto empty = parse(args, {}, dir);
        ASSERT_TRUE(empty.ok()) << empty.err().message;
        EXPECT_TRUE(c.is_set(*empty));
        write(path, key + " = false\n");
        auto off = parse(args, {}, dir);
        ASSERT_TRUE(off.ok()) << off.err().message;
        EXPECT_FALSE(c.is_set(*off));
      }
    }
  }
}

TEST(option_table, every_option_from_each_environment_spelling) {
  std::string dir = scratch("env");
  for (const auto& row : option_table()) {
    const auto& c = cases().at(std::string(row.name));
    SCOPED_TRACE(std::string(row.name));
    std::vector<std::string> vars = {"LOCUST_" + env_suffix(row.name), "ENDURE_" + env_suffix(row.name)};
    if (!row.locust_env.empty()) vars.emplace_back(row.locust_env);
    for (const auto& var : vars) {
      auto o = parse(c.also, {var + "=" + env_text(row, c)}, dir);
      ASSERT_TRUE(o.ok()) << var << ": " << o.err().message;
      if (!(row.sources & from_environment)) {
        EXPECT_FALSE(c.is_set(*o)) << var << " is not read";
        continue;
      }
      EXPECT_TRUE(c.is_set(*o)) << var;
      EXPECT_EQ(o->source.at(std::string(row.name)).layer, "environment");
      EXPECT_EQ(o->source.at(std::string(row.name)).spelling, var);
      if (row.kind == arity::flag) {
        auto off = parse({}, {var + "=false"}, dir);
        ASSERT_TRUE(off.ok()) << off.err().message;
        EXPECT_FALSE(c.is_set(*off)) << var;
      }
    }
  }
}

TEST(option_table, locust_spells_some_variables_its_own_way) {
  auto spelled = [](std::string_view name) { return std::string(find_option(name)->locust_env); };
  EXPECT_EQ(spelled("master"), "LOCUST_MODE_MASTER");
  EXPECT_EQ(spelled("worker"), "LOCUST_MODE_WORKER");
  EXPECT_EQ(spelled("master-host"), "LOCUST_MASTER_NODE_HOST");
  EXPECT_EQ(spelled("master-port"), "LOCUST_MASTER_NODE_PORT");
  EXPECT_EQ(spelled("class-picker"), "LOCUST_USERCLASS_PICKER");
  EXPECT_EQ(spelled("users"), "");
  EXPECT_EQ(env_suffix("exit-code-on-error"), "EXIT_CODE_ON_ERROR");
}

TEST(option_table, precedence_holds_for_every_option) {
  // defaults < locust.conf < endure.conf < --config < LOCUST_* < ENDURE_* < command line: with
  // the option in every source up to `top` that it may come from, the highest one is its origin.
  for (const auto& row : option_table()) {
    const auto& c = cases().at(std::string(row.name));
    if (row.name == "config") continue;  // --config names the third file: see raw_options_test
    SCOPED_TRACE(std::string(row.name));
    std::string dir = scratch("precedence");
    std::string key(row.name), given = dir + "/given.conf";
    bool files = row.sources & from_files, env = row.sources & from_environment;
    for (int top = 5; top >= 0; --top) {
      for (const char* f : {"/locust.conf", "/endure.conf"}) std::filesystem::remove(dir + f);
      std::vector<std::string> args = c.also, vars;
      std::string want, spelling;
      auto in_file = [&](const std::string& path) {
        write(path, key + " = " + file_text(row, c) + "\n");
        want = "config file " + path;
        spelling = key;
      };
      if (files && top >= 0) in_file(dir + "/locust.conf");
      if (files && top >= 1) in_file(dir + "/endure.conf");
      if (files && top >= 2) {
        in_file(given);
        args.insert(args.end(), {"--config", given});
      }
      for (int layer : {3, 4}) {
        if (!env || top < layer) continue;
        spelling = (layer == 3 ? "LOCUST_" : "ENDURE_") + env_suffix(row.name);
        vars.push_back(spelling + "=" + env_text(row, c));
        want = "environment";
      }
      if (top >= 5) {
        auto cl = command_line(row, c);
        args.insert(args.end(), cl.begin(), cl.end());
        want = "command line";
        spelling = "--" + key;
      }
      auto o = parse(args, vars, dir);
      ASSERT_TRUE(o.ok()) << o.err().message;
      if (want.empty()) {
        EXPECT_EQ(o->source.count(key), 0u) << top;
        EXPECT_FALSE(c.is_set(*o)) << top;
        continue;
      }
      ASSERT_TRUE(o->source.count(key)) << top;
      EXPECT_EQ(o->source.at(key).layer, want) << top;
      EXPECT_EQ(o->source.at(key).spelling, spelling) << top;
      EXPECT_TRUE(c.is_set(*o)) << top;
    }
  }
}

// A run's store records every option's resolved value as text: each row can show it, and it
// differs between the default and a set value.
TEST(option_table, every_option_shows_its_resolved_value_as_text) {
  std::string dir = scratch("show");
  auto unset = parse({}, {}, dir);
  ASSERT_TRUE(unset.ok()) << unset.err().message;
  for (const auto& row : option_table()) {
    const auto& c = cases().at(std::string(row.name));
    SCOPED_TRACE(std::string(row.name));
    ASSERT_TRUE(row.bind.show);
    auto o = parse(command_line(row, c), {}, dir);
    ASSERT_TRUE(o.ok()) << o.err().message;
    EXPECT_NE(row.bind.show(*o), row.bind.show(*unset));
  }
  auto o = parse({"-u", "7", "-r", "0.5", "-T", "a", "b", "--headless", "-t", "90m"}, {}, dir);
  ASSERT_TRUE(o.ok()) << o.err().message;
  EXPECT_EQ(find_option("users")->bind.show(*o), "7");
  EXPECT_EQ(find_option("spawn-rate")->bind.show(*o), "0.5");
  EXPECT_EQ(find_option("tags")->bind.show(*o), "a,b");
  EXPECT_EQ(find_option("headless")->bind.show(*o), "true");
  EXPECT_EQ(find_option("run-time")->bind.show(*o), "1h30m");
  EXPECT_EQ(find_option("iterations")->bind.show(*o), "");
}
