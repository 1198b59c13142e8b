// stats::monitor_sample: one measurement of something beside the load (the
// target's RSS from /proc, a node_exporter metric, a Prometheus query), carried
// in interval records and snapshots.
#pragma once
#include <string>

namespace endure::stats {

struct monitor_sample {
  std::string source; // what was watched: "pid 4242",
                      // "http://db1:9100/metrics", "disk /var"
  std::string metric; // "rss_bytes", "cpu_percent", "load1", "db_conns", ...
  double value = 0;
};

} // namespace endure::stats
