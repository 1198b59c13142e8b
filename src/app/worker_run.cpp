#include "app/worker_run.hpp"

#include <atomic>
#include <cstdlib>

#include "app/node_setup.hpp"
#include "app/signals.hpp"
#include "base/log.hpp"
#include "dist/worker.hpp"
#include "dist/zmq_link.hpp"
#include "engine/asio_scheduler.hpp"
#include "proto/message.hpp"

namespace endure::app {

int run_worker(const cli::raw_options& raw) {
  auto loaded = load_run(raw);
  if (!loaded) return fail_with(loaded.err());
  loaded_run& run = *loaded;
  const cli::options& o = run.o;
  if (o.processes != 0 && std::getenv("ENDURE_PROCESS_CHILD") == nullptr)
    return fail_with(base::make_error("--processes with --worker (a supervisor of local workers) is not "
                                      "available yet: start one worker per process, or use --processes "
                                      "without --worker for local workers under a local master"));
  auto cfg = controller_config_of(run);
  if (!cfg) return fail_with(cfg.err());

  engine::asio_scheduler sched;
  engine::run_bus bus;
  engine::controller ctl(sched, std::move(*cfg), bus);
  auto events = run.lf->attach(bus);

  dist::worker_config wc;
  wc.master_timeout = o.master_timeout;
  // A local worker of --processes gets its id from its master; others make one as Locust does.
  const char* given = std::getenv("ENDURE_NODE_ID");
  wc.node_id = given && *given ? given : dist::make_node_id();
  std::atomic<dist::zmq_link*> link{nullptr};
  dist::worker worker(sched, ctl, bus, wc, [&link](const proto::message& m) {
    if (auto* l = link.load()) l->send("", proto::encode(m));
  });
  bool warned_bad = false;
  auto connected = dist::zmq_link::connect(
      o.master_host, o.master_port, wc.node_id,
      [&](const std::string&, std::string payload) {
        auto m = proto::decode(payload);
        if (!m) {
          if (!warned_bad) base::log_warning("worker", "a message from the master was not understood: " + m.err().message);
          warned_bad = true;
          return;
        }
        sched.post([&worker, msg = std::move(*m)] { worker.on_message(msg); });
      },
      [&] {
        if (auto* l = link.load()) l->send("", proto::encode(worker.heartbeat()));
      },
      std::chrono::seconds(1));
  if (!connected) return fail_with(connected.err());
  link.store(connected->get());
  base::log_info("worker", "Starting endure " + std::string(ENDURE_VERSION) + " worker " + wc.node_id +
                               ", master " + o.master_host + ":" + std::to_string(o.master_port));
  stop_signals signals(sched, [&worker] { worker.leave("signal"); }, [&ctl] { ctl.kill(); });
  sched.post([&worker] { worker.start(); });
  sched.run_until([&] { return worker.finished(); });
  base::log_info("worker", "Worker ends (" + worker.end_reason() + ")");
  (*connected)->flush(std::chrono::seconds(5));
  link.store(nullptr);
  connected->reset();
  const bool joined = ctl.shutdown();
  events.reset();
  int code = worker.end_reason() == "master lost" ? 1 : 0;
  if (joined) code = run.lf->finish(code);
  if (!joined) {
    std::fflush(nullptr);
    std::_Exit(static_cast<int>(base::exit_code::stuck));
  }
  return code;
}

}  // namespace endure::app
