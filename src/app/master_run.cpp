#include "app/master_run.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <thread>

#include "app/influx_output.hpp"
#include "app/load_model.hpp"
#include "app/metrics_output.hpp"
#include "app/monitor_output.hpp"
#include "app/node_setup.hpp"
#include "app/outputs.hpp"
#include "app/signals.hpp"
#include "app/store_output.hpp"
#include "app/summary_output.hpp"
#include "app/verdict_output.hpp"
#include "app/web_run.hpp"
#include "base/clock.hpp"
#include "base/log.hpp"
#include "dist/master.hpp"
#include "dist/worker.hpp"
#include "dist/zmq_link.hpp"
#include "engine/asio_scheduler.hpp"
#include "engine/totals_stage.hpp"
#include "proto/message.hpp"
#include "report/verdict.hpp"
#include "sinks/html_sink.hpp"
#include "store/reader.hpp"

namespace endure::app {
namespace {

// The worker's command line: the master's, without the master's own flags (outputs, monitoring,
// exports and the web UI run on the master), plus --worker.
std::vector<std::string> worker_argv(uint16_t port) {
  auto args = process_command_line();
  std::vector<std::string> out = {"/proc/self/exe"};
  static const char* with_value[] = {"--processes", "--master-bind-host", "--master-bind-port", "--expect-workers",
                                     "--expect-workers-max-wait", "--master-host", "--master-port",
                                     "--worker-missing-after", "--worker-redistribute-after",
                                     "--csv", "--html", "--json-file", "--logfile", "--store",
                                     "--monitor-pid", "--monitor-process", "--monitor-disk", "--monitor-node-exporter",
                                     "--monitor-prometheus", "--monitor-query", "--metrics-port", "--metrics-host",
                                     "--metrics-buckets", "--influxdb", "--influxdb-org", "--influxdb-bucket",
                                     "--influxdb-token", "--web-host", "--web-port", "-P", "--autoquit",
                                     "--web-base-path", "--web-auth", "--tls-cert", "--tls-key"};
  static const char* flags[] = {"--master", "--resume", "--headless", "--csv-full-history", "--json", "--print-stats",
                                "--only-summary", "--no-store", "--autostart", "--class-picker", "--reset-stats"};
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    bool skip = false;
    for (const char* w : with_value) {
      const std::string name = w;
      if (a == name) {
        skip = true;
        ++i;
      } else if (a.rfind(name + "=", 0) == 0) {
        skip = true;
      }
    }
    for (const char* f : flags)
      if (a == f) skip = true;
    if (!skip) out.push_back(a);
  }
  out.insert(out.end(), {"--worker", "--master-host", "127.0.0.1", "--master-port", std::to_string(port)});
  return out;
}

pid_t start_worker_process(const std::vector<std::string>& argv, const std::string& node_id) {
  const pid_t pid = fork();
  if (pid != 0) return pid;
  // The child: a worker whatever the config files or environment say (ENDURE_PROCESS_CHILD),
  // under a node id the master knows, so that its end is tied to its entry.
  setenv("ENDURE_PROCESS_CHILD", "1", 1);
  setenv("ENDURE_NODE_ID", node_id.c_str(), 1);
  std::vector<char*> a;
  for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
  a.push_back(nullptr);
  execv("/proc/self/exe", a.data());
  std::fprintf(stderr, "endure: error: cannot start a worker process: exec failed\n");
  std::_Exit(70);
}

}  // namespace

int run_master(const cli::raw_options& raw, const std::vector<std::string>& command_line) {
  auto loaded = load_run(raw);
  if (!loaded) return fail_with(loaded.err());
  loaded_run& run = *loaded;
  const cli::options& o = run.o;
  if (!o.summary_json.empty())
    if (auto r = check_output_path("--summary-json", o.summary_json); !r) return fail_with(r.err());
  // The locustfile's init runs here as on Locust's master; its load shape (or --shape) is asked
  // for targets on the master, which sends each worker its share.
  engine::controller_config probe;
  probe.threads = 1;
  probe.shards.classes = run.classes;
  probe.shards.tags = o.tags;
  probe.shards.exclude_tags = o.exclude_tags;
  probe.seed = o.seed;
  if (auto r = run.lf->configure(probe, run.parsed_options); !r) return fail_with(r.err());
  engine::test_plan model_plan;
  auto model = apply_load_model(o, run.lf->has_shape(), run.classes, model_plan);
  if (!model) return fail_with(model.err());
  engine::shape_fn shape = model_plan.shape ? model_plan.shape : run.lf->shape();
  if (shape && (o.source.count("users") || o.source.count("spawn-rate")))
    base::log_warning("master", "the load shape drives the users: -u/--users and -r/--spawn-rate are ignored");
  if (!model->listing.empty()) base::log_info("master", model->listing.substr(0, model->listing.size() - 1));
  if (o.host.empty())
    for (auto& c : run.classes)
      if (c.host.empty() && c.needs_host)
        return fail_with(base::make_error("no host for user class '" + c.name + "': pass --host http://HOST:PORT"));
  auto cluster_keys = cluster_keys_of(o);
  if (!cluster_keys) return fail_with(cluster_keys.err());
  int processes = o.processes;
  if (processes < 0) processes = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));

  report::html_run_info info;
  info.host = o.host.empty() ? run.classes.front().host : o.host;
  info.locustfile = o.locustfile;
  info.rewrite_every_s = static_cast<double>(o.html_interval.count()) / 1000.0;
  auto verdict_settings = verdict_output::settings_from(o);
  if (!verdict_settings) return fail_with(verdict_settings.err());
  verdict_output verdict(std::move(*verdict_settings));
  // Target monitoring and exports run here, over the merged run bus, as in a standalone run.
  auto monitoring = monitor_output::open(o, std::chrono::milliseconds(1000));
  if (!monitoring) return fail_with(monitoring.err());
  std::unique_ptr<monitor_output> monitor = std::move(*monitoring);
  auto metrics_opened = o.headless || o.metrics_port ? metrics_output::open(o) : metrics_output::for_web_ui(o);
  if (!metrics_opened) return fail_with(metrics_opened.err());
  std::unique_ptr<metrics_output> metrics = std::move(*metrics_opened);
  auto influx_opened = influx_output::open(o);
  if (!influx_opened) return fail_with(influx_opened.err());
  std::unique_ptr<influx_output> influx = std::move(*influx_opened);
  auto outs = outputs::open(o, info, false, monitor ? monitor->annex(verdict.annex()) : verdict.annex());
  if (!outs) return fail_with(outs.err());

  // The run store, on by default: the master's is the run's record (workers keep none). A
  // restarted master (--resume, or --store naming the file of a run that did not end) reopens it
  // and carries that run on.
  std::unique_ptr<store_output> store;
  std::optional<dist::master_config::resume_state> resumed;
  store::resume_point resume_at;
  if (o.resume && processes > 0)
    return fail_with(base::make_error("--resume cannot go with --processes: local worker processes end with "
                                      "their master, so there is no load left to carry on"));
  if (o.resume && o.iterations)
    return fail_with(base::make_error("--resume cannot carry on an -i/--iterations run: the workers' shares "
                                      "of it are not recorded"));
  auto resumable = o.no_store ? base::result<std::optional<std::string>>(std::optional<std::string>())
                              : resumable_store(o);
  if (!resumable) return fail_with(resumable.err());
  if (*resumable) {
    auto s = store_output::resume(**resumable, resume_at);
    if (!s) return fail_with(s.err());
    store = std::move(*s);
    dist::master_config::resume_state rs;
    rs.test = resume_at.test;
    rs.test_start_wall_s = resume_at.test_start_wall_s > 0 ? resume_at.test_start_wall_s : resume_at.start_wall_s;
    rs.last_id = resume_at.last_t > 0 ? static_cast<uint64_t>(resume_at.last_t) : 0;
    rs.down_since_wall_s = resume_at.last_end_wall_s;
    resumed = rs;
    base::log_info("store", "Resuming the run recorded in " + store->path());
  } else if (!o.no_store) {
    const double start_wall_s = base::wall_now_s();
    auto path = store_path(o.store, o.locustfile, start_wall_s);
    if (!path) return fail_with(path.err());
    auto s = store_output::open(*path, run_meta_of(o, command_line, run.classes, info.host, start_wall_s));
    if (!s) return fail_with(s.err());
    store = std::move(*s);
    base::log_info("store", "Recording the run in " + store->path());
  }

  dist::master_config mc;
  for (auto& c : run.classes) mc.classes.push_back({c.name, c.weight, c.fixed_count});
  mc.users = o.users;
  mc.spawn_rate = o.spawn_rate;
  mc.run_time = o.run_time;
  mc.stop_timeout = o.stop_timeout;
  mc.host = o.host;
  mc.reset_stats_after_ramp = o.reset_stats;
  mc.shape = shape;
  mc.iterations = o.iterations;
  // The open model: the workers share the rate; a rate's shape that ends ends the test.
  mc.open_model = model_plan.arrivals.has_value();
  mc.arrival_rate = o.arrival_rate;
  mc.poisson = o.poisson;
  mc.max_users = o.max_users;
  if (model_plan.run_time) mc.run_time = model_plan.run_time;
  mc.session_min = model_plan.session_min;
  mc.session_max = model_plan.session_max;
  // Headless: the command line's test, then the workers quit. With the web UI: tests from the UI
  // (the first from the command line with --autostart); the workers stay between tests.
  mc.autostart = o.headless || o.autostart;
  mc.quit_after_test = o.headless;
  if (monitor) mc.monitor = monitor->feed();
  mc.parsed_options_json = run.parsed_options.dump();
  if (auto custom = run.lf->custom_options())  // the web form's values go to the workers typed
    for (const auto& c : *custom) mc.custom_option_types[c.name] = c.is_flag ? "flag" : c.type;
  mc.expect_workers = processes > 0 && !o.source.count("expect-workers") ? static_cast<uint64_t>(processes)
                                                                         : o.expect_workers;
  mc.expect_workers_max_wait = o.expect_workers_max_wait;
  // Workers started with `-f -` get the locustfile from here: one file only, as Locust.
  {
    std::error_code ec;
    if (std::filesystem::is_regular_file(o.locustfile, ec)) {
      std::ifstream f(o.locustfile, std::ios::binary);
      mc.locustfile_contents.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
      mc.locustfile_name = std::filesystem::path(o.locustfile).filename().string();
    } else {
      mc.locustfile_error = "the master's -f (" + o.locustfile + ") is not one file: -f - can only fetch a single locustfile";
    }
  }
  mc.resume = resumed;
  mc.missing_after = o.worker_missing_after;
  mc.redistribute_after = o.worker_redistribute_after;
  if (processes > 0 && mc.expect_workers_max_wait.count() == 0)
    mc.expect_workers_max_wait = std::chrono::seconds(60);  // local children that never come: do not hang

  engine::asio_scheduler sched;
  engine::run_bus run_bus;
  engine::snapshot_bus snapshot_bus;
  stats::run_totals::view_options view;
  view.window_rows = o.console_rows == 0 ? SIZE_MAX : o.console_rows;
  if (!o.html_file.empty())
    view.window_rows = std::max<size_t>(view.window_rows, 2 * sinks::html_sink::charted_endpoints);
  view.window_all_rows = o.csv_full_history;
  engine::totals_stage totals(run_bus, snapshot_bus, view);
  if (resumed) {
    // The run's totals and its soak verdict go on from what the store holds.
    auto rd = store::reader::open(store->path());
    if (!rd) return fail_with(rd.err());
    totals.seed_begin((*rd)->info().totals_start_wall_s);
    uint64_t records = 0;
    if (auto r = (*rd)->each_totals_record([&](const stats::interval_record& rec) {
          totals.seed(rec);
          ++records;
        });
        !r)
      return fail_with(r.err());
    store::window since_test;
    since_test.from_wall_s = (*rd)->info().totals_start_wall_s;
    if (auto r = (*rd)->each_record(since_test, [&](const stats::interval_record& rec) { verdict.seed(rec); }); !r)
      return fail_with(r.err());
    base::log_info("store", "Rebuilt the run's totals from " + std::to_string(records) + " stored rows");
  }
  (*outs)->attach(snapshot_bus);
  if (store) store->attach(run_bus);
  if (monitor) {
    monitor->attach(run_bus);
    monitor->start();
  }
  if (metrics) metrics->attach(run_bus);
  if (influx) influx->attach(run_bus);

  std::atomic<dist::zmq_link*> link{nullptr};
  dist::master master(sched, mc, run_bus, [&link](const std::string& node, const proto::message& m) {
    if (auto* l = link.load()) l->send(node, proto::encode(m));
  });
  verdict.attach(run_bus, [&sched, &master](const std::string& why) {
    sched.post([&master, why] { master.stop(why); });
  });
  std::map<std::string, bool> warned;
  std::mutex warned_mutex;
  // Local workers only: listen on loopback, on a free port, unless --master asks for more.
  const bool local_only = processes > 0 && !o.master;
  auto bound = dist::zmq_link::bind(
      local_only ? "127.0.0.1" : o.master_bind_host, local_only ? 0 : o.master_bind_port,
      [&](const std::string& identity, std::string payload) {
        auto m = proto::decode(payload);
        if (!m) {
          std::lock_guard lock(warned_mutex);
          if (!warned[identity])
            base::log_warning("master", "a message from " + identity + " was not understood: " + m.err().message);
          warned[identity] = true;
          return;
        }
        m->node_id = identity;  // the socket's identity is the worker's id (as Locust's master uses)
        sched.post([&master, msg = std::move(*m)] { master.on_message(msg); });
      },
      master_link_security(std::move(*cluster_keys)));
  if (!bound) return fail_with(bound.err());
  link.store(bound->get());
  const uint16_t port = (*bound)->port();
  base::log_info("master", "Starting endure " + std::string(ENDURE_VERSION) + " master on port " +
                               std::to_string(port) + (o.cluster_secret_file.empty() ? "" : " (CURVE, cluster secret)") + ": " + std::to_string(o.users) + " users at " +
                               std::to_string(o.spawn_rate) + "/s");

  std::vector<pid_t> children;
  std::vector<std::string> child_ids;
  if (processes > 0) {
    const auto argv = worker_argv(port);
    for (int k = 0; k < processes; ++k) {
      child_ids.push_back(dist::make_node_id());
      children.push_back(start_worker_process(argv, child_ids.back()));
    }
    base::log_info("master", "Started " + std::to_string(processes) + " local worker processes");
  }
  // A local worker that ends before the master does is reported (its users are redistributed
  // once it is missing long enough).
  std::function<void()> watch_children = [&] {
    for (size_t k = 0; k < children.size(); ++k) {
      pid_t& pid = children[k];
      if (pid <= 0) continue;
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        const std::string how = WIFSIGNALED(status) ? "signal " + std::to_string(WTERMSIG(status))
                                                    : "exit " + std::to_string(WEXITSTATUS(status));
        if (!master.finished()) {
          base::log_warning("master", "worker process " + std::to_string(pid) + " ended (" + how + ")");
          master.worker_lost(child_ids[k], "its process ended, " + how);
        }
        pid = 0;
      }
    }
    if (!master.finished()) sched.call_after(std::chrono::seconds(1), watch_children);
  };
  if (!children.empty()) sched.call_after(std::chrono::seconds(1), watch_children);

  stop_signals signals(sched, [&master] { master.stop("signal"); }, [&master] { master.stop("signal"); });
  // Without --headless the web UI steers the tests (app/web_run.cpp), as in a standalone run.
  dist::master_control control(sched, master);
  std::unique_ptr<web_run> web;
  if (!o.headless) {
    std::vector<std::string> class_names;
    for (auto& c : run.classes) class_names.push_back(c.name);
    const std::string tasks_json = run.lf->task_ratio(class_names).dump();  // GET /tasks
    engine::test_plan plan;
    plan.users = o.users;
    plan.spawn_rate = o.spawn_rate;
    plan.run_time = model_plan.run_time ? model_plan.run_time : o.run_time;
    plan.stop_timeout = o.stop_timeout;
    plan.host = o.host;
    plan.reset_stats_after_ramp = o.reset_stats;
    plan.shape = shape;
    plan.iterations = o.iterations;
    auto w = web_run::open(o, sched, control, snapshot_bus, std::move(plan), class_names, info, tasks_json,
                           store ? store->path() : std::string(),
                           metrics ? std::function<std::string()>([m = metrics.get()] { return m->scrape(); })
                                   : std::function<std::string()>(),
                           run.lf.get(), [&verdict] { return verdict.latest_json(); });
    if (!w) return fail_with(w.err());
    web = std::move(*w);
  }
  sched.post([&master] { master.start(); });
  if (web) {
    sched.run_until([&] { return master.finished() || web->finished(signals.received()); });
    web.reset();
    sched.post([&master] { master.quit("the web UI was closed"); });
  }
  sched.run_until([&] { return master.finished(); });
  const bool no_test = !o.headless && master.tests_started() == 0;  // the UI closed before any test
  if (!no_test)
    base::log_info("master", master.failed() ? "No test ran (" + master.stop_reason() + ")"
                                             : "Test stopped (" + master.stop_reason() + ")");
  (*bound)->flush(std::chrono::seconds(5));

  totals.drain(std::chrono::seconds(60));
  if (monitor) monitor->drain(std::chrono::seconds(60));
  verdict.drain(std::chrono::seconds(60));
  (*outs)->drain(std::chrono::seconds(60));
  if (metrics) metrics->finish(std::chrono::seconds(5));
  if (influx) influx->finish(std::chrono::seconds(5));
  link.store(nullptr);
  bound->reset();

  // Local workers were told to quit; give them a moment, then make sure none is left behind.
  for (auto& pid : children) {
    if (pid <= 0) continue;
    for (int i = 0; i < 50; ++i) {
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        pid = 0;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }

  if (no_test) {
    if (store) store->finish(base::wall_now_s(), "no test was started", 0);
    return 0;
  }
  if (master.failed()) {
    if (store) {
      store->drain(std::chrono::seconds(60));
      store->finish(base::wall_now_s(), master.stop_reason(), static_cast<int>(base::exit_code::failures));
    }
    std::fprintf(stderr, "endure: error: %s\n", master.stop_reason().c_str());
    return static_cast<int>(base::exit_code::failures);
  }
  auto final_snapshot = totals.final_snapshot();
  if (!final_snapshot) return static_cast<int>(base::exit_code::internal);
  if (final_snapshot->aggregated.num_requests == 0)
    base::log_warning("master", "the workers reported no request: check the host, the tasks and the workers' logs");
  bool any_error = final_snapshot->aggregated.num_failures > 0 || !final_snapshot->exceptions.empty();
  int code = any_error ? o.exit_code_on_error : 0;
  std::vector<std::string> exit_reasons;  // for --summary-json: why the code is not 0
  if (any_error && o.exit_code_on_error != 0)
    exit_reasons.push_back(failures_reason(*final_snapshot, o.exit_code_on_error));
  const auto soak = verdict.final_result(std::chrono::seconds(0));
  if (store && soak)  // the verdict's findings join the run's timeline in its store
    for (auto& e : soak_events(*soak, base::wall_now_s(), master.tests_started())) store->push(std::move(e));
  if (soak && report_failed_thresholds(soak->thresholds)) {
    code = static_cast<int>(base::exit_code::thresholds);
    for (const auto& t : soak->thresholds)
      if (t.status == analysis::threshold_status::failed)
        exit_reasons.push_back("threshold failed: " + report::threshold_line(t, false));
  }
  std::vector<sinks::file_problem> incomplete = (*outs)->incomplete();
  if (store) {
    store->drain(std::chrono::seconds(60));
    const int expected = !incomplete.empty() || store->problem()
                             ? static_cast<int>(base::exit_code::outputs_incomplete)
                             : code;
    store->finish(base::wall_now_s(), master.stop_reason(), expected);
    if (auto p = store->problem()) incomplete.push_back(*p);
    else base::log_info("store", "The run is recorded in " + store->path());
  }
  if (!incomplete.empty()) {
    for (const auto& p : incomplete) exit_reasons.push_back("output incomplete: " + p.path + ": " + p.reason);
    std::fputs(sinks::incomplete_summary(incomplete).c_str(), stderr);
    code = static_cast<int>(base::exit_code::outputs_incomplete);
  }
  // --summary-json: last, so that it carries the exit code and how every other output ended.
  if (!o.summary_json.empty()) {
    run_end end{store ? store->path() : "", o.locustfile, info.host, &*final_snapshot, master.stop_reason(),
                code, exit_reasons, soak ? &*soak : nullptr, monitor.get()};
    if (!write_run_summary(o.summary_json, end)) code = static_cast<int>(base::exit_code::outputs_incomplete);
  }
  std::fflush(stderr);
  return code;
}

}  // namespace endure::app
