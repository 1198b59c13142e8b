// monitor::node_metrics: the figures endure takes from a node_exporter scrape:
// host CPU busy share, memory available, load, disk free per mount, disk I/O
// per device and network bytes per interface. Counters become rates between two
// scrapes, so the first scrape yields only the gauges. Pure: parsed samples and
// a time in, monitor samples out.
#pragma once
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "monitor/prom_text.hpp"
#include "stats/interval_record.hpp"

namespace endure::monitor {

class node_metrics {
public:
  // source: the exporter's URL; per-mount, per-device and per-interface samples
  // are named "URL mount /var", "URL disk sda", "URL net eth0".
  explicit node_metrics(std::string source, size_t max_devices = 16);
  // The samples of one scrape taken at now_s (monotonic seconds).
  std::vector<stats::monitor_sample>
  take(const std::vector<prom_sample> &scrape, double now_s);

private:
  void rate(std::vector<stats::monitor_sample> &out, const std::string &source,
            const std::string &metric, const std::string &key, double value,
            double now_s);

  std::string source_;
  size_t max_devices_;
  double last_s_ = -1;
  std::map<std::string, double> counters_, prev_;
};

} // namespace endure::monitor
