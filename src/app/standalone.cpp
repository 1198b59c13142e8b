#include "app/standalone.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "base/log.hpp"
#include "cli/options.hpp"
#include "cppfile/loader.hpp"
#include "report/html.hpp"
#include "endure/user.hpp"
#include "endure/shape.hpp"
#include "engine/runner.hpp"
#include "python/program.hpp"
#include "sinks/console_sink.hpp"
#include "sinks/csv_sink.hpp"
#include "sinks/html_sink.hpp"
#include "sinks/json_sink.hpp"

namespace endure::app {
namespace {

constexpr int exit_usage = 2;

int fail(const std::string& message) {
  std::fprintf(stderr, "endure: error: %s\n", message.c_str());
  return exit_usage;
}

// The size of the kernel's ephemeral port range (0 when unknown).
uint64_t ephemeral_ports() {
  std::FILE* f = std::fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
  if (!f) return 0;
  unsigned lo = 0, hi = 0;
  int n = std::fscanf(f, "%u %u", &lo, &hi);
  std::fclose(f);
  return n == 2 && hi >= lo ? hi - lo + 1 : 0;
}

// Raises the soft open-file limit to the hard one: every user holds at least one connection.
uint64_t raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  return rl.rlim_cur;
}

// Locust's --show-task-ratio: each class's share of users and each task's share within it.
nlohmann::json task_ratio_of(const std::vector<const detail::class_spec*>& classes) {
  int total_weight = 0;
  for (const auto* c : classes) total_weight += std::max(0, c->weight);
  nlohmann::json j = nlohmann::json::object();
  std::function<nlohmann::json(const detail::class_spec&, double)> tasks_of =
      [&](const detail::class_spec& spec, double scale) {
        nlohmann::json t = nlohmann::json::object();
        int sum = 0;
        for (const auto& e : spec.tasks) sum += std::max(0, e.weight);
        for (const auto& e : spec.tasks) {
          double r = sum ? static_cast<double>(e.weight) / sum : 0;
          nlohmann::json entry = {{"ratio", r * scale}};
          if (e.is_task_set && e.nested) entry["tasks"] = tasks_of(*e.nested, r * scale);
          t[e.name] = entry;
        }
        return t;
      };
  for (const auto* c : classes) {
    double share = total_weight ? static_cast<double>(c->weight) / total_weight : 0;
    j[c->name] = {{"ratio", share}, {"tasks", tasks_of(*c, 1.0)}};
  }
  return j;
}

void print_task_ratio(const nlohmann::json& j, bool as_json) {
  if (as_json) {
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  std::printf("\n Task ratio per User class\n");
  std::function<void(const nlohmann::json&, int)> print = [&](const nlohmann::json& tasks, int depth) {
    for (auto it = tasks.begin(); it != tasks.end(); ++it) {
      std::printf("%*s%-6.1f%% %s\n", depth * 4, "", 100 * it.value()["ratio"].get<double>(), it.key().c_str());
      if (it.value().contains("tasks")) print(it.value()["tasks"], depth + 1);
    }
  };
  for (auto it = j.begin(); it != j.end(); ++it) {
    std::printf("%-6.1f%% %s\n", 100 * it.value()["ratio"].get<double>(), it.key().c_str());
    print(it.value()["tasks"], 1);
  }
}

std::string fmt_rate(double r) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", r);
  return buf;
}

// An output file must be creatable before the run starts (its directory exists and is writable).
base::result<base::unit> check_writable(const std::string& flag, const std::string& path) {
  std::filesystem::path p(path);
  std::filesystem::path dir = p.has_parent_path() ? p.parent_path() : std::filesystem::path(".");
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    return base::make_error("cannot write " + flag + " '" + path + "': directory '" + dir.string() +
                            "' does not exist");
  if (access(dir.c_str(), W_OK) != 0)
    return base::make_error("cannot write " + flag + " '" + path + "': directory '" + dir.string() +
                            "' is not writable");
  return base::unit{};
}

}  // namespace

int run_standalone(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  // A Python locustfile may add options of its own (init_command_line_parser): find -f with a
  // lenient first pass, then parse strictly once the locustfile is loaded. C++ locustfiles add
  // none: their options are checked strictly before anything is compiled.
  auto lenient = cli::parse(args, env, ".", {}, true);
  if (!lenient) return fail(lenient.err().message);
  bool python_file = false;
  if (auto files = cppfile::expand_locustfile_spec(lenient->locustfile); files)
    python_file = python::is_python_spec(*files);
  auto parsed = python_file && !lenient->help && !lenient->version ? lenient : cli::parse(args, env);
  if (!parsed) return fail(parsed.err().message);
  cli::options& o = *parsed;
  if (o.help) {
    std::fputs(cli::help_text().c_str(), stdout);
    return 0;
  }
  if (o.version) {
    std::printf("endure %s\n", ENDURE_VERSION);
    return 0;
  }
  base::set_log_level(*base::parse_log_level(o.loglevel));
  if (!o.logfile.empty()) {
    auto r = base::set_log_file(o.logfile);
    if (!r) return fail(r.err().message);
  }

  // --- Python locustfiles (src/python): the same run, with users from python::program ---
  std::unique_ptr<python::program> py;
  if (auto files = cppfile::expand_locustfile_spec(o.locustfile); files && python::is_python_spec(*files)) {
    auto p = python::program::load(*files);
    if (!p) return fail(p.err().message);
    py = std::move(*p);
    auto custom = py->custom_options();
    if (!custom) return fail(custom.err().message);
    std::vector<cli::extra_option> extras;
    for (auto& c : *custom) extras.push_back({c.name, c.is_flag, c.default_value, c.help, c.choices});
    auto strict = cli::parse(args, env, ".", extras);
    if (!strict) return fail(strict.err().message);
    o = std::move(*strict);
    base::set_log_level(*base::parse_log_level(o.loglevel));
  }
  // --- end Python ---
  std::vector<engine::user_class> classes;
  std::shared_ptr<LoadTestShape> shape;
  if (py) {
    classes = py->classes();
  } else {
    auto loaded = cppfile::load(o.locustfile, {});
    if (!loaded) return fail(loaded.err().message);
    for (const auto* c : loaded->classes)
      if (!c->abstract) classes.push_back(engine::make_user_class(c));
    shape = loaded->shape;
  }
  if (!o.user_classes.empty()) {
    std::vector<engine::user_class> picked;
    for (const auto& name : o.user_classes) {
      auto it = std::find_if(classes.begin(), classes.end(), [&](auto& c) { return c.name == name; });
      if (it == classes.end()) {
        std::string known;
        for (auto& c : classes) known += (known.empty() ? "" : ", ") + c.name;
        return fail("unknown user class '" + name + "': the locustfile defines " + known);
      }
      picked.push_back(*it);
    }
    classes = picked;
  }
  if (classes.empty()) return fail(o.locustfile + ": no user classes (all abstract?)");

  if (o.list) {
    for (auto& c : classes) std::printf("%s\n", c.name.c_str());
    return 0;
  }
  if (o.show_task_ratio || o.show_task_ratio_json) {
    if (py) {
      std::vector<std::string> names;
      for (auto& c : classes) names.push_back(c.name);
      print_task_ratio(py->task_ratio(names), o.show_task_ratio_json);
    } else {
      std::vector<const detail::class_spec*> specs;
      for (auto& c : classes) specs.push_back(c.cpp);
      print_task_ratio(task_ratio_of(specs), o.show_task_ratio_json);
    }
    return 0;
  }
  if (o.host.empty()) {
    for (auto& c : classes)
      if (c.host.empty())
        return fail("no host for user class '" + c.name + "': pass --host http://HOST:PORT or set " +
                    (py ? "host = \"http://HOST:PORT\"" : ".host(...)") + " in the class");
  }
  if (!o.headless)
    return fail("the web UI is not available in this build yet: add --headless (with -u, -r and -t)");

  // Each user holds a connection to the target: a local port each, from the ephemeral range.
  if (auto ports = ephemeral_ports(); ports > 0 && o.users > ports)
    return fail(std::to_string(o.users) + " users need " + std::to_string(o.users) +
                " local ports to one target but the ephemeral port range has " +
                std::to_string(ports) +
                ": widen net.ipv4.ip_local_port_range or run fewer users per machine");
  uint64_t fd_limit = raise_fd_limit();
  if (fd_limit > 0 && o.users + 64 > fd_limit)
    return fail(std::to_string(o.users) + " users need at least " + std::to_string(o.users + 64) +
                " file descriptors but the limit is " + std::to_string(fd_limit) +
                ": raise it (ulimit -n) or run fewer users per process");

  // Sinks open before the run so that a bad path fails now, with nothing half written.
  std::vector<std::unique_ptr<sinks::sink>> outputs;
  report::console_options console;
  console.max_rows = o.console_rows;
  outputs.push_back(std::make_unique<sinks::console_sink>(stdout, o.only_summary, true, console));
  if (!o.json_file.empty()) {
    if (auto r = check_writable("--json-file", o.json_file); !r) return fail(r.err().message);
    outputs.push_back(std::make_unique<sinks::json_sink>(o.json_file));
  }
  if (o.json) outputs.push_back(std::make_unique<sinks::json_sink>("-"));
  if (!o.html_file.empty()) {
    if (auto r = check_writable("--html", o.html_file); !r) return fail(r.err().message);
    report::html_run_info info;
    info.host = o.host.empty() ? classes.front().host : o.host;
    info.locustfile = o.locustfile;
    outputs.push_back(std::make_unique<sinks::html_sink>(o.html_file, info));
  }
  if (!o.csv_prefix.empty()) {  // last: it creates its files at once
    auto s = sinks::csv_sink::open(o.csv_prefix, o.csv_full_history);
    if (!s) return fail(s.err().message);
    outputs.push_back(std::move(*s));
  }

  engine::run_config cfg;
  cfg.users = o.users;
  cfg.spawn_rate = o.spawn_rate;
  cfg.run_time = o.run_time;
  cfg.stop_timeout = o.stop_timeout;
  cfg.threads = o.threads > 0 ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  cfg.host = o.host;
  cfg.client.request_timeout = o.request_timeout;
  cfg.client.connect_timeout = o.request_timeout;
  cfg.client.insecure = o.insecure;
  cfg.seed = o.seed;
  cfg.iterations = o.iterations;
  cfg.tags = o.tags;
  cfg.exclude_tags = o.exclude_tags;
  cfg.reset_stats = o.reset_stats;
  cfg.handle_signals = true;
  if (shape) {
    // Locust: a shape class drives the users; -u and -r are not used (--run-time still ends it).
    if (o.source.count("users") || o.source.count("spawn-rate"))
      base::log_warning("main", "the locustfile has a load shape: -u/--users and -r/--spawn-rate are ignored");
    cfg.shape = [shape](double run_time_s, uint64_t users) -> std::optional<engine::shape_tick> {
      shape->set_state(run_time_s, users);
      auto t = shape->tick();
      if (!t) return std::nullopt;
      return engine::shape_tick{t->users, t->spawn_rate, t->user_classes};
    };
  }
  if (py) {  // Python: one shard, the locustfile's environment and init event
    nlohmann::json py_options = {{"host", o.host},           {"num_users", o.users},
                             {"spawn_rate", o.spawn_rate}, {"headless", o.headless},
                             {"locustfile", o.locustfile}, {"tags", o.tags},
                             {"exclude_tags", o.exclude_tags}, {"csv_prefix", o.csv_prefix},
                             {"reset_stats", o.reset_stats}};
    if (o.run_time) py_options["run_time"] = o.run_time->count() / 1000;
    if (o.iterations) py_options["iterations"] = *o.iterations;
    py_options["extra"] = o.extra;
    if (auto r = py->configure(cfg, {{"parsed_options", py_options}}); !r) return fail(r.err().message);
  }

  base::log_info("main", "Starting endure " + std::string(ENDURE_VERSION) + ": " +
                             (shape ? std::string("users from the load shape")
                                    : std::to_string(o.users) + " users at " +
                                          fmt_rate(o.spawn_rate) + "/s") +
                             " on " + std::to_string(cfg.threads) + " threads");
  engine::runner r(cfg, classes);
  if (py) py->attach(r.events());
  r.events().snapshot.push_back([&](const stats::snapshot_ptr& s) {
    for (auto& out : outputs) out->on_snapshot(*s);
  });
  auto final_snapshot = r.run();
  base::log_info("main", "Test stopped (" + r.stop_reason() + ")");
  if (!final_snapshot) return static_cast<int>(base::exit_code::internal);
  bool any_error = final_snapshot->aggregated.num_failures > 0 || !final_snapshot->exceptions.empty();
  int code = any_error ? o.exit_code_on_error : 0;
  // --- outputs: an incomplete output file is listed at the end and makes the exit code 4 ---
  {
    std::vector<const sinks::sink*> all;
    for (const auto& out : outputs) all.push_back(out.get());
    if (auto incomplete = sinks::incomplete_files(all); !incomplete.empty()) {
      std::fputs(sinks::incomplete_summary(incomplete).c_str(), stderr);
      std::fflush(stderr);
      code = static_cast<int>(base::exit_code::outputs_incomplete);  // above 3 and 1 (cli.md)
    }
  }
  // --- end outputs ---
  if (py) py->finish(code);
  if (r.abandoned_threads()) {
    // A user is stuck in code that never yields; its thread cannot be joined. Every output is
    // already written and flushed: end now rather than run destructors under its feet.
    outputs.clear();
    std::fflush(nullptr);
    std::_Exit(code);
  }
  return code;
}

}  // namespace endure::app
