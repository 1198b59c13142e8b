// exports::prom_exposition: the run as Prometheus metrics (text format 0.0.4),
// built from the interval records: requests and failures per (method, name) as
// counters (failures also per error), a response-time histogram per entry with
// configurable buckets, users, the generator's CPU and RSS, and every monitor
// sample as a gauge. Counters cover the whole process (a
// --reset-stats does not reset them: Prometheus counters only go up). Pure:
// records in, text out; thread-safe (fed by one thread, rendered by another).
#pragma once
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "base/result.hpp"
#include "stats/interval_record.hpp"

namespace endure::exports {

// Prometheus's default buckets, in seconds.
std::vector<double> default_buckets();
// "0.005,0.01,0.1,1": increasing positive seconds; an error says what was
// expected.
base::result<std::vector<double>> parse_buckets(const std::string &text);

class prom_exposition {
public:
  explicit prom_exposition(std::vector<double> buckets_s = default_buckets(),
                           size_t max_entries = 1000);
  void add(const stats::interval_record &r);
  std::string render() const;
  uint64_t records() const;

private:
  struct entry {
    uint64_t requests = 0, failures = 0;
    double sum_s = 0;
    std::vector<uint64_t>
        buckets; // per bucket, not cumulative (render accumulates)
  };
  std::vector<double> buckets_s_;
  std::vector<uint64_t> bucket_us_; // upper bounds in µs (le)
  size_t max_entries_;
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, entry> entries_;
  std::map<std::tuple<std::string, std::string, std::string>, uint64_t> errors_;
  std::map<std::pair<std::string, std::string>, double> monitor_;
  uint64_t users_ = 0, records_ = 0, dropped_entries_ = 0;
  double cpu_percent_ = 0, rss_bytes_ = 0;
};

} // namespace endure::exports
