#include "app/standalone.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "app/load_model.hpp"
#include "app/locustfiles.hpp"
#include "app/influx_output.hpp"
#include "app/master_run.hpp"
#include "app/metrics_output.hpp"
#include "app/monitor_output.hpp"
#include "app/worker_run.hpp"
#include "app/outputs.hpp"
#include "app/signals.hpp"
#include "app/store_output.hpp"
#include "app/summary_output.hpp"
#include "app/verdict_output.hpp"
#include "app/web_run.hpp"
#include "base/log.hpp"
#include "cli/availability.hpp"
#include "cli/raw_options.hpp"
#include "engine/asio_scheduler.hpp"
#include "engine/controller.hpp"
#include "engine/totals_stage.hpp"
#include "report/verdict.hpp"
#include "sinks/html_sink.hpp"

namespace endure::app {
namespace {

constexpr int exit_usage = static_cast<int>(base::exit_code::usage);

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

// Locust's --show-task-ratio: the per-class table, then the total one.
void print_task_ratio(const nlohmann::ordered_json& j, bool as_json) {
  if (as_json) {
    // Locust prints json.dumps(..., indent=4): classes and tasks in their defined order.
    std::printf("%s\n", j.dump(4).c_str());
    return;
  }
  std::function<void(const nlohmann::ordered_json&, int)> print = [&](const nlohmann::ordered_json& tasks, int depth) {
    for (auto it = tasks.begin(); it != tasks.end(); ++it) {
      std::printf("%*s%-6.1f%% %s\n", depth * 4, "", 100 * it.value()["ratio"].get<double>(), it.key().c_str());
      if (it.value().contains("tasks")) print(it.value()["tasks"], depth + 1);
    }
  };
  auto table = [&](const char* title, const nlohmann::ordered_json& classes) {
    std::printf("\n %s\n", title);
    for (auto it = classes.begin(); it != classes.end(); ++it) {
      std::printf("%-6.1f%% %s\n", 100 * it.value()["ratio"].get<double>(), it.key().c_str());
      print(it.value()["tasks"], 1);
    }
  };
  if (j.contains("per_class")) {
    table("Task ratio per User class", j["per_class"]);
    table("Total task ratio", j["total"]);
  } else {
    table("Task ratio per User class", j);
  }
}

double wall_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string fmt_rate(double r) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", r);
  return buf;
}

std::string fmt_duration(std::chrono::milliseconds d) {
  auto s = d.count() / 1000;
  std::string out;
  if (s >= 86400) out += std::to_string(s / 86400) + "d";
  if (s % 86400 >= 3600) out += std::to_string(s % 86400 / 3600) + "h";
  if (s % 3600 >= 60) out += std::to_string(s % 3600 / 60) + "m";
  if (s % 60 != 0 || out.empty()) out += std::to_string(s % 60) + "s";
  return out;
}

// Locust's option names and values, for the locustfile's environment.parsed_options.
nlohmann::json parsed_options_of(const cli::options& o) {
  nlohmann::json j = {{"host", o.host},
                      {"num_users", o.source.count("users") ? nlohmann::json(o.users) : nlohmann::json()},
                      {"spawn_rate", o.spawn_rate}, {"headless", o.headless},
                      {"locustfile", o.locustfile}, {"tags", o.tags},
                      {"exclude_tags", o.exclude_tags}, {"csv_prefix", o.csv_prefix},
                      {"reset_stats", o.reset_stats}, {"stop_timeout", o.stop_timeout.count() / 1000.0}};
  if (o.run_time) j["run_time"] = o.run_time->count() / 1000;
  if (o.iterations) j["iterations"] = *o.iterations;
  j["extra"] = o.extra;
  return j;
}

}  // namespace

int run_standalone(const cli::raw_options& raw, const std::vector<std::string>& command_line) {
  // The options were read once (main.cpp). endure's own are checked before the locustfile is
  // loaded (a C++ one may have to be compiled: a bad flag should not wait for that); all of them,
  // the locustfile's own included (init_command_line_parser), once it is loaded, which happens
  // once whatever its language.
  auto spec = raw.locustfile();
  if (!spec) return fail(spec.err().message);
  auto own = raw.resolve_known();
  if (!own) return fail(own.err().message);
  // Master and worker runs have their own files (a local worker started by --processes is a
  // worker whatever its config says). -l and --show-task-ratio list and exit in any mode (as
  // Locust), which also checks a master's or a worker's whole command line without running it.
  const bool listing = own->list || own->show_task_ratio || own->show_task_ratio_json;
  if (std::getenv("ENDURE_PROCESS_CHILD") != nullptr || (own->worker && !listing)) return run_worker(raw);
  if ((own->master || own->processes != 0) && !listing) return run_master(raw, command_line);
  static constexpr cli::feature built[] = {cli::feature::store, cli::feature::web_ui};
  if (auto r = cli::check_available(*own, built); !r) return fail(r.err().message);
  base::set_log_level(*base::parse_log_level(own->loglevel));
  if (!own->logfile.empty()) {
    auto r = base::set_log_file(own->logfile);
    if (!r) return fail(r.err().message);
  }
  auto l = open_locustfile(*spec);
  if (!l) return fail(l.err().message);
  std::unique_ptr<engine::locustfile> opened = std::move(*l);
  auto custom = opened->custom_options();
  if (!custom) return fail(custom.err().message);
  std::vector<cli::extra_option> extras;
  for (auto& c : *custom) extras.push_back({c.name, c.is_flag, c.default_value, c.help, c.choices, c.type});
  auto parsed = raw.resolve(extras);
  if (!parsed) return fail(parsed.err().message);
  cli::options& o = *parsed;
  engine::locustfile& lf = *opened;

  std::vector<engine::user_class> classes = lf.classes();
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
  const nlohmann::json parsed_options = parsed_options_of(o);
  if (o.show_task_ratio || o.show_task_ratio_json) {
    std::vector<std::string> names;
    for (auto& c : classes) names.push_back(c.name);
    engine::controller_config probe;
    if (auto r = lf.configure(probe, parsed_options); !r) return fail(r.err().message);
    print_task_ratio(lf.task_ratio(names), o.show_task_ratio_json);
    return 0;
  }
  const bool python = std::string(lf.language()) == "python";
  if (o.host.empty()) {
    for (auto& c : classes)
      if (c.host.empty() && c.needs_host)
        return fail("no host for user class '" + c.name + "': pass --host http://HOST:PORT or set " +
                    (python ? "host = \"http://HOST:PORT\"" : ".host(...)") + " in the class");
  }
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

  engine::controller_config cfg;
  cfg.threads = o.threads > 0 ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  cfg.shards.client.request_timeout = o.request_timeout;
  cfg.shards.client.connect_timeout = o.request_timeout;
  cfg.shards.client.insecure = o.insecure;
  cfg.shards.client.dns_ttl = o.dns_ttl;
  cfg.shards.tags = o.tags;
  cfg.shards.exclude_tags = o.exclude_tags;
  cfg.shards.classes = classes;
  cfg.seed = o.seed;
  cfg.sampler = engine::make_process_sampler();
  if (auto r = lf.configure(cfg, parsed_options); !r) return fail(r.err().message);
  std::vector<std::string> class_names;
  for (auto& c : classes) class_names.push_back(c.name);
  const std::string tasks_json = o.headless ? "" : lf.task_ratio(class_names).dump();  // GET /tasks

  engine::test_plan plan;
  plan.users = o.users;
  plan.spawn_rate = o.spawn_rate;
  plan.run_time = o.run_time;
  plan.stop_timeout = o.stop_timeout;
  plan.iterations = o.iterations;
  plan.host = o.host;
  plan.reset_stats_after_ramp = o.reset_stats;
  plan.shape = lf.shape();
  if (plan.shape && (o.source.count("users") || o.source.count("spawn-rate")))
    // Locust: a shape class drives the users; -u and -r are not used (--run-time still ends it).
    base::log_warning("main", "the locustfile has a load shape: -u/--users and -r/--spawn-rate are ignored");
  auto model = apply_load_model(o, lf.has_shape(), classes, plan);
  if (!model) return fail(model.err().message);

  // Outputs open before the run so that a bad path fails now, with nothing half written.
  report::html_run_info info;
  info.host = o.host.empty() ? classes.front().host : o.host;
  info.locustfile = o.locustfile;
  info.rewrite_every_s = static_cast<double>(o.html_interval.count()) / 1000.0;
  bool class_churn = false;
  for (const auto& c : classes) class_churn = class_churn || c.session_max_ms > 0;
  info.load_model = model->open_model || plan.session_max.count() > 0 || class_churn;
  // Soak verdict and thresholds: judged from the run bus on their own thread; the final table
  // reaches the console, JSON and HTML through the outputs' annex.
  auto verdict_settings = verdict_output::settings_from(o);
  if (!verdict_settings) return fail(verdict_settings.err().message);
  verdict_output verdict(std::move(*verdict_settings));
  // Target monitoring (--monitor-*): samples ride in the interval records; a summary and charts
  // join the verdict in the console and the HTML report.
  auto monitoring = monitor_output::open(o, cfg.interval);
  if (!monitoring) return fail(monitoring.err().message);
  std::unique_ptr<monitor_output> monitor = std::move(*monitoring);
  if (monitor) cfg.monitor = monitor->feed();
  // --metrics-port: Prometheus /metrics on a port of its own; in web mode also (or only) on the UI's.
  auto metrics_opened = o.headless || o.metrics_port ? metrics_output::open(o) : metrics_output::for_web_ui(o);
  if (!metrics_opened) return fail(metrics_opened.err().message);
  std::unique_ptr<metrics_output> metrics = std::move(*metrics_opened);
  auto influx_opened = influx_output::open(o);  // --influxdb
  if (!influx_opened) return fail(influx_opened.err().message);
  std::unique_ptr<influx_output> influx = std::move(*influx_opened);
  if (!o.summary_json.empty())
    if (auto r = check_output_path("--summary-json", o.summary_json); !r) return fail(r.err().message);
  auto outs = outputs::open(o, info, info.load_model,
                            monitor ? monitor->annex(verdict.annex()) : verdict.annex());
  if (!outs) return fail(outs.err().message);
  // The run store, on by default: created once everything else is checked (a refused run leaves
  // no store behind), before the run starts (a folder that cannot be written stops it here).
  std::unique_ptr<store_output> store;
  if (!o.no_store) {
    const double start_wall_s = wall_now();
    auto path = store_path(o.store, o.locustfile, start_wall_s);
    if (!path) return fail(path.err().message);
    auto s = store_output::open(*path, run_meta_of(o, command_line, classes, info.host, start_wall_s));
    if (!s) return fail(s.err().message);
    store = std::move(*s);
    base::log_info("store", "Recording the run in " + store->path());
  }


  base::log_info("main", "Starting endure " + std::string(ENDURE_VERSION) + ": " +
                             (plan.arrivals ? "the open model, " + std::string(o.poisson ? "Poisson" : "even") +
                                                  " arrivals, at most " + std::to_string(o.max_users) + " users"
                              : plan.shape ? std::string("users from the load shape")
                                           : std::to_string(o.users) + " users at " +
                                                 fmt_rate(o.spawn_rate) + "/s") +
                             " on " + std::to_string(cfg.threads) + " threads");
  if (!model->listing.empty()) base::log_info("main", model->listing.substr(0, model->listing.size() - 1));
  if (plan.session_max.count() > 0)
    base::log_info("main", "Sessions last " + fmt_duration(plan.session_min) + " to " +
                               fmt_duration(plan.session_max) + ": then on_stop runs and a fresh user takes over");
  if (o.run_time) base::log_info("main", "Run time limit set to " + fmt_duration(*o.run_time));

  engine::asio_scheduler sched;
  engine::run_bus run_bus;
  engine::snapshot_bus snapshot_bus;
  // Window percentiles (and interval histograms) per row only where an output shows them: the
  // console's rows, the endpoints the HTML report may follow, or every row for
  // --csv-full-history.
  stats::run_totals::view_options view;
  view.window_rows = o.console_rows == 0 ? SIZE_MAX : o.console_rows;
  if (!o.html_file.empty())
    view.window_rows = std::max<size_t>(view.window_rows, 2 * sinks::html_sink::charted_endpoints);
  view.window_all_rows = o.csv_full_history;
  engine::totals_stage totals(run_bus, snapshot_bus, view);
  (*outs)->attach(snapshot_bus);
  if (store) store->attach(run_bus);
  engine::controller ctl(sched, std::move(cfg), run_bus);
  verdict.attach(run_bus, [&ctl](const std::string& why) { ctl.stop(why); });  // soak verdict
  auto events = lf.attach(run_bus);
  if (monitor) {
    monitor->attach(run_bus);
    monitor->start();
  }
  if (metrics) metrics->attach(run_bus);
  if (influx) influx->attach(run_bus);
  stop_signals signals(sched, ctl);

  // Without --headless the web UI steers the tests (app/web_run.cpp): they start from it or with
  // --autostart, and the process ends on Ctrl-C or --autoquit.
  std::unique_ptr<web_run> web;
  if (!o.headless) {
    auto w = web_run::open(o, sched, ctl, snapshot_bus, plan, class_names, info, tasks_json,
                           store ? store->path() : std::string(),
                           metrics ? std::function<std::string()>([m = metrics.get()] { return m->scrape(); })
                                   : std::function<std::string()>(),
                           &lf, [&verdict] { return verdict.latest_json(); });
    if (!w) return fail(w.err().message);
    web = std::move(*w);
  }
  if (!web || o.autostart) ctl.start(std::move(plan));
  if (web) {
    sched.run_until([&] { return web->finished(signals.received()); });
    web.reset();
    if (ctl.tests_started() == 0) {  // the UI was closed before any test
      ctl.shutdown();
      if (store) store->finish(wall_now(), "no test was started", 0);
      return 0;
    }
  } else {
    sched.run_until([&] { return ctl.tests_started() > 0 && ctl.state() == stats::run_state::stopped; });
  }
  const auto outcome = ctl.outcome();
  base::log_info("main", "Test stopped (" + outcome.stop_reason + ")");

  // Every record becomes a snapshot, every snapshot reaches every output, before the exit.
  totals.drain(std::chrono::seconds(60));
  if (monitor) monitor->drain(std::chrono::seconds(60));
  verdict.drain(std::chrono::seconds(60));
  (*outs)->drain(std::chrono::seconds(60));
  if (metrics) metrics->finish(std::chrono::seconds(5));
  if (influx) influx->finish(std::chrono::seconds(5));
  const bool threads_joined = ctl.shutdown();

  auto final_snapshot = totals.final_snapshot();
  if (!final_snapshot) return static_cast<int>(base::exit_code::internal);
  if (final_snapshot->aggregated.num_requests == 0)
    base::log_warning("main", "no request was made in this test: check the host, the tasks and "
                              "their wait times (see the exceptions above, if any)");
  bool any_error = final_snapshot->aggregated.num_failures > 0 || !final_snapshot->exceptions.empty();
  int code = any_error ? o.exit_code_on_error : 0;
  std::vector<std::string> exit_reasons;  // for --summary-json: why the code is not 0
  if (any_error && o.exit_code_on_error != 0)
    exit_reasons.push_back(failures_reason(*final_snapshot, o.exit_code_on_error));
  // --- Soak verdict: a failed threshold is listed on stderr and makes the exit code 3 (above
  // failures; below incomplete outputs and stuck users, which follow).
  const auto soak_final = verdict.final_result(std::chrono::seconds(0));
  if (store && soak_final)  // the verdict's findings join the run's timeline in its store
    for (auto& e : soak_events(*soak_final, wall_now(), ctl.tests_started())) store->push(std::move(e));
  if (soak_final && report_failed_thresholds(soak_final->thresholds)) {
    code = static_cast<int>(base::exit_code::thresholds);
    for (const auto& t : soak_final->thresholds)
      if (t.status == analysis::threshold_status::failed)
        exit_reasons.push_back("threshold failed: " + report::threshold_line(t, false));
  }
  // ---
  const bool stuck = outcome.abandoned_users > 0 || !outcome.stuck.empty();
  std::vector<sinks::file_problem> incomplete = (*outs)->incomplete();
  if (store) {
    // The end record says how the run ended and its exit code; without it the file reads as a
    // run that was killed.
    store->drain(std::chrono::seconds(60));
    const int expected = stuck ? static_cast<int>(base::exit_code::stuck)
                         : !incomplete.empty() || store->problem()
                             ? static_cast<int>(base::exit_code::outputs_incomplete)
                             : code;
    store->finish(wall_now(), outcome.stop_reason, expected);
    if (auto p = store->problem()) incomplete.push_back(*p);
    else {
      char cpu[64];
      std::snprintf(cpu, sizeof cpu, " (the store used %.3f s of CPU)", store->cpu_seconds());
      base::log_info("store", "The run is recorded in " + store->path() + cpu);
    }
  }
  // An output file that could not be written whole is listed and makes the exit code 4.
  if (!incomplete.empty()) {
    for (const auto& p : incomplete) exit_reasons.push_back("output incomplete: " + p.path + ": " + p.reason);
    std::fputs(sinks::incomplete_summary(incomplete).c_str(), stderr);
    std::fflush(stderr);
    code = static_cast<int>(base::exit_code::outputs_incomplete);  // above 3 and 1 (cli.md)
  }
  // Users that never stopped: named with their class and task, exit 5 (above 4).
  if (stuck) {
    std::string where;
    for (const auto& w : outcome.stuck) where += (where.empty() ? "" : ", ") + w;
    std::fprintf(stderr, "endure: %s%s\n",
                 outcome.abandoned_users > 0
                     ? (std::to_string(outcome.abandoned_users) + " users did not stop and were abandoned").c_str()
                     : "a shard was stuck in user code",
                 where.empty() ? "" : (" (stuck in " + where + ": a task that never yields)").c_str());
    code = static_cast<int>(base::exit_code::stuck);
    exit_reasons.push_back("users did not stop" + (where.empty() ? std::string() : " (stuck in " + where + ")"));
  }
  events.reset();
  // The locustfile may set its own exit code as Locust allows (environment.process_exit_code,
  // or 2 when an event handler failed at start); stuck users keep 5.
  if (threads_joined) {
    const int locustfile_code = lf.finish(code);
    if (code != static_cast<int>(base::exit_code::stuck) && locustfile_code != code) {
      code = locustfile_code;
      exit_reasons.push_back("set by the locustfile (environment.process_exit_code)");
    }
  }
  // --summary-json: last, so that it carries the exit code and how every other output ended.
  if (!o.summary_json.empty()) {
    run_end end{store ? store->path() : "", o.locustfile, info.host, &*final_snapshot, outcome.stop_reason,
                code, exit_reasons, soak_final ? &*soak_final : nullptr, monitor.get()};
    if (!write_run_summary(o.summary_json, end) && code != static_cast<int>(base::exit_code::stuck))
      code = static_cast<int>(base::exit_code::outputs_incomplete);
  }
  if (!threads_joined) {
    // A user is stuck in code that never yields; its thread cannot be joined. Every output is
    // already written and flushed: end now rather than run destructors under its feet.
    std::fflush(nullptr);
    std::_Exit(code);
  }
  return code;
}

}  // namespace endure::app
