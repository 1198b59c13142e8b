// dist::worker: the worker's side of Locust's protocol, without sockets: obeys spawn (absolute
// users per class), stop, quit and reconnect by commanding the local engine::controller; collects
// the controller's interval records from the run bus and reports them every 3 s in Locust's format
// plus endure's exact records. Runs on the scheduler's (control) thread, except heartbeat(), which
// the network thread calls so that heartbeats never wait for the control loop.
#pragma once
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/result.hpp"
#include "base/scheduler.hpp"
#include "engine/controller.hpp"
#include "engine/event_bus.hpp"

namespace endure::proto {
struct message;
}

namespace endure::dist {

struct worker_config {
  std::string node_id;                      // "<hostname>_<uuid hex>", as Locust's client_id
  std::chrono::milliseconds report_interval{3000};
  // Without a word from the master for this long the worker stops and quits (Locust 2.19+: 60 s).
  // Only applies once the master has answered a heartbeat (Locust 2.12.1 masters never do).
  std::chrono::milliseconds master_timeout{60'000};
  // Without any answer from a master since the start, the worker gives up (Locust: 5 s x 60).
  std::chrono::milliseconds connect_timeout{300'000};
  // The open model from an endure master's spawn ({"rate", "share", "poisson", "max_users"}):
  // this worker's arrival plan, or why it cannot be built. Empty: the worker refuses it (logged).
  std::function<base::result<engine::arrival_plan>(const nlohmann::json& arrivals)> make_arrivals;
  // The spawn message's parsed_options (Locust's: the master's, with the web form's values of the
  // locustfile's own options), given before each test starts on this worker. Empty: ignored.
  std::function<void(const nlohmann::json& parsed_options)> apply_parsed_options;
};

// "<hostname>_<32 hex digits>" from the host name and a random source.
std::string make_node_id();

class worker {
 public:
  using send_fn = std::function<void(const proto::message& m)>;

  worker(base::scheduler& sched, engine::controller& ctl, engine::run_bus& bus, worker_config cfg, send_fn send);
  ~worker();
  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;

  // Sends client_ready and starts the report timer.
  void start();
  void on_message(const proto::message& m);
  // A local stop (a signal): stop the users, send the last report and quit to the master.
  void leave(const std::string& reason);

  // Any thread: the heartbeat message of this moment.
  proto::message heartbeat() const;

  bool finished() const;
  // Why the worker ended: "quit from the master", "refused by the master" (a quit before any ack
  // or spawn), "signal", "master lost", ...
  std::string end_reason() const;
  uint64_t reports_sent() const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace endure::dist
