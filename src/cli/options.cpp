#include "cli/options.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <sstream>

#include "base/duration.hpp"
#include "base/log.hpp"

namespace endure::cli {
namespace {

enum class kind { flag, integer, number, text, duration, list };

struct spec {
  const char* name;   // long name without dashes
  const char* short_name;  // "-u" or ""
  kind k;
  const char* metavar;
  const char* help;
};

// The table of every option: drives parsing, config keys, environment names and --help.
const spec specs[] = {
    {"locustfile", "-f", kind::text, "FILE", "C++ locustfile, a directory of them, or a comma-separated list (default: locustfile.cpp)"},
    {"host", "-H", kind::text, "URL", "Host to load test, e.g. http://localhost:8080 (overrides the classes' host)"},
    {"users", "-u", kind::integer, "N", "Peak number of concurrent users (default: 1)"},
    {"spawn-rate", "-r", kind::number, "RATE", "Users started per second (default: 1)"},
    {"run-time", "-t", kind::duration, "TIME", "Stop after this time: 7d, 1d12h30m, 90m, 45s or seconds (default: until stopped)"},
    {"headless", "", kind::flag, "", "Run without the web UI and start the test at once"},
    {"iterations", "-i", kind::integer, "N", "Stop after N task iterations in total"},
    {"stop-timeout", "-s", kind::duration, "TIME", "Time running tasks may take to finish when the test stops (default: 0, stop at once)"},
    {"tags", "-T", kind::list, "TAG", "Run only the tasks with any of these tags"},
    {"exclude-tags", "-E", kind::list, "TAG", "Do not run the tasks with any of these tags"},
    {"csv", "", kind::text, "PREFIX", "Write PREFIX_stats.csv, PREFIX_stats_history.csv, PREFIX_failures.csv, PREFIX_exceptions.csv"},
    {"csv-full-history", "", kind::flag, "", "Write every entry (not only Aggregated) to the history CSV"},
    {"json", "", kind::flag, "", "Print the final statistics as JSON on stdout"},
    {"json-file", "", kind::text, "FILE", "Write the final statistics as JSON to FILE"},
    {"html", "", kind::text, "FILE", "Write a self-contained HTML report to FILE at the end"},
    {"only-summary", "", kind::flag, "", "Print only the final summary, not the table every 2 s"},
    {"console-rows", "", kind::text, "N", "Rows of the table every 2 s: the N busiest names, then a count of the rest; 0 or all: every row (default: 20)"},
    {"print-stats", "", kind::flag, "", "Print the statistics table while the test runs (default in headless mode)"},
    {"reset-stats", "", kind::flag, "", "Reset the statistics once spawning is complete"},
    {"loglevel", "-L", kind::text, "LEVEL", "DEBUG, INFO, WARNING, ERROR or CRITICAL (default: INFO)"},
    {"logfile", "", kind::text, "FILE", "Write the log to FILE instead of stderr"},
    {"exit-code-on-error", "", kind::integer, "CODE", "Exit code when any request failed or a task raised (default: 1)"},
    {"list", "-l", kind::flag, "", "List the user classes and exit"},
    {"show-task-ratio", "", kind::flag, "", "Print the task execution ratio of every user class and exit"},
    {"show-task-ratio-json", "", kind::flag, "", "Print the task execution ratio as JSON and exit"},
    {"config", "", kind::text, "FILE", "Read options from FILE (key = value lines with long option names)"},
    {"version", "-V", kind::flag, "", "Print the version and exit"},
    {"help", "-h", kind::flag, "", "Print this help and exit"},
    {"threads", "", kind::integer, "N", "Event-loop threads for the users (default: all cores)"},
    {"request-timeout", "", kind::duration, "TIME", "Timeout of a whole request, connect included (default: 60s)"},
    {"insecure", "", kind::flag, "", "Do not verify TLS certificates"},
    {"seed", "", kind::integer, "N", "Seed for task choice and wait times (reproducible runs)"},
};

const spec* find_long(std::string_view name) {
  for (const auto& s : specs)
    if (name == s.name) return &s;
  return nullptr;
}

const spec* find_short(std::string_view name) {
  for (const auto& s : specs)
    if (*s.short_name && name == s.short_name) return &s;
  return nullptr;
}

std::string trim(std::string s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string display(const spec& s) {
  return std::string("--") + s.name;
}

base::error bad_value(const spec& s, const std::string& value, const std::string& expected,
                      const std::string& where) {
  return base::make_error("invalid value '" + value + "' for " + display(s) + where + ": expected " +
                          expected);
}

// Raw values by option name, one layer per source.
struct layer {
  std::map<std::string, std::vector<std::string>> values;
  std::string name;  // "config file X", "environment", "command line"
};

base::result<bool> parse_bool(const spec& s, const std::string& v, const std::string& where) {
  std::string l = v;
  std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return std::tolower(c); });
  if (l == "" || l == "true" || l == "1" || l == "yes" || l == "on") return true;
  if (l == "false" || l == "0" || l == "no" || l == "off") return false;
  return bad_value(s, v, "true or false", where);
}

const extra_option* find_extra(const std::vector<extra_option>& extras, std::string_view name) {
  for (const auto& e : extras)
    if (e.name == name) return &e;
  return nullptr;
}

base::result<layer> read_config(const std::string& path, bool must_exist,
                                const std::vector<extra_option>& extras, bool allow_unknown) {
  layer out;
  out.name = "config file " + path;
  std::ifstream in(path);
  if (!in) {
    if (must_exist) return base::make_error("cannot read config file '" + path + "'");
    return out;
  }
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    std::string t = trim(line);
    if (t.empty() || t[0] == '#' || t[0] == ';' || t[0] == '[') continue;
    auto eq = t.find('=');
    if (eq == std::string::npos)
      return base::make_error(path + ":" + std::to_string(lineno) + ": expected 'key = value', got '" + t + "'");
    std::string key = trim(t.substr(0, eq));
    std::string value = trim(t.substr(eq + 1));
    std::replace(key.begin(), key.end(), '_', '-');
    const spec* s = find_long(key);
    if (!s) {
      if (find_extra(extras, key)) {
        out.values["x:" + key] = {value};
        continue;
      }
      if (allow_unknown) continue;
    }
    if (!s || std::string_view(s->name) == "config" || std::string_view(s->name) == "help" ||
        std::string_view(s->name) == "version")
      return base::make_error(path + ":" + std::to_string(lineno) + ": unknown option '" + key +
                              "' (keys are long option names, e.g. users = 10)");
    if (s->k == kind::list) {
      std::stringstream ss(value);
      std::string item;
      while (ss >> item) out.values[s->name].push_back(item);
      if (value.empty()) out.values[s->name];
    } else {
      out.values[s->name] = {value};
    }
  }
  return out;
}

layer read_env(const std::vector<std::string>& env, const std::vector<extra_option>& extras) {
  layer locust, endure_layer;
  for (const auto& kv : env) {
    auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    std::string key = kv.substr(0, eq), value = kv.substr(eq + 1);
    layer* target = nullptr;
    std::string name;
    if (key.starts_with("LOCUST_")) {
      target = &locust;
      name = key.substr(7);
    } else if (key.starts_with("ENDURE_")) {
      target = &endure_layer;
      name = key.substr(7);
    } else {
      continue;
    }
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) {
      return c == '_' ? '-' : static_cast<char>(std::tolower(c));
    });
    const spec* s = find_long(name);
    if (!s) {
      if (find_extra(extras, name)) target->values["x:" + name] = {value};
      continue;  // other variables (ENDURE_CXX, LOCUST_MODE_...) are not options
    }
    if (s->k == kind::list) {
      std::stringstream ss(value);
      std::string item;
      auto& v = target->values[s->name];
      while (std::getline(ss, item, ',')) {
        item = trim(item);
        if (!item.empty()) v.push_back(item);
      }
    } else {
      target->values[s->name] = {value};
    }
  }
  // ENDURE_* wins over LOCUST_* for the same option.
  for (auto& [k, v] : endure_layer.values) locust.values[k] = v;
  locust.name = "environment";
  return locust;
}

}  // namespace

base::result<options> parse(const std::vector<std::string>& argv,
                            const std::vector<std::string>& env, const std::string& cwd,
                            const std::vector<extra_option>& extras, bool allow_unknown) {
  // 1. Command line into a raw layer.
  layer cli;
  cli.name = "command line";
  std::vector<std::string> positional;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "--") {
      positional.insert(positional.end(), argv.begin() + static_cast<long>(i) + 1, argv.end());
      break;
    }
    const spec* s = nullptr;
    std::string inline_value;
    bool has_inline = false;
    if (a.starts_with("--")) {
      std::string name = a.substr(2);
      auto eq = name.find('=');
      if (eq != std::string::npos) {
        inline_value = name.substr(eq + 1);
        name = name.substr(0, eq);
        has_inline = true;
      }
      s = find_long(name);
      if (!s) {
        if (const extra_option* e = find_extra(extras, name)) {
          if (e->is_flag) {
            cli.values["x:" + name] = {has_inline ? inline_value : "true"};
          } else if (has_inline) {
            cli.values["x:" + name] = {inline_value};
          } else if (i + 1 < argv.size()) {
            cli.values["x:" + name] = {argv[++i]};
          } else {
            return base::make_error("--" + name + " needs a value");
          }
          continue;
        }
        if (allow_unknown) {
          // Skip its value too, when one follows (the strict second pass checks it).
          if (!has_inline && i + 1 < argv.size() && !argv[i + 1].starts_with("-")) ++i;
          continue;
        }
        return base::make_error("unknown option '--" + name + "' (see endure --help)");
      }
    } else if (a.size() >= 2 && a[0] == '-' && !std::isdigit(static_cast<unsigned char>(a[1]))) {
      s = find_short(a.substr(0, 2));
      if (!s) return base::make_error("unknown option '" + a + "' (see endure --help)");
      if (a.size() > 2) {
        inline_value = a.substr(2);
        has_inline = true;
      }
    } else {
      positional.push_back(a);
      continue;
    }
    if (s->k == kind::flag) {
      if (has_inline) {
        auto b = parse_bool(*s, inline_value, "");
        if (!b) return b.err();
        cli.values[s->name] = {*b ? "true" : "false"};
      } else {
        cli.values[s->name] = {"true"};
      }
      continue;
    }
    if (s->k == kind::list) {
      auto& v = cli.values[s->name];
      if (has_inline) v.push_back(inline_value);
      while (i + 1 < argv.size() && !(argv[i + 1].starts_with("-") && argv[i + 1].size() > 1)) {
        v.push_back(argv[++i]);
      }
      if (v.empty()) return base::make_error(display(*s) + " needs at least one " + s->metavar);
      continue;
    }
    if (has_inline) {
      cli.values[s->name] = {inline_value};
    } else if (i + 1 < argv.size()) {
      cli.values[s->name] = {argv[++i]};
    } else {
      return base::make_error(display(*s) + " needs a value (" + s->metavar + ")");
    }
  }

  // 2. Config files: locust.conf, endure.conf in the working directory, then --config.
  std::vector<layer> layers;
  for (const char* f : {"locust.conf", "endure.conf"}) {
    auto l = read_config(cwd + "/" + f, false, extras, allow_unknown);
    if (!l) return l.err();
    layers.push_back(std::move(*l));
  }
  layer env_layer = read_env(env, extras);
  std::string config_path;
  if (auto it = cli.values.find("config"); it != cli.values.end()) config_path = it->second[0];
  else if (auto e = env_layer.values.find("config"); e != env_layer.values.end()) config_path = e->second[0];
  if (!config_path.empty()) {
    auto l = read_config(config_path, true, extras, allow_unknown);
    if (!l) return l.err();
    layers.push_back(std::move(*l));
  }
  layers.push_back(std::move(env_layer));
  layers.push_back(std::move(cli));

  // 3. Merge, remembering the source, then convert with validation.
  std::map<std::string, std::pair<std::vector<std::string>, std::string>> merged;
  for (const auto& l : layers)
    for (const auto& [k, v] : l.values) merged[k] = {v, l.name};

  options o;
  for (const auto& e : extras) o.extra[e.name] = e.is_flag && e.default_value.empty() ? "false" : e.default_value;
  for (const auto& [name, entry] : merged) {
    if (name.starts_with("x:")) {
      std::string n = name.substr(2);
      const extra_option& e = *find_extra(extras, n);
      std::string v = entry.first.empty() ? "" : entry.first.back();
      if (e.is_flag) {
        std::string l = v;
        std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return std::tolower(c); });
        if (l == "" || l == "true" || l == "1" || l == "yes" || l == "on") v = "true";
        else if (l == "false" || l == "0" || l == "no" || l == "off") v = "false";
        else return base::make_error("invalid value '" + v + "' for --" + n + ": expected true or false");
      } else if (!e.choices.empty() && std::find(e.choices.begin(), e.choices.end(), v) == e.choices.end()) {
        std::string list;
        for (const auto& c : e.choices) list += (list.empty() ? "" : ", ") + c;
        return base::make_error("invalid value '" + v + "' for --" + n + ": expected one of " + list);
      }
      o.extra[n] = v;
      o.source[n] = entry.second;
      continue;
    }
    const spec& s = *find_long(name);
    const auto& values = entry.first;
    const std::string where = entry.second == "command line" ? "" : " (from " + entry.second + ")";
    o.source[name] = entry.second;
    const std::string v = values.empty() ? "" : values.back();
    auto as_uint = [&](uint64_t min, const char* expected) -> base::result<uint64_t> {
      std::string t = trim(v);
      if (t.empty() || t.size() > 18 || !std::all_of(t.begin(), t.end(), ::isdigit))
        return bad_value(s, v, expected, where);
      uint64_t n = std::stoull(t);
      if (n < min) return bad_value(s, v, expected, where);
      return n;
    };
    auto as_duration = [&]() -> base::result<std::chrono::milliseconds> {
      auto d = base::parse_duration(v);
      if (!d)
        return bad_value(s, v, "a duration such as 7d, 1d12h30m, 90m, 45s or plain seconds", where);
      return *d;
    };
    std::string n = name;
    if (s.k == kind::flag) {
      auto b = parse_bool(s, v, where);
      if (!b) return b.err();
      bool on = *b;
      if (n == "headless") o.headless = on;
      else if (n == "csv-full-history") o.csv_full_history = on;
      else if (n == "json") o.json = on;
      else if (n == "only-summary") o.only_summary = on;
      else if (n == "print-stats") o.print_stats = on;
      else if (n == "reset-stats") o.reset_stats = on;
      else if (n == "list") o.list = on;
      else if (n == "show-task-ratio") o.show_task_ratio = on;
      else if (n == "show-task-ratio-json") o.show_task_ratio_json = on;
      else if (n == "version") o.version = on;
      else if (n == "help") o.help = on;
      else if (n == "insecure") o.insecure = on;
      continue;
    }
    if (n == "locustfile") o.locustfile = v;
    else if (n == "host") {
      if (!(v.starts_with("http://") || v.starts_with("https://")) || v.size() <= 8)
        return bad_value(s, v, "a URL starting with http:// or https://, e.g. http://localhost:8080", where);
      o.host = v;
      while (o.host.size() > 8 && o.host.back() == '/') o.host.pop_back();
    } else if (n == "users") {
      auto u = as_uint(1, "a whole number of users, at least 1");
      if (!u) return u.err();
      o.users = *u;
    } else if (n == "spawn-rate") {
      char* end = nullptr;
      double r = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0' || !std::isfinite(r) || r <= 0)
        return bad_value(s, v, "a positive number of users per second, e.g. 10 or 0.5", where);
      o.spawn_rate = r;
    } else if (n == "run-time") {
      auto d = as_duration();
      if (!d) return d.err();
      if (d->count() <= 0) return bad_value(s, v, "a run time above zero", where);
      o.run_time = *d;
    } else if (n == "iterations") {
      auto u = as_uint(1, "a whole number of iterations, at least 1");
      if (!u) return u.err();
      o.iterations = *u;
    } else if (n == "stop-timeout") {
      auto d = as_duration();
      if (!d) return d.err();
      o.stop_timeout = *d;
    } else if (n == "tags") o.tags = values;
    else if (n == "exclude-tags") o.exclude_tags = values;
    else if (n == "csv") o.csv_prefix = v;
    else if (n == "json-file") o.json_file = v;
    else if (n == "console-rows") {
      if (trim(v) == "all") {
        o.console_rows = 0;
      } else {
        auto c = as_uint(0, "a number of rows (0 or all: every row)");
        if (!c) return c.err();
        o.console_rows = *c;
      }
    }
    else if (n == "html") o.html_file = v;
    else if (n == "loglevel") {
      auto l = base::parse_log_level(v);
      if (!l) return bad_value(s, v, "DEBUG, INFO, WARNING, ERROR or CRITICAL", where);
      o.loglevel = v;
    } else if (n == "logfile") o.logfile = v;
    else if (n == "exit-code-on-error") {
      auto c = as_uint(0, "an exit code from 0 to 255");
      if (!c || *c > 255) return bad_value(s, v, "an exit code from 0 to 255", where);
      o.exit_code_on_error = static_cast<int>(*c);
    } else if (n == "config") o.config = v;
    else if (n == "threads") {
      auto t = as_uint(1, "a number of threads from 1 to 256");
      if (!t || *t > 256) return bad_value(s, v, "a number of threads from 1 to 256", where);
      o.threads = static_cast<int>(*t);
    } else if (n == "request-timeout") {
      auto d = as_duration();
      if (!d) return d.err();
      if (d->count() <= 0) return bad_value(s, v, "a timeout above zero, e.g. 60s or 500ms", where);
      o.request_timeout = *d;
    } else if (n == "seed") {
      auto u = as_uint(0, "a whole number");
      if (!u) return u.err();
      o.seed = *u;
    }
  }
  o.user_classes = positional;
  if (o.json && !o.json_file.empty() && o.json_file == "-")
    return base::make_error("--json and --json-file - both write to stdout: use one");
  if (o.list + o.show_task_ratio + o.show_task_ratio_json > 1)
    return base::make_error("--list, --show-task-ratio and --show-task-ratio-json exclude each other: use one");
  return o;
}

std::string help_text(const std::vector<extra_option>& extras) {
  std::string out =
      "Usage: endure [options] [UserClass ...]\n"
      "       endure demo-shop [--port N] [--latency-ms N] [--error-rate R] [--leak]\n"
      "\n"
      "A load-testing engine for long soak tests that runs Locust-style locustfiles.\n"
      "Options may also come from locust.conf / endure.conf (key = value) and from\n"
      "LOCUST_<NAME> / ENDURE_<NAME> environment variables; the command line wins.\n"
      "\nOptions:\n";
  for (const auto& s : specs) {
    std::string left = "  ";
    left += *s.short_name ? std::string(s.short_name) + ", " : "    ";
    left += std::string("--") + s.name;
    if (s.k != kind::flag) left += std::string(" ") + s.metavar + (s.k == kind::list ? " [...]" : "");
    if (left.size() < 34) left.resize(34, ' ');
    else left += "\n" + std::string(34, ' ');
    out += left + s.help + "\n";
  }
  if (!extras.empty()) {
    out += "\nOptions of the locustfile:\n";
    for (const auto& e : extras) {
      std::string left = "      --" + e.name + (e.is_flag ? "" : " VALUE");
      if (left.size() < 34) left.resize(34, ' ');
      else left += "\n" + std::string(34, ' ');
      out += left + e.help + (e.default_value.empty() ? "" : " (default: " + e.default_value + ")") + "\n";
    }
  }
  out +=
      "\nExit codes: 0 success; 1 (--exit-code-on-error) when a request failed or a task raised;\n"
      "2 bad options or locustfile; 3 a threshold failed; 4 an output is incomplete;\n"
      "5 users did not stop and were abandoned; 70 internal error.\n";
  return out;
}

}  // namespace endure::cli
