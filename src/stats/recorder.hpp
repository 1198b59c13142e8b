// stats::shard_recorder and stats::aggregator: lock-free per-shard recording of request outcomes,
// interval deltas, and their exact merge into run totals and immutable snapshots.
// The recorder belongs to one shard thread. The aggregator belongs to the control thread.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "stats/histogram.hpp"
#include "stats/snapshot.hpp"

namespace endure::stats {

// One completed request (or a failed attempt), as the engine hands it to the recorder.
struct request_sample {
  std::string_view method;     // "GET"
  std::string_view name;       // grouping name: the path, or the user's name=
  int64_t latency_us = 0;      // from the actual send to the last byte (or the failure)
  int64_t intended_latency_us = 0;  // from the intended send (>= latency_us; same when unpaced)
  uint64_t content_bytes = 0;  // decoded body length, as Locust's len(response.content)
  std::string_view error;      // empty: success; otherwise the failure's error string
  double wall_s = 0;           // completion time (Unix seconds), for first/last seen
};

// sparse_counts (bucket index, count pairs; see stats/histogram.hpp) carries histogram deltas.

// Distinct (method, name) entries kept per recorder and per aggregator; beyond it new names are
// folded into one entry named other_names_entry, so unique URLs cannot grow memory without bound.
inline constexpr size_t max_entries = 2000;
inline constexpr const char* other_names_entry = "(other names)";
struct entry_delta {
  std::string method, name;
  uint64_t requests = 0, failures = 0;
  uint64_t sum_us = 0, min_us = 0, max_us = 0;  // min/max valid when requests > 0
  uint64_t content_bytes = 0;
  sparse_counts latency;    // from the actual send
  sparse_counts intended;   // from the intended send
  uint64_t intended_min_us = 0, intended_max_us = 0;  // exact, valid when requests > 0
  double first_wall_s = 0, last_wall_s = 0;
};

struct failure_delta {
  std::string method, name, error;
  uint64_t count = 0;
  double first_wall_s = 0, last_wall_s = 0;
};

struct exception_delta {
  std::string message, traceback, node;
  uint64_t count = 0;
};

// Everything a shard (or a worker) measured in one interval. Plain data: serializable, mergeable.
struct shard_delta {
  std::vector<entry_delta> entries;
  std::vector<failure_delta> failures;
  std::vector<exception_delta> exceptions;
  bool empty() const { return entries.empty() && failures.empty() && exceptions.empty(); }
};

// Records samples on one shard thread without locks; take_delta() moves the interval out.
class shard_recorder {
 public:
  shard_recorder();
  ~shard_recorder();
  shard_recorder(const shard_recorder&) = delete;
  shard_recorder& operator=(const shard_recorder&) = delete;

  void record(const request_sample& s);
  void record_exception(std::string_view message, std::string_view traceback);
  // Returns what was recorded since the previous call and starts a new interval.
  shard_delta take_delta();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// Merges shard deltas into run totals exactly; closes intervals into snapshots.
class aggregator {
 public:
  explicit aggregator(double start_wall_s);
  ~aggregator();
  aggregator(const aggregator&) = delete;
  aggregator& operator=(const aggregator&) = delete;

  void merge(const shard_delta& d);

  struct interval_info {
    double wall_s = 0;      // end of the interval
    double interval_s = 1;  // its length
    run_state state = run_state::running;
    uint64_t user_count = 0;
    std::vector<std::pair<std::string, uint64_t>> user_count_by_class;
    bool is_final = false;
    double generator_cpu_percent = 0;
    bool generator_cpu_warning = false;
  };
  // Ends the current interval: rolls the 10 s window and builds the snapshot. Memory stays
  // bounded by the number of entries, never by the number of intervals.
  snapshot_ptr close_interval(const interval_info& info);

  // --reset-stats: forget totals, failures and exceptions; start counting from start_wall_s.
  void reset(double start_wall_s);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace endure::stats
