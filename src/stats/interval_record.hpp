// stats::interval_record: what the engine publishes every interval: the merged delta of every
// shard (sparse histograms from the actual and the intended send, counters, failures,
// exceptions), user counts and the generator's health, under a wall-clock-aligned interval id and
// a node id, so that a master can merge worker k's interval n with worker j's. Everything
// downstream (totals, snapshots, store, exporters, trends) is derived from these records.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "stats/monitor_sample.hpp"
#include "stats/recorder.hpp"
#include "stats/snapshot.hpp"

namespace endure::stats {

struct generator_health {
  double cpu_percent = 0;      // the generator process over the interval (0..100 x cores)
  uint64_t rss_bytes = 0;      // resident memory at the end of the interval
  double loop_lag_ms = 0;      // worst lag of any shard's event loop in the interval
  bool cpu_saturated = false;  // CPU above 90% of the cores in use for 10 s so far in the test
  bool cpu_high = false;       // this interval alone: CPU above 90% of the cores in use
};

struct interval_record {
  // floor(wall time / length) of the interval this record closes: the same id on every node for
  // the same stretch of wall-clock time.
  uint64_t id = 0;
  uint32_t length_ms = 1000;  // nominal length
  std::string node = "local";
  uint64_t test = 0;          // the test of the process it belongs to (1, 2, ... after restarts)
  // What the data covers: the first interval of a test starts when the test starts, the last
  // ends when it stops; others cover [id x length, (id + 1) x length).
  double start_wall_s = 0, end_wall_s = 0;
  run_state state = run_state::running;  // the run's state when the interval closed
  // The control loop ran late and this interval was closed with the next one: its data (if any)
  // is in the following record. History stays one row per interval.
  bool stalled = false;
  bool is_final = false;      // the last record of a test
  uint64_t user_count = 0;
  // The most users the run held at any moment of the interval (its targets at their highest):
  // a spike shorter than an interval still shows. 0 in records from before this field.
  uint64_t peak_user_count = 0;
  std::vector<std::pair<std::string, uint64_t>> users_by_class;
  std::string stage;  // the load model's stage when the interval closed ("" when none)
  shard_delta data;
  generator_health health;
  std::vector<monitor_sample> monitor;
};

using record_ptr = std::shared_ptr<const interval_record>;

// Adds `from` into `into`: the same interval of another node (or the next interval, when a
// lossless output coalesces records). Data merges exactly; user counts add when the ids are the
// same (nodes) and take the later record's otherwise; the covered time spans both.
void merge(interval_record& into, interval_record&& from);

}  // namespace endure::stats
