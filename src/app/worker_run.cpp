#include "app/worker_run.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "app/load_model.hpp"
#include "app/node_setup.hpp"
#include "app/signals.hpp"
#include "base/log.hpp"
#include "dist/worker.hpp"
#include "dist/zmq_link.hpp"
#include "engine/asio_scheduler.hpp"
#include "proto/message.hpp"

namespace endure::app {
namespace {

// Messages that arrive before the worker exists: the master's answer to `-f -`.
struct early_inbox {
  std::mutex mutex;
  std::condition_variable cv;
  std::optional<proto::message> locustfile;
  std::string refused;  // why the master's handshake refused this worker (a wrong or missing secret)
};

// `-f -`: asks the master for its locustfile (every second, for up to 5 minutes as Locust) and
// saves it under a fresh temporary folder. Returns the file's path.
base::result<std::string> fetch_locustfile(dist::zmq_link& link, early_inbox& inbox, const std::string& node_id) {
  base::log_info("worker", "-f -: asking the master for its locustfile");
  std::unique_lock lock(inbox.mutex);
  for (int attempt = 0; attempt < 300 && !inbox.locustfile; ++attempt) {
    link.send("", proto::encode(proto::message{"locustfile", {{"version", proto::locust_compat_version}}, node_id}));
    inbox.cv.wait_for(lock, std::chrono::seconds(1), [&] { return inbox.locustfile.has_value() || !inbox.refused.empty(); });
    if (!inbox.refused.empty()) return base::make_error(inbox.refused);
  }
  if (!inbox.locustfile) return base::make_error("-f -: no master sent a locustfile in 5 minutes");
  const nlohmann::json& d = inbox.locustfile->data;
  if (!d.is_object()) return base::make_error("-f -: the master's answer is not a map");
  if (d.contains("error") && d["error"].is_string())
    return base::make_error("-f -: the master cannot send its locustfile: " + d["error"].get<std::string>());
  nlohmann::json file = d;
  if (d.contains("locustfiles") && d["locustfiles"].is_array() && d["locustfiles"].size() == 1)
    file = d["locustfiles"][0];
  if (!file.is_object() || !file.contains("filename") || !file["filename"].is_string() ||
      !file.contains("contents") || !file["contents"].is_string())
    return base::make_error("-f -: the master's answer has no filename and contents (one file is supported)");
  // The name only: a path in it must not lead the file anywhere else.
  std::string name = std::filesystem::path(file["filename"].get<std::string>()).filename().string();
  if (name.empty() || name == "." || name == "..") name = "locustfile.py";
  const auto dir = std::filesystem::temp_directory_path() / ("endure-worker-" + std::to_string(getpid()));
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const std::string path = (dir / name).string();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << file["contents"].get<std::string>();
  out.close();
  if (!out) return base::make_error("-f -: cannot write the master's locustfile to " + path);
  base::log_info("worker", "-f -: running " + name + " from the master (saved as " + path + ")");
  return path;
}

// `--worker --processes N`: this process supervises N local workers of the same command line,
// each its own node under the remote master. Signals are passed on; the exit code is the worst
// of theirs; a worker that ends early is reported (the master moves its users).
pid_t supervised[1024];
int supervised_count = 0;

void pass_on(int sig) {
  for (int i = 0; i < supervised_count; ++i)
    if (supervised[i] > 0) kill(supervised[i], sig);
}

int supervise(int n) {
  auto argv = process_command_line();
  std::vector<char*> a;
  for (auto& w : argv) a.push_back(w.data());
  a.push_back(nullptr);
  struct sigaction sa {};
  sa.sa_handler = pass_on;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  for (int k = 0; k < n && k < 1024; ++k) {
    const pid_t pid = fork();
    if (pid == 0) {
      setenv("ENDURE_PROCESS_CHILD", "1", 1);
      execv("/proc/self/exe", a.data());
      std::fprintf(stderr, "endure: error: cannot start a worker process: exec failed\n");
      std::_Exit(70);
    }
    supervised[supervised_count++] = pid;
  }
  base::log_info("worker", "Supervising " + std::to_string(supervised_count) + " local worker processes");
  int worst = 0, left = supervised_count;
  while (left > 0) {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < supervised_count; ++i)
      if (supervised[i] == pid) {
        supervised[i] = 0;
        --left;
      }
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (code != 0)
      base::log_warning("worker", "worker process " + std::to_string(pid) + " ended with " +
                                      (WIFEXITED(status) ? "exit code " + std::to_string(code)
                                                         : "signal " + std::to_string(WTERMSIG(status))));
    worst = std::max(worst, code);
  }
  return worst;
}

}  // namespace

int run_worker(const cli::raw_options& raw_in) {
  auto own = raw_in.resolve_known();
  if (!own) return fail_with(own.err());
  // Monitoring and exports belong to the run's record, which the master keeps: refused here,
  // never silently ignored.
  for (const char* name : {"monitor-pid", "monitor-process", "monitor-disk", "monitor-node-exporter",
                           "monitor-prometheus", "monitor-query", "metrics-port", "influxdb"})
    if (own->source.count(name))
      return fail_with(base::make_error("--" + std::string(name) +
                                        " is not available on a worker: monitoring and exports run "
                                        "on the master (give it there)"));
  auto spec = raw_in.locustfile();
  const bool from_master = spec && *spec == "-";
  if (own->processes != 0 && std::getenv("ENDURE_PROCESS_CHILD") == nullptr) {
    const int n = own->processes > 0 ? own->processes
                                      : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    base::set_log_level(*base::parse_log_level(own->loglevel));
    return supervise(n);
  }

  // A local worker of --processes gets its id from its master; others make one as Locust does.
  const char* given = std::getenv("ENDURE_NODE_ID");
  const std::string node_id = given && *given ? given : dist::make_node_id();

  // The link comes first: with `-f -` the locustfile itself comes through it. Messages for the
  // worker are dropped until it exists (a master says nothing before client_ready).
  engine::asio_scheduler sched;
  std::atomic<dist::worker*> ready{nullptr};
  std::atomic<dist::zmq_link*> link{nullptr};
  early_inbox inbox;
  bool warned_bad = false;
  auto cluster_keys = cluster_keys_of(*own);
  if (!cluster_keys) return fail_with(cluster_keys.err());
  // A handshake refused ten times in a row (about a second of retries: not a blip), or for good
  // (a secret on one side only): a wrong or missing secret. The worker stops and ends with one
  // line and exit code 2.
  dist::link_security security;
  security.curve = std::move(*cluster_keys);
  security.on_handshake_failed = [&](const std::string& why, int in_a_row, bool final) {
    if (in_a_row < 10 && !final) return;
    {
      std::lock_guard lock(inbox.mutex);
      if (!inbox.refused.empty()) return;
      inbox.refused = why;
    }
    inbox.cv.notify_all();
    if (auto* w = ready.load()) sched.post([w] { w->leave("refused by the master"); });
  };
  auto connected = dist::zmq_link::connect(
      own->master_host, own->master_port, node_id,
      [&](const std::string&, std::string payload) {
        auto m = proto::decode(payload);
        if (!m) {
          if (!warned_bad) base::log_warning("worker", "a message from the master was not understood: " + m.err().message);
          warned_bad = true;
          return;
        }
        if (m->type == "locustfile") {
          std::lock_guard lock(inbox.mutex);
          inbox.locustfile = std::move(*m);
          inbox.cv.notify_all();
          return;
        }
        if (auto* w = ready.load()) sched.post([w, msg = std::move(*m)] { w->on_message(msg); });
      },
      [&] {
        auto* w = ready.load();
        auto* l = link.load();
        if (w && l) l->send("", proto::encode(w->heartbeat()));
      },
      std::chrono::seconds(1), std::move(security));
  if (!connected) return fail_with(connected.err());
  link.store(connected->get());

  std::optional<cli::raw_options> fetched;
  if (from_master) {
    auto path = fetch_locustfile(**connected, inbox, node_id);
    if (!path) return fail_with(path.err());
    fetched = raw_in.with_locustfile(*path);
  }
  // The fetched file lives as long as this worker.
  struct remove_dir {
    std::string path;
    ~remove_dir() {
      std::error_code ec;
      if (!path.empty()) std::filesystem::remove_all(path, ec);
    }
  } fetched_dir;
  if (fetched) fetched_dir.path = std::filesystem::path(*fetched->locustfile()).parent_path().string();
  const cli::raw_options& raw = fetched ? *fetched : raw_in;
  auto loaded = load_run(raw);
  if (!loaded) return fail_with(loaded.err());
  loaded_run& run = *loaded;
  const cli::options& o = run.o;
  auto cfg = controller_config_of(run);
  if (!cfg) return fail_with(cfg.err());

  engine::run_bus bus;
  engine::controller ctl(sched, std::move(*cfg), bus);
  auto events = run.lf->attach(bus);
  dist::worker_config wc;
  wc.node_id = node_id;
  wc.master_timeout = o.master_timeout;
  // The master's open model: the same rate text read as --arrival-rate is here, scaled to this
  // worker's share (the locustfile's per-class rates too).
  // The master's values of the locustfile's own options (its command line's, or its web form's):
  // set on this worker's locustfile before each test, as Locust's workers take them.
  std::map<std::string, std::string> options_applied;
  wc.apply_parsed_options = [&run, &options_applied](const nlohmann::json& parsed) {
    auto declared = run.lf->custom_options();
    if (!declared) return;
    std::map<std::string, std::string> values;
    for (const auto& c : *declared) {
      std::string dest = c.name;
      std::replace(dest.begin(), dest.end(), '-', '_');
      auto v = parsed.find(dest);
      if (v == parsed.end() || v->is_null()) continue;
      values[c.name] = v->is_string() ? v->get<std::string>() : v->is_boolean() ? (v->get<bool>() ? "true" : "false")
                                                                                  : v->dump();
    }
    if (values.empty() || values == options_applied) return;
    if (auto r = run.lf->set_custom_options(values); !r)
      base::log_warning("worker", "the master's locustfile options: " + r.err().message);
    else
      options_applied = std::move(values);
  };
  wc.make_arrivals = [&run](const nlohmann::json& a) -> base::result<engine::arrival_plan> {
    cli::options m = run.o;
    m.arrival_rate = a.value("rate", std::string());
    m.poisson = a.value("poisson", false);
    m.max_users = a.value("max_users", uint64_t{1000});
    m.shape.clear();
    m.shape_file.clear();
    m.session_length.clear();
    const double share = a.value("share", 1.0);
    if (!(share > 0 && share <= 1)) return base::make_error("a share of the arrival rate out of (0, 1]");
    engine::test_plan p;
    auto r = apply_load_model(m, false, run.classes, p);
    if (!r) return r.err();
    if (!p.arrivals) return base::make_error("no arrival rate in the master's open model");
    engine::arrival_plan out = std::move(*p.arrivals);
    out.rate = [rate = out.rate, share](double t) { return rate(t) * share; };
    for (auto& c : out.class_rates)
      if (c) *c *= share;
    return out;
  };
  dist::worker worker(sched, ctl, bus, wc, [&link](const proto::message& m) {
    if (auto* l = link.load()) l->send("", proto::encode(m));
  });
  ready.store(&worker);
  if (std::lock_guard lock(inbox.mutex); !inbox.refused.empty()) sched.post([&worker] { worker.leave("refused by the master"); });
  base::log_info("worker", "Starting endure " + std::string(ENDURE_VERSION) + " worker " + node_id + ", master " +
                               o.master_host + ":" + std::to_string(o.master_port));
  stop_signals signals(sched, [&worker] { worker.leave("signal"); }, [&ctl] { ctl.kill(); });
  sched.post([&worker] { worker.start(); });
  sched.run_until([&] { return worker.finished(); });
  base::log_info("worker", "Worker ends (" + worker.end_reason() + ")");
  (*connected)->flush(std::chrono::seconds(5));
  ready.store(nullptr);
  link.store(nullptr);
  connected->reset();
  const bool joined = ctl.shutdown();
  events.reset();
  int code = worker.end_reason() == "master lost" ? 1 : 0;
  std::string refused;
  {
    std::lock_guard lock(inbox.mutex);
    refused = inbox.refused;
  }
  if (!refused.empty()) code = fail_with(base::make_error(refused));
  else if (worker.end_reason() == "refused by the master")
    code = fail_with(base::make_error("the master at " + o.master_host + ":" + std::to_string(o.master_port) +
                                      " refused this worker before accepting it (a protocol version it does not "
                                      "speak? its log says why)"));
  if (joined) code = run.lf->finish(code);
  if (!joined) {
    std::fflush(nullptr);
    std::_Exit(static_cast<int>(base::exit_code::stuck));
  }
  return code;
}

}  // namespace endure::app
