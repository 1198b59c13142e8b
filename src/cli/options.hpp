// cli::options: the typed result of endure's command line, config files and environment: one
// field per option, defaults in the member initializers. Filled only by raw_options::resolve
// (raw_options.hpp) through the option table (option_table.hpp); no parsing here.
#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace endure::cli {

// An option the locustfile adds (Locust's init_command_line_parser / parser.add_argument): it is
// accepted on the command line, in config files and as LOCUST_<NAME> / ENDURE_<NAME>.
struct extra_option {
  std::string name;                  // long name without dashes, e.g. "my-flag"
  bool is_flag = false;              // store_true: no value
  std::string default_value;         // as text ("" when none)
  std::string help;
  std::vector<std::string> choices;  // empty: any value
  std::string type;                  // "int" or "float": the value is checked as one; "": text
};

// Where an option's value came from, for messages ("invalid value ... (from environment)") and
// for the refusal of options this build cannot honour yet (availability.hpp).
struct origin {
  std::string layer;     // "command line", "environment", "config file PATH"
  std::string spelling;  // as written there: "--master", "LOCUST_MODE_MASTER", "master"
};

// --web-auth user:password (the password may contain ':').
struct credentials {
  std::string user;
  std::string password;
};

struct options {
  // The test
  std::string locustfile;  // -f as given, else ./locustfile.py, else ./locustfile.cpp
  std::string host;        // without a trailing '/'
  uint64_t users = 1;
  double spawn_rate = 1;
  std::optional<std::chrono::milliseconds> run_time;  // empty: until stopped
  bool headless = false;
  std::optional<uint64_t> iterations;
  std::chrono::milliseconds stop_timeout{0};
  std::vector<std::string> tags, exclude_tags;
  int threads = 0;  // 0: all cores
  std::chrono::milliseconds request_timeout{60'000};
  std::chrono::milliseconds dns_ttl{60'000};  // resolved names are looked up again after it
  bool insecure = false;
  std::optional<uint64_t> seed;
  std::vector<std::string> user_classes;  // positional

  // Load models (docs/load-models.md); validated by the app (src/shapes) before the run.
  std::string arrival_rate;   // the open model: "200/s", "ramp:0/s..500/s:1h"; empty: closed model
  bool poisson = false;       // --arrivals poisson (default: even)
  uint64_t max_users = 1000;  // the open model's pool cap
  std::string shape;          // built-in shape specs joined by " + " ("steps:...@15m + repeat")
  std::string shape_file;     // a stage file
  std::string session_length;  // "20m..60m": session churn; empty: none

  // Outputs
  std::string csv_prefix;
  bool csv_full_history = false;
  bool json = false;
  std::string json_file;
  std::string summary_json;  // --summary-json FILE: the run summary document
  std::string html_file;
  // --html is rewritten (atomically) this often while the test runs; 0: only at the end.
  std::chrono::milliseconds html_interval{300'000};
  bool only_summary = false;
  // Entries in the periodic console table (the busiest ones, then a count of the rest);
  // 0: every entry. The final summary always has every entry.
  uint64_t console_rows = 20;
  bool print_stats = false;
  bool reset_stats = false;
  std::string loglevel = "INFO";
  std::string logfile;
  int exit_code_on_error = 1;

  // Soak verdict and thresholds (analysis/: the texts are checked when read)
  std::vector<std::string> thresholds;  // --threshold, as written
  bool abort_on_threshold = false;
  std::optional<std::chrono::milliseconds> warmup;  // empty: found by MSER-5
  std::vector<std::string> limits;      // --limit METRIC=VALUE, as written
  double trend_alpha = 0.05;
  double trend_min_change = 0.10;       // of the level, over the analysed time
  double trend_min_latency_ms = 1.0;
  double trend_min_fail_ratio = 0.001;

  // Target monitoring (src/monitor; docs/monitoring.md): checked when read, resolved at start.
  std::vector<std::string> monitor_pids;            // --monitor-pid, whole numbers as written
  std::vector<std::string> monitor_processes;       // --monitor-process NAME
  std::vector<std::string> monitor_disks;           // --monitor-disk PATH
  std::vector<std::string> monitor_node_exporters;  // --monitor-node-exporter URL
  std::string monitor_prometheus;                   // --monitor-prometheus URL
  std::vector<std::string> monitor_queries;         // --monitor-query NAME=PROMQL, as written

  // Exports (src/exports; docs/exports.md)
  std::optional<uint16_t> metrics_port;  // --metrics-port: Prometheus /metrics in headless runs
  std::string metrics_host = "*";        // --metrics-host
  std::string metrics_buckets;           // --metrics-buckets, seconds, as written ("": default)
  std::string influxdb;                  // --influxdb URL (checked by exports::parse_influx_target)
  std::string influxdb_org, influxdb_bucket, influxdb_token;  // InfluxDB 2.x

  // Information
  bool list = false;
  bool show_task_ratio = false;
  bool show_task_ratio_json = false;
  std::string config;
  bool version = false;
  bool help = false;

  // Web UI (Locust's flags; the UI itself is not built yet)
  std::string web_host = "127.0.0.1";  // loopback unless asked (Locust: every interface); "*": every interface
  uint16_t web_port = 8089;
  bool autostart = false;
  std::optional<std::chrono::milliseconds> autoquit;  // empty: never (Locust's -1)
  std::string web_base_path;                          // "" or "/path" without a trailing '/'
  bool class_picker = false;
  std::optional<credentials> web_auth;
  std::string tls_cert, tls_key;  // both or neither

  // Distributed (Locust's flags; master/worker are not built yet)
  bool master = false;
  std::string master_bind_host = "*";
  uint16_t master_bind_port = 5557;
  uint64_t expect_workers = 1;
  std::chrono::milliseconds expect_workers_max_wait{0};  // 0: wait for ever, as Locust
  bool worker = false;
  std::string master_host = "127.0.0.1";
  uint16_t master_port = 5557;
  int processes = 0;  // 0: not set (one process); -1: one per CPU core; N: N processes
  // Master: a silent worker is missing after this; missing this much longer, its users move.
  std::chrono::milliseconds worker_missing_after{10'000};
  std::chrono::milliseconds worker_redistribute_after{20'000};
  // Worker: quit after this long without a word from a master that answers heartbeats.
  std::chrono::milliseconds master_timeout{60'000};
  // Master and workers: CURVE keys derived from this file's secret; empty: Locust's plain link.
  std::string cluster_secret_file;

  // Run store
  std::string store;  // a file or a folder; empty: the default folder ./runs
  bool no_store = false;
  bool resume = false;  // --resume: a restarted master carries on the run in --store

  // Values of the locustfile's own options (extra_option), by name, as text.
  std::map<std::string, std::string> extra;
  // The options some source set (absent: the default), by long name.
  std::map<std::string, origin> source;
};

}  // namespace endure::cli
