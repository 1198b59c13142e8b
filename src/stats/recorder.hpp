// stats::shard_recorder: records request outcomes on one shard thread and hands interval deltas
// to the control thread. Recording takes an uncontended spinlock (a few ns); take_delta() swaps
// buffers under it and builds the delta outside it, from any thread, so intervals are collected
// on time even while the shard's loop is busy or stuck in user code.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "stats/sparse.hpp"

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

// Distinct (method, name) entries kept per recorder and per aggregator; beyond it new names are
// folded into one entry named other_names_entry, so unique URLs cannot grow memory without bound.
inline constexpr size_t max_entries = 2000;
inline constexpr const char* other_names_entry = "(other names)";
// Distinct failure and exception kinds kept (per recorder buffer and in run totals); beyond them
// new kinds are counted under one "(other ...)" row, so a flood of distinct messages stays bounded.
inline constexpr size_t max_failure_kinds = 1000;
inline constexpr size_t max_exception_kinds = 500;
inline constexpr const char* other_errors = "(other errors)";
inline constexpr const char* other_exceptions = "(other exceptions)";

struct entry_delta {
  std::string method, name;
  uint64_t requests = 0, failures = 0;
  uint64_t sum_us = 0, min_us = 0, max_us = 0;  // min/max valid when requests > 0
  uint64_t content_bytes = 0;
  sparse_counts latency;    // from the actual send
  // From the intended send. Empty when every sample's intended latency equals its latency (no
  // pacing): then `latency` is the intended histogram too. intended_min/max are always valid.
  sparse_counts intended;
  uint64_t intended_min_us = 0, intended_max_us = 0;
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

// What happened to a user class besides its requests: arrivals of the open model that found no
// free user (dropped), and sessions (users) that started and ended (session churn).
struct class_delta {
  std::string user_class;
  uint64_t dropped_arrivals = 0;
  uint64_t sessions_started = 0, sessions_ended = 0;
};

// Everything measured in one interval (by a shard, a process or a worker). Plain data:
// serializable and mergeable exactly (merge() below).
struct shard_delta {
  std::vector<entry_delta> entries;
  std::vector<failure_delta> failures;
  std::vector<exception_delta> exceptions;
  std::vector<class_delta> classes;  // only classes with something to count
  bool empty() const {
    return entries.empty() && failures.empty() && exceptions.empty() && classes.empty();
  }
};

// Adds `from` into `into` exactly: entries by (method, name), failures by (method, name, error),
// exceptions by (message, traceback). Entry and kind caps apply as in a recorder.
void merge(shard_delta& into, shard_delta&& from);
// Adds e into an existing entry with the same key (exact).
void merge_entry(entry_delta& into, const entry_delta& e);

class shard_recorder {
 public:
  shard_recorder();
  ~shard_recorder();
  shard_recorder(const shard_recorder&) = delete;
  shard_recorder& operator=(const shard_recorder&) = delete;

  // The recording thread (one at a time).
  void record(const request_sample& s);
  void record_exception(std::string_view message, std::string_view traceback);
  // Per-class events (any of the three counts may be 0).
  void record_class(std::string_view user_class, uint64_t dropped_arrivals,
                    uint64_t sessions_started, uint64_t sessions_ended);
  // Any thread: returns what was recorded since the previous call and starts a new interval.
  // Entries come sorted by (name, method).
  shard_delta take_delta();

 private:
  struct buffer;
  buffer& lock();
  void unlock() { lock_.store(false, std::memory_order_release); }

  std::atomic<bool> lock_{false};
  std::unique_ptr<buffer> active_, spare_;
};

}  // namespace endure::stats
