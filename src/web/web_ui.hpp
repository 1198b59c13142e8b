// web::web_ui: the web UI and Locust's web API served by the endure process itself (its own HTTP
// server thread): the page and its embedded assets, POST /swarm, GET /stop, /stats/reset,
// /stats/requests, the CSVs, /exceptions, /stats/report, and endure's /history (chart points
// downsampled from bounded roll-ups). It steers a test through the `steering` interface (the
// standalone controller, later a master) and reads the snapshot bus; it never blocks either.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "engine/steerable.hpp"
#include "engine/totals_stage.hpp"
#include "report/html.hpp"
#include "stats/snapshot.hpp"
#include "web/archive.hpp"
#include "web/form.hpp"

namespace endure::web {

// What the UI can ask of the run. Called from the UI's server thread; implementations hand the
// work to the control thread and return at once.
class steering {
 public:
  virtual ~steering() = default;
  // Starts a test, or changes the users and rate of the running one (Locust's edit). The message
  // on success is Locust's ("Swarming started"); an error is one sentence for the form.
  virtual base::result<std::string> swarm(const swarm_request& r) = 0;
  virtual void stop() = 0;
  virtual void reset_stats() = 0;
  virtual stats::run_state state() const = 0;
  virtual uint64_t user_count() const = 0;
  // A master's workers (Locust's worker_count and workers keys); a standalone run has none.
  virtual bool is_distributed() const { return false; }
  virtual std::vector<engine::worker_status> workers() const { return {}; }
};

struct web_ui_options {
  std::string bind_host = "127.0.0.1";  // "*" or "": every interface
  uint16_t port = 8089;                 // 0: ephemeral
  std::string base_path;                // "" or "/path" (no trailing '/')
  std::optional<std::pair<std::string, std::string>> auth;  // HTTP Basic user, password
  std::string tls_cert_file, tls_key_file;                  // both: HTTPS
  swarm_defaults defaults;              // the form's initial values and the known classes
  report::html_run_info report_info;    // for /stats/report
  std::string locustfile;
  std::string tasks_json;               // GET /tasks (Locust's shape); "" : 404
  bool class_picker = false;            // the form lists the user classes to pick from
  size_t history_points_per_level = 1200;
  // GET /events (server-sent events): clients at once, and bytes queued per client before a
  // client that does not read is dropped.
  size_t max_event_clients = 32;
  size_t max_event_buffer = 1 << 20;
  // The run stores (history beyond the rings, the Runs page, downloads); null: none.
  std::shared_ptr<run_archive> archive;
  // GET /metrics (Prometheus text format) on the UI's own port; empty: 404.
  std::function<std::string()> metrics_page;
  // GET /verdict: the soak verdict and thresholds of the current test (JSON, refreshed by the
  // run every few intervals); empty: 404.
  std::function<std::string()> verdict_page;
};

class web_ui {
 public:
  web_ui(web_ui_options o, steering& s, engine::snapshot_bus& snapshots);
  ~web_ui();  // stops serving
  web_ui(const web_ui&) = delete;
  web_ui& operator=(const web_ui&) = delete;

  // Binds and serves. Errors (port in use, bad TLS files) are one line.
  base::result<base::unit> start();
  void stop();
  // The address a user can open: http://127.0.0.1:PORT/base when bound to every interface.
  std::string url() const;
  uint16_t port() const;
  // Whether bound beyond the loopback interface.
  bool is_exposed() const;

  struct impl;

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace endure::web
