// monitor::source: one thing watched beside the load (a process, a file system,
// a node_exporter, a Prometheus query), sampled by monitor::sampler on a thread
// of its own. Sources are created from the options before the run
// (make_sources: a bad value or a process that does not exist is an error then,
// exit code 2); during the run a failed sample is an error value that the
// sampler reports once and retries, never an exception.
#pragma once
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "stats/interval_record.hpp"

namespace endure::monitor {

class source {
public:
  virtual ~source() = default;
  // What is watched, for messages: "pid 4242", "process nginx", "disk /var", a
  // URL.
  virtual const std::string &name() const = 0;
  // Takes one sample. now_s: a monotonic time in seconds (rates are per second
  // of it). `stop` is set when the run ends: a source waiting on the network
  // returns early.
  virtual base::result<std::vector<stats::monitor_sample>>
  sample(double now_s, const std::atomic<bool> &stop) = 0;
};

struct monitor_config {
  std::vector<int> pids;                   // --monitor-pid
  std::vector<std::string> process_names;  // --monitor-process
  std::vector<std::string> disks;          // --monitor-disk
  std::vector<std::string> node_exporters; // --monitor-node-exporter URL
  std::string prometheus;                  // --monitor-prometheus URL
  std::vector<std::pair<std::string, std::string>>
      queries; // --monitor-query NAME=PROMQL
  std::string proc_root = "/proc";
  int self_pid = 0; // never matched by a process name
  std::chrono::milliseconds http_timeout{2000}; // per scrape or query
  bool empty() const {
    return pids.empty() && process_names.empty() && disks.empty() &&
           node_exporters.empty() && queries.empty();
  }
};

// The sources of a configuration, checked now: a pid that does not exist, a
// name no process has, a path statvfs refuses, a URL that is not http(s), a
// query without a --monitor-prometheus.
base::result<std::vector<std::unique_ptr<source>>>
make_sources(const monitor_config &cfg);

// One source of each kind (also used by tests).
std::unique_ptr<source> make_pid_source(std::string proc_root, int pid);
std::unique_ptr<source> make_process_source(std::string proc_root,
                                            std::string name, int self_pid);
std::unique_ptr<source> make_disk_source(std::string path);
std::unique_ptr<source>
make_node_exporter_source(std::string url, std::chrono::milliseconds timeout);
// One named instant query (its own source, so that a slow query holds up only
// its own thread).
std::unique_ptr<source>
make_prometheus_source(std::string base_url, std::string metric,
                       std::string query, std::chrono::milliseconds timeout);

} // namespace endure::monitor
