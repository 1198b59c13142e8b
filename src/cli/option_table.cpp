#include "cli/option_table.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <type_traits>

#include "analysis/threshold.hpp"
#include "base/duration.hpp"
#include "base/log.hpp"

namespace endure::cli {
namespace {

using std::chrono::milliseconds;
using words = std::vector<std::string>;

// --- Converters: text -> value, or an error whose message is what was expected. ---

base::error expected(std::string what) { return base::make_error(std::move(what)); }

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// A whole number in [min, max] (digits only: no sign, no exponent).
template <class T>
auto whole(uint64_t min, uint64_t max, const char* what) {
  return [=](const std::string& v) -> base::result<T> {
    auto t = trimmed(v);
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
    if (t.empty() || t.front() == '-' || t.front() == '+' || ec != std::errc() ||
        end != t.data() + t.size() || n < min || n > max)
      return expected(what);
    return static_cast<T>(n);
  };
}

auto port() { return whole<uint16_t>(1, 65535, "a port number from 1 to 65535"); }
// 0 asks the system for a free port (the "Web UI:" line says which): for scripts and tests.
auto listen_port() { return whole<uint16_t>(0, 65535, "a port number from 1 to 65535, or 0 for any free port"); }

auto any_text() {
  return [](const std::string& v) -> base::result<std::string> { return v; };
}

auto some_text(const char* what) {
  return [=](const std::string& v) -> base::result<std::string> {
    if (trimmed(v).empty()) return expected(what);
    return v;
  };
}

auto boolean() {
  return [](const std::string& v) -> base::result<bool> {
    auto b = parse_flag(v);
    if (!b) return expected("true or false");
    return *b;
  };
}

// A duration (base::parse_duration's forms); at_least_ms bounds it from below.
auto duration(int64_t at_least_ms, const char* too_small) {
  return [=](const std::string& v) -> base::result<milliseconds> {
    auto d = base::parse_duration(v);
    if (!d) return expected("a duration such as 7d, 1d12h30m, 90m, 45s or plain seconds");
    if (d->count() < at_least_ms) return expected(too_small);
    return *d;
  };
}

auto positive_rate() {
  return [](const std::string& v) -> base::result<double> {
    const char* what = "a positive number of users per second, e.g. 10 or 0.5";
    auto t = std::string(trimmed(v));
    char* end = nullptr;
    double r = std::strtod(t.c_str(), &end);
    if (t.empty() || *end != '\0' || !std::isfinite(r) || r <= 0) return expected(what);
    return r;
  };
}

auto url() {
  return [](const std::string& v) -> base::result<std::string> {
    if (!(v.starts_with("http://") || v.starts_with("https://")) || v.size() <= 8)
      return expected("a URL starting with http:// or https://, e.g. http://localhost:8080");
    // Kept as given, a trailing slash included: Locust appends a relative URL to the host as
    // written (so --host http://h/ and "/x" request "//x" in a Python locustfile, as in Locust).
    return v;
  };
}

auto arrivals_kind() {
  return [](const std::string& v) -> base::result<bool> {
    if (v == "even") return false;
    if (v == "poisson") return true;
    return expected("even or poisson");
  };
}

auto loglevel() {
  return [](const std::string& v) -> base::result<std::string> {
    if (!base::parse_log_level(v)) return expected("DEBUG, INFO, WARNING, ERROR or CRITICAL");
    return v;
  };
}

// Locust's --web-host "" means every interface, as "*" does.
auto bind_host() {
  return [](const std::string& v) -> base::result<std::string> {
    auto t = trimmed(v);
    return t.empty() ? std::string("*") : std::string(t);
  };
}

// Locust's --autoquit is whole seconds with -1 for never; a duration reads the same numbers.
auto autoquit() {
  return [](const std::string& v) -> base::result<std::optional<milliseconds>> {
    if (trimmed(v) == "-1") return std::optional<milliseconds>{};
    auto d = base::parse_duration(v);
    if (!d) return expected("a time such as 60 (seconds), 5m or 1h, or -1 for never");
    return std::optional<milliseconds>(*d);
  };
}

auto base_path() {
  return [](const std::string& v) -> base::result<std::string> {
    std::string p(trimmed(v));
    if (p.empty()) return p;
    if (p.front() != '/' || p.find_first_of(" ?#") != std::string::npos)
      return expected("a path starting with /, e.g. /endure");
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    return p == "/" ? std::string() : p;
  };
}

auto login() {
  return [](const std::string& v) -> base::result<std::optional<credentials>> {
    auto colon = v.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == v.size())
      return expected("user:password, both parts non-empty");
    return std::optional<credentials>(credentials{v.substr(0, colon), v.substr(colon + 1)});
  };
}

auto rows() {
  return [](const std::string& v) -> base::result<uint64_t> {
    const char* what = "a number of rows (0 or all: every row)";
    if (trimmed(v) == "all") return uint64_t{0};
    auto n = whole<uint64_t>(0, 999'999'999, what)(v);
    if (!n) return expected(what);
    return *n;
  };
}

auto process_count() {
  return [](const std::string& v) -> base::result<int> {
    const char* what = "a number of processes from 1 to 1024, or -1 for one per CPU core";
    if (trimmed(v) == "-1") return -1;
    auto n = whole<int>(1, 1024, what)(v);
    if (!n) return expected(what);
    return *n;
  };
}

// A number in [lo, hi] written as a fraction or a percentage ("0.1" or "10%").
auto fraction(double lo, double hi, const char* what) {
  return [=](const std::string& v) -> base::result<double> {
    auto t = std::string(trimmed(v));
    bool percent = !t.empty() && t.back() == '%';
    if (percent) t.pop_back();
    char* end = nullptr;
    double x = std::strtod(t.c_str(), &end);
    if (t.empty() || *end != '\0' || !std::isfinite(x)) return expected(what);
    if (percent) x /= 100;
    if (x < lo || x > hi) return expected(what);
    return x;
  };
}

// --warmup: a duration, or "auto" for MSER-5.
auto warmup() {
  return [](const std::string& v) -> base::result<std::optional<milliseconds>> {
    if (trimmed(v) == "auto") return std::optional<milliseconds>{};
    auto d = base::parse_duration(v);
    if (!d) return expected("a duration such as 10m or 0, or auto (found by MSER-5)");
    return std::optional<milliseconds>(*d);
  };
}

auto latency_floor() {
  return [](const std::string& v) -> base::result<double> {
    auto d = base::parse_duration(v);
    if (!d) return expected("a time such as 1ms, 500ms or 0");
    return static_cast<double>(d->count());
  };
}

// Monitoring values, checked one by one (make_sources checks what needs the system at start).
auto monitor_pid() {
  return [](const std::string& v) -> base::result<std::string> {
    auto n = whole<int>(1, 4'194'304, "a process id, a whole number from 1")(v);
    if (!n) return n.err();
    return std::to_string(*n);
  };
}

auto monitor_name() {
  return [](const std::string& v) -> base::result<std::string> {
    if (trimmed(v).empty() || v.find('/') != std::string::npos)
      return expected("a process name such as nginx (its comm or the file name of its argv[0])");
    return v;
  };
}

auto monitor_path() {
  return [](const std::string& v) -> base::result<std::string> {
    if (trimmed(v).empty()) return expected("a path on the file system to watch, e.g. /var/lib/postgresql");
    return v;
  };
}

auto monitor_url(const char* example) {
  return [=](const std::string& v) -> base::result<std::string> {
    if (!(v.starts_with("http://") || v.starts_with("https://")) || v.size() <= 8)
      return expected(std::string("a URL such as ") + example);
    return v;
  };
}

auto monitor_query() {
  return [](const std::string& v) -> base::result<std::string> {
    const auto eq = v.find('=');
    const char* what = "NAME=PROMQL, e.g. 'db_conns=sum(pg_stat_activity_count)' (NAME: letters, digits, _)";
    if (eq == std::string::npos || eq == 0 || trimmed(v.substr(eq + 1)).empty()) return expected(what);
    for (size_t i = 0; i < eq; ++i) {
      const unsigned char c = static_cast<unsigned char>(v[i]);
      if (!(std::isalnum(c) || c == '_') || (i == 0 && std::isdigit(c))) return expected(what);
    }
    return v;
  };
}

auto buckets() {
  return [](const std::string& v) -> base::result<std::string> {
    double last = 0;
    size_t i = 0;
    const char* what = "increasing bucket bounds in seconds, e.g. 0.005,0.01,0.05,0.1,0.5,1";
    while (i <= v.size()) {
      size_t comma = v.find(',', i);
      if (comma == std::string::npos) comma = v.size();
      const std::string item(trimmed(std::string_view(v).substr(i, comma - i)));
      char* end = nullptr;
      const double b = std::strtod(item.c_str(), &end);
      if (item.empty() || *end != '\0' || !std::isfinite(b) || b <= last) return expected(what);
      last = b;
      i = comma + 1;
    }
    return v;
  };
}

// --- Values as text (what a run's store records), one overload per field type. ---

std::string text_of(const std::string& v) { return v; }
std::string text_of(bool v) { return v ? "true" : "false"; }
std::string text_of(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}
// "1d12h30m": the form the option itself accepts.
std::string text_of(milliseconds v) {
  std::string s = base::format_duration(v);
  s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
  return s;
}
std::string text_of(const credentials& v) { return v.user + ":" + v.password; }
std::string text_of(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}
template <class T>
  requires std::is_integral_v<T>
std::string text_of(T v) {
  return std::to_string(v);
}
template <class T>
std::string text_of(const std::optional<T>& v) {
  return v ? text_of(*v) : std::string();
}

// --- Binders: a converter applied to a field of options. ---

template <class T, class Convert>
binder to(T options::*field, Convert convert) {
  return {[field, convert](options& o, const words& w) -> base::result<base::unit> {
            auto v = convert(w.empty() ? std::string() : w.back());
            if (!v) return v.err();
            o.*field = std::move(*v);
            return base::unit{};
          },
          [field](const options& o) { return text_of(o.*field); }};
}

// Repeatable texts checked one by one (the checker's error is what was expected).
template <class Check>
binder to_checked_list(std::vector<std::string> options::*field, Check check) {
  return {[field, check](options& o, const words& w) -> base::result<base::unit> {
            for (const auto& item : w)
              if (auto r = check(item); !r) return r.err();
            o.*field = w;
            return base::unit{};
          },
          [field](const options& o) { return text_of(o.*field); }};
}

binder to_list(std::vector<std::string> options::*field) {
  return {[field](options& o, const words& w) -> base::result<base::unit> {
            o.*field = w;
            return base::unit{};
          },
          [field](const options& o) { return text_of(o.*field); }};
}

constexpr uint8_t not_in_files = from_command_line | from_environment;

std::vector<option_spec> make_table() {
  using enum arity;
  using enum section;
  // clang-format off
  return {
    // name, short, arity, metavar, help, binder, [group, needs, active, locust_env, sources, secret]
    {"locustfile", 'f', one, "FILE", "Python or C++ locustfile, a directory of them, or a comma-separated list (default: ./locustfile.py, else ./locustfile.cpp)",
     to(&options::locustfile, some_text("a locustfile, a directory or a comma-separated list of them"))},
    {"host", 'H', one, "URL", "Host to load test, e.g. http://localhost:8080 (overrides the classes' host)",
     to(&options::host, url())},
    {"users", 'u', one, "N", "Peak number of concurrent users (default: 1)",
     to(&options::users, whole<uint64_t>(1, 999'999'999'999'999'999, "a whole number of users, at least 1"))},
    {"spawn-rate", 'r', one, "RATE", "Users started per second (default: 1)",
     to(&options::spawn_rate, positive_rate())},
    {"run-time", 't', one, "TIME", "Stop after this time: 7d, 1d12h30m, 90m, 45s or seconds (default: until stopped)",
     to(&options::run_time, duration(1, "a run time above zero"))},
    {"headless", 0, flag, "", "Run without the web UI and start the test at once",
     to(&options::headless, boolean())},
    {"arrival-rate", 0, one, "RATE", "Open model: iterations start at this rate whatever the response times: 200/s, 12000/m, or ramp:0/s..500/s:1h",
     to(&options::arrival_rate, some_text("a rate, e.g. 200/s or ramp:0/s..500/s:1h"))},
    {"arrivals", 0, one, "KIND", "Gaps between arrivals: even (default) or poisson",
     to(&options::poisson, arrivals_kind())},
    {"max-users", 0, one, "N", "Open model: at most N users take arrivals (default: 1000); an arrival with no free user is dropped and counted",
     to(&options::max_users, whole<uint64_t>(1, 10'000'000, "a whole number of users, at least 1"))},
    {"shape", 0, one, "SPEC", "A built-in load shape for users (or the arrival rate): steps:100,200@15m, diurnal:min=50,max=500,period=24h, bursts:..., spike:..., quiet:for=30m; chain with ' + ', end with ' + repeat'",
     to(&options::shape, some_text("a shape, e.g. steps:100,200,400@15m"))},
    {"shape-file", 0, one, "FILE", "Load shape stages from a file (duration and users, or rate, per stage)",
     to(&options::shape_file, some_text("a file"))},
    {"session-length", 0, one, "MIN..MAX", "Session churn: each user ends after a random time in the range (on_stop) and a fresh one replaces it (on_start), e.g. 20m..60m",
     to(&options::session_length, some_text("a range of durations, e.g. 20m..60m"))},
    {"iterations", 'i', one, "N", "Stop after N task iterations in total",
     to(&options::iterations, whole<uint64_t>(1, 999'999'999'999'999'999, "a whole number of iterations, at least 1"))},
    {"stop-timeout", 's', one, "TIME", "Time running tasks may take to finish when the test stops (default: 0, stop at once)",
     to(&options::stop_timeout, duration(0, ""))},
    {"tags", 'T', list, "TAG", "Run only the tasks with any of these tags", to_list(&options::tags)},
    {"exclude-tags", 'E', list, "TAG", "Do not run the tasks with any of these tags", to_list(&options::exclude_tags)},
    {"csv", 0, one, "PREFIX", "Write PREFIX_stats.csv, PREFIX_stats_history.csv, PREFIX_failures.csv, PREFIX_exceptions.csv",
     to(&options::csv_prefix, any_text())},
    {"csv-full-history", 0, flag, "", "Write every entry (not only Aggregated) to the history CSV",
     to(&options::csv_full_history, boolean())},
    {"json", 0, flag, "", "Print the final statistics as JSON on stdout", to(&options::json, boolean())},
    {"json-file", 0, one, "FILE", "Write the final statistics as JSON to FILE", to(&options::json_file, any_text())},
    {"summary-json", 0, one, "FILE", "Write the run summary to FILE at the end: how it ended, exit code, totals, thresholds, soak verdict, monitoring (docs/outputs.md)",
     to(&options::summary_json, any_text())},
    {"html", 0, one, "FILE", "Write a self-contained HTML report to FILE, rewritten while the test runs and at the end",
     to(&options::html_file, any_text())},
    {"html-interval", 0, one, "TIME", "How often --html is rewritten while the test runs; 0: only at the end (default: 5m)",
     to(&options::html_interval, duration(0, ""))},
    {"only-summary", 0, flag, "", "Print only the final summary, not the table every 2 s",
     to(&options::only_summary, boolean())},
    {"console-rows", 0, one, "N", "Rows of the table every 2 s: the N busiest names, then a count of the rest; 0 or all: every row (default: 20)",
     to(&options::console_rows, rows())},
    {"print-stats", 0, flag, "", "Print the statistics table while the test runs (default in headless mode)",
     to(&options::print_stats, boolean())},
    {"reset-stats", 0, flag, "", "Reset the statistics once spawning is complete", to(&options::reset_stats, boolean())},
    {"loglevel", 'L', one, "LEVEL", "DEBUG, INFO, WARNING, ERROR or CRITICAL (default: INFO)",
     to(&options::loglevel, loglevel())},
    {"logfile", 0, one, "FILE", "Write the log to FILE instead of stderr", to(&options::logfile, any_text())},
    {"exit-code-on-error", 0, one, "CODE", "Exit code when any request failed or a task raised (default: 1)",
     to(&options::exit_code_on_error, whole<int>(0, 255, "an exit code from 0 to 255"))},
    {"list", 'l', flag, "", "List the user classes and exit", to(&options::list, boolean())},
    {"show-task-ratio", 0, flag, "", "Print the task execution ratio of every user class and exit",
     to(&options::show_task_ratio, boolean())},
    {"show-task-ratio-json", 0, flag, "", "Print the task execution ratio as JSON and exit",
     to(&options::show_task_ratio_json, boolean())},
    {"config", 0, one, "FILE", "Read options from FILE (key = value lines with long option names)",
     to(&options::config, any_text()), run, feature::none, nullptr, {}, not_in_files},
    {"version", 'V', flag, "", "Print the version and exit",
     to(&options::version, boolean()), run, feature::none, nullptr, {}, from_command_line},
    {"help", 'h', flag, "", "Print this help and exit",
     to(&options::help, boolean()), run, feature::none, nullptr, {}, from_command_line},
    {"threads", 0, one, "N", "Event-loop threads for the users (default: all cores)",
     to(&options::threads, whole<int>(1, 256, "a number of threads from 1 to 256"))},
    {"request-timeout", 0, one, "TIME", "Timeout of a whole request, connect included (default: 60s)",
     to(&options::request_timeout, duration(1, "a timeout above zero, e.g. 60s or 500ms"))},
    {"dns-ttl", 0, one, "TIME", "How long a resolved host name is used before it is looked up again (default: 60s)",
     to(&options::dns_ttl, duration(1, "a time above zero, e.g. 60s or 5m"))},
    {"insecure", 0, flag, "", "Do not verify TLS certificates", to(&options::insecure, boolean())},
    {"seed", 0, one, "N", "Seed for task choice and wait times (reproducible runs)",
     to(&options::seed, whole<uint64_t>(0, 999'999'999'999'999'999, "a whole number"))},

    // The soak verdict (printed at the end of every run) and pass/fail thresholds.
    {"threshold", 0, repeat, "EXPR", "Pass/fail criterion, repeatable: p95<500ms, fail_ratio<0.01, p95.slope<2ms/h, 'GET /x: p99[5m]<1s' (failed: exit code 3)",
     to_checked_list(&options::thresholds, [](const std::string& v) { return analysis::parse_threshold(v); }), soak},
    {"abort-on-threshold", 0, flag, "", "Stop the test as soon as a threshold fails (checked every interval after the first 10)",
     to(&options::abort_on_threshold, boolean()), soak},
    {"warmup", 0, one, "TIME", "Start-up time left out of the soak verdict (default: auto, found by MSER-5)",
     to(&options::warmup, warmup()), soak},
    {"limit", 0, repeat, "METRIC=VALUE", "A level a series must not reach, repeatable: rss=8GB; the verdict says when it would",
     to_checked_list(&options::limits, [](const std::string& v) { return analysis::parse_limit(v); }), soak},
    {"trend-alpha", 0, one, "P", "Significance level of the trend and change-point tests (default: 0.05)",
     to(&options::trend_alpha, fraction(1e-6, 0.5, "a probability above 0 and at most 0.5, e.g. 0.05")), soak},
    {"trend-min-change", 0, one, "PCT", "Smallest change over the run, relative to the level, that counts as degrading (default: 10%)",
     to(&options::trend_min_change, fraction(0, 100, "a share such as 10% or 0.1")), soak},
    {"trend-min-latency", 0, one, "TIME", "And at least this change for latency series (default: 1ms)",
     to(&options::trend_min_latency_ms, latency_floor()), soak},
    {"trend-min-fail-ratio", 0, one, "RATIO", "And at least this change for failure ratios (default: 0.1%)",
     to(&options::trend_min_fail_ratio, fraction(0, 1, "a ratio such as 0.001 or 0.1%")), soak},

    // Target monitoring: samples of the system under test on the run's clock (src/monitor).
    {"monitor-pid", 0, repeat, "PID", "Watch a process, repeatable: RSS, CPU %, threads, open fds, disk read/write bytes per s from /proc",
     to_checked_list(&options::monitor_pids, monitor_pid()), monitor},
    {"monitor-process", 0, repeat, "NAME", "Watch every process of this name (comm or argv[0]), summed, repeatable; looked up at start and every interval",
     to_checked_list(&options::monitor_processes, monitor_name()), monitor},
    {"monitor-disk", 0, repeat, "PATH", "Watch the free space of the file system holding PATH, repeatable",
     to_checked_list(&options::monitor_disks, monitor_path()), monitor},
    {"monitor-node-exporter", 0, repeat, "URL", "Scrape a node_exporter, repeatable: host CPU, memory available, load, disk free and I/O, network bytes",
     to_checked_list(&options::monitor_node_exporters, monitor_url("http://host:9100/metrics")), monitor},
    {"monitor-prometheus", 0, one, "URL", "A Prometheus-compatible API asked every interval (by --monitor-query), e.g. http://prom:9090",
     to(&options::monitor_prometheus, url()), monitor},
    {"monitor-query", 0, repeat, "NAME=PROMQL", "An instant query sampled every interval as metric NAME, repeatable: 'db_conns=sum(pg_stat_activity_count)'",
     to_checked_list(&options::monitor_queries, monitor_query()), monitor},

    // Exports (docs/exports.md).
    {"metrics-port", 0, one, "PORT", "Serve Prometheus metrics on http://HOST:PORT/metrics during a headless run (requests, failures, response-time histograms, users, monitor samples)",
     to(&options::metrics_port, port()), exports},
    {"metrics-host", 0, one, "HOST", "Interface of --metrics-port (default: *, every interface)",
     to(&options::metrics_host, bind_host()), exports},
    {"metrics-buckets", 0, one, "SECONDS", "Bucket bounds of the response-time histograms in /metrics (default: 0.005,0.01,0.025,0.05,0.1,0.25,0.5,1,2.5,5,10)",
     to(&options::metrics_buckets, buckets()), exports},

    {"influxdb", 0, one, "URL", "Write every interval to InfluxDB: http://[user:password@]host:8086/DATABASE (1.x), or http://host:8086 with the three options below (2.x)",
     to(&options::influxdb, monitor_url("http://host:8086/endure")), exports, feature::none, nullptr, {}, from_anywhere, true},
    {"influxdb-org", 0, one, "ORG", "InfluxDB 2.x organization", to(&options::influxdb_org, some_text("an organization name")), exports},
    {"influxdb-bucket", 0, one, "BUCKET", "InfluxDB 2.x bucket", to(&options::influxdb_bucket, some_text("a bucket name")), exports},
    {"influxdb-token", 0, one, "TOKEN", "InfluxDB 2.x API token (better from ENDURE_INFLUXDB_TOKEN than on the command line)",
     to(&options::influxdb_token, some_text("a token")), exports, feature::none, nullptr, {}, from_anywhere, true},

    // The web UI (app/web_run.cpp, src/web/): every run without --headless.
    {"web-host", 0, one, "HOST", "Interface the web UI listens on (default: 127.0.0.1; * for every interface)",
     to(&options::web_host, bind_host()), web_ui},
    {"web-port", 'P', one, "PORT", "Port of the web UI (default: 8089; 0: any free port)",
     to(&options::web_port, listen_port()), web_ui},
    {"autostart", 0, flag, "", "Start the test at once without waiting for the web UI (keeps the UI)",
     to(&options::autostart, boolean()), web_ui},
    {"autoquit", 0, one, "TIME", "With --autostart: quit this long after the test ends (default: -1, never)",
     to(&options::autoquit, autoquit()), web_ui},
    {"web-base-path", 0, one, "PATH", "Serve the web UI under this path, e.g. /endure behind a reverse proxy",
     to(&options::web_base_path, base_path()), web_ui},
    {"class-picker", 0, flag, "", "Pick the user classes and the load shape in the web UI",
     to(&options::class_picker, boolean()), web_ui, feature::none, nullptr, "LOCUST_USERCLASS_PICKER"},
    {"web-auth", 0, one, "USER:PASS", "Require HTTP basic authentication for the web UI",
     to(&options::web_auth, login()), web_ui, feature::none, nullptr, {}, from_anywhere, true},
    {"tls-cert", 0, one, "FILE", "TLS certificate of the web UI (HTTPS, with --tls-key)",
     to(&options::tls_cert, some_text("a certificate file")), web_ui},
    {"tls-key", 0, one, "FILE", "TLS private key of the web UI (HTTPS, with --tls-cert)",
     to(&options::tls_key, some_text("a key file")), web_ui},

    // Master and workers.
    {"master", 0, flag, "", "Run as the master of distributed workers", to(&options::master, boolean()),
     distributed, feature::distributed, [](const options& o) { return o.master; }, "LOCUST_MODE_MASTER"},
    {"master-bind-host", 0, one, "HOST", "Master: interface to listen on for workers (default: *, every interface)",
     to(&options::master_bind_host, bind_host()), distributed},
    {"master-bind-port", 0, one, "PORT", "Master: port to listen on for workers (default: 5557)",
     to(&options::master_bind_port, port()), distributed},
    {"expect-workers", 0, one, "N", "Master: workers to wait for before a headless test starts (default: 1)",
     to(&options::expect_workers, whole<uint64_t>(1, 100'000, "a whole number of workers, at least 1")), distributed},
    {"expect-workers-max-wait", 0, one, "TIME", "Master: stop waiting for workers after this time (default: 0, for ever)",
     to(&options::expect_workers_max_wait, duration(0, "")), distributed},
    {"worker-missing-after", 0, one, "TIME",
     "Master: mark a worker missing after this long without a message (default: 10s; Locust: about 4 s)",
     to(&options::worker_missing_after, duration(1000, "at least 1s")), distributed},
    {"worker-redistribute-after", 0, one, "TIME",
     "Master: move a missing worker's users to the others after it was missing this long (default: 20s)",
     to(&options::worker_redistribute_after, duration(0, "")), distributed},
    {"worker", 0, flag, "", "Run as a worker of a master", to(&options::worker, boolean()),
     distributed, feature::distributed, [](const options& o) { return o.worker; }, "LOCUST_MODE_WORKER"},
    {"master-host", 0, one, "HOST", "Worker: address of the master (default: 127.0.0.1)",
     to(&options::master_host, some_text("a host name or address")), distributed, feature::none, nullptr,
     "LOCUST_MASTER_NODE_HOST"},
    {"master-port", 0, one, "PORT", "Worker: port of the master (default: 5557)",
     to(&options::master_port, port()), distributed, feature::none, nullptr, "LOCUST_MASTER_NODE_PORT"},
    {"master-timeout", 0, one, "TIME",
     "Worker: stop and quit after this long without a word from a master that answers heartbeats (default: 60s)",
     to(&options::master_timeout, duration(1000, "at least 1s")), distributed},
    {"cluster-secret-file", 0, one, "FILE",
     "Master and workers: encrypt and authenticate their link with CURVE keys derived from the secret in FILE "
     "(the same file on every node; at least 16 bytes); without it the link is Locust's, open to anyone who reaches the port",
     to(&options::cluster_secret_file, some_text("a file holding the cluster's secret")), distributed},
    {"resume", 0, flag, "",
     "Master: carry on the run recorded in the run store (--store's file, or the newest run that did not end in "
     "its folder, default ./runs/) after the master was restarted; the workers still running its users are adopted",
     to(&options::resume, boolean()), distributed, feature::distributed, [](const options& o) { return o.resume; }},
    {"processes", 0, one, "N", "Run N local worker processes, under a master in this process (or with --worker, the remote master); -1: one per CPU core",
     to(&options::processes, process_count()), distributed, feature::distributed,
     [](const options& o) { return o.processes != 0; }},

    // The run store.
    {"store", 0, one, "PATH", "Record the run in this SQLite file, or in a new file in this folder (default: ./runs/)",
     to(&options::store, some_text("a file or folder path")), store, feature::store,
     [](const options& o) { return !o.store.empty() && !o.no_store; }},
    {"no-store", 0, flag, "", "Do not record the run (wins over --store)", to(&options::no_store, boolean()), store},
  };
  // clang-format on
}

}  // namespace

std::optional<bool> parse_flag(std::string_view text) {
  std::string l(trimmed(text));
  std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return std::tolower(c); });
  if (l.empty() || l == "true" || l == "1" || l == "yes" || l == "on") return true;
  if (l == "false" || l == "0" || l == "no" || l == "off") return false;
  return std::nullopt;
}

const std::vector<option_spec>& option_table() {
  static const std::vector<option_spec> table = make_table();
  return table;
}

const option_spec* find_option(std::string_view long_name) {
  for (const auto& s : option_table())
    if (s.name == long_name) return &s;
  return nullptr;
}

const option_spec* find_short_option(char short_name) {
  if (short_name == 0) return nullptr;
  for (const auto& s : option_table())
    if (s.short_name == short_name) return &s;
  return nullptr;
}

std::string env_suffix(std::string_view long_name) {
  std::string out(long_name);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return c == '-' ? '_' : static_cast<char>(std::toupper(c));
  });
  return out;
}

std::string_view section_title(section s) {
  switch (s) {
    case section::run: return "Options:";
    case section::soak: return "Soak verdict and thresholds:";
    case section::monitor: return "Target monitoring (samples beside the load, every interval):";
    case section::exports: return "Exports:";
    case section::web_ui: return "Web UI options (without --headless the web UI serves, on port 8089):";
    case section::distributed:
      return "Distributed options (Locust's master/worker protocol; see docs/distributed.md):";
    case section::store: return "Run store options:";
  }
  return "";
}

}  // namespace endure::cli
