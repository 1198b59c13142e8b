// cli::options: endure's command line, config files (endure.conf, locust.conf, --config) and
// environment (ENDURE_*, LOCUST_*), with Locust's flag names where the meaning matches.
// Precedence: defaults < config file < environment < command line. Pure parsing: no I/O except
// reading config files.
#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace endure::cli {

// An option the locustfile adds (Locust's init_command_line_parser / parser.add_argument): it is
// accepted on the command line, in config files and as LOCUST_<NAME> / ENDURE_<NAME>.
struct extra_option {
  std::string name;                  // long name without dashes, e.g. "my-flag"
  bool is_flag = false;              // store_true: no value
  std::string default_value;         // as text ("" when none)
  std::string help;
  std::vector<std::string> choices;  // empty: any value
};

struct options {
  std::string locustfile = "locustfile.cpp";
  std::string host;
  uint64_t users = 1;
  double spawn_rate = 1;
  std::optional<std::chrono::milliseconds> run_time;
  bool headless = false;
  std::optional<uint64_t> iterations;
  std::chrono::milliseconds stop_timeout{0};
  std::vector<std::string> tags, exclude_tags;
  std::string csv_prefix;
  bool csv_full_history = false;
  bool json = false;
  std::string json_file;
  std::string html_file;
  bool only_summary = false;
  // Entries in the periodic console table (the busiest ones, then a count of the rest);
  // 0: every entry. The final summary always has every entry.
  uint64_t console_rows = 20;
  bool print_stats = false;
  bool reset_stats = false;
  std::string loglevel = "INFO";
  std::string logfile;
  int exit_code_on_error = 1;
  bool list = false;
  bool show_task_ratio = false;
  bool show_task_ratio_json = false;
  std::string config;
  bool version = false;
  bool help = false;
  int threads = 0;  // 0: all cores
  std::chrono::milliseconds request_timeout{60'000};
  bool insecure = false;
  std::optional<uint64_t> seed;
  std::vector<std::string> user_classes;  // positional
  // Values of the locustfile's own options (extra_option), by name, as text.
  std::map<std::string, std::string> extra;
  // Which source set each option (for messages): "default", "config", "env", "cli".
  std::map<std::string, std::string> source;
};

// argv excludes the program name. env: the process environment as "KEY=VALUE" entries.
// config files are read from the working directory (locust.conf, endure.conf) and --config.
// extras: the locustfile's own options. allow_unknown: a first pass that only needs -f and the
// like before the locustfile is loaded (unknown options and their values are skipped).
base::result<options> parse(const std::vector<std::string>& argv,
                            const std::vector<std::string>& env, const std::string& cwd = ".",
                            const std::vector<extra_option>& extras = {},
                            bool allow_unknown = false);

std::string help_text(const std::vector<extra_option>& extras = {});

}  // namespace endure::cli
