// store::bucket: the rows of one stretch of time in one tier (tier, t, segment) held in memory
// while they are written, rolled up or read: the interval row, one stats row per entry (0 is the
// Aggregated row), users per class, failures, exceptions and monitor samples, with exact merges.
// Keys are the store's dictionary ids (entry, error, exception kind, monitor series); names are
// resolved by the writer and the reader. No I/O except load/write/scan against a connection.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "stats/recorder.hpp"
#include "stats/sparse.hpp"
#include "store/sqlite.hpp"

namespace endure::store {

// One (method, name) entry's figures over the bucket (or the Aggregated row, entry 0).
struct entry_acc {
  uint64_t requests = 0, failures = 0, sum_us = 0, min_us = 0, max_us = 0, content_bytes = 0;
  double first_wall_s = 0, last_wall_s = 0;
  uint64_t intended_min_us = 0, intended_max_us = 0;
  stats::sparse_counts latency;
  // From the intended send; only when some interval's differed from `latency` (pacing).
  bool has_intended = false;
  stats::sparse_counts intended;
  // p50, p90, p95, p99 as stored (set by a scan without histograms; 0 otherwise).
  std::array<uint64_t, 4> stored_pct_us{};

  static entry_acc of(const stats::entry_delta& d);
  // Exact: counts add, min/max/first/last combine, histograms add.
  void add(const entry_acc& o);
  void to_delta(stats::entry_delta& d) const;
};

struct interval_acc {
  int64_t latest_t = -1;  // the t whose record set the "latest" fields below
  uint64_t test = 0;
  double start_wall_s = 0, end_wall_s = 0;
  uint64_t intervals = 0, stalled = 0;
  std::string state = "running";  // latest
  bool is_final = false;
  uint64_t user_count = 0;  // latest
  uint64_t user_count_max = 0;
  double cpu_percent = 0;  // mean over the intervals
  uint64_t rss_bytes = 0;  // max
  double loop_lag_ms = 0;  // max
  bool cpu_saturated = false;

  void add(const interval_acc& o);
};

struct failure_acc {
  uint64_t count = 0;
  double first_wall_s = 0, last_wall_s = 0;
  void add(const failure_acc& o);
};

struct monitor_acc {
  double value = 0;  // mean of the samples
  double min = 0, max = 0, last = 0;
  uint64_t samples = 0;
  int64_t last_t = -1;
  void add(const monitor_acc& o);
};

struct users_acc {
  uint64_t users = 0, users_max = 0;
  int64_t latest_t = -1;
  // Counts over the stretch (they add): open-model arrivals dropped, sessions started and ended.
  uint64_t dropped_arrivals = 0, sessions_started = 0, sessions_ended = 0;
  void add(const users_acc& o);
};

struct bucket {
  int tier = 0;
  int64_t t = 0;
  int64_t segment = 0;
  interval_acc interval;
  std::map<int64_t, entry_acc> entries;    // entry id -> figures (0: Aggregated)
  std::map<std::string, users_acc> users;  // class name
  std::map<std::pair<int64_t, int64_t>, failure_acc> failures;     // (entry id, error id)
  std::map<std::pair<int64_t, std::string>, uint64_t> exceptions;  // (kind id, node) -> count
  std::map<int64_t, monitor_acc> monitor;                          // series id

  // Adds another bucket of the same segment (a finer one, or a late delta). Exact.
  void add(const bucket& o);
  // Sets entry 0 from the others (a bucket built from an interval record).
  void compute_aggregated();
  bool empty() const { return interval.intervals == 0 && entries.empty(); }
};

// Maps each bucket index to its group's representative at storage resolution (128 groups per
// power of two above 128 us, exact below), merging counts that land on the same one. Idempotent,
// and exact to merge: coarsen(a + b) == coarsen(a) + coarsen(b).
void coarsen(stats::sparse_counts& c);

// What a scan reads: everything by default.
struct scan_options {
  bool histograms = true;             // false: stats rows keep their stored percentiles only
  std::optional<int64_t> only_entry;  // only this entry's stats rows (0: Aggregated)
  bool details = true;                // users, failures, exceptions and monitor rows
};

// Reads and writes buckets with prepared statements on one connection.
class bucket_io {
 public:
  explicit bucket_io(sql::database& db);
  // Inserts every row of b (none may exist yet). coarse: histograms at storage resolution.
  void write(const bucket& b, bool coarse);
  // Deletes every row of (tier, t, segment).
  void erase(int tier, int64_t t, int64_t segment);
  // Deletes every row of a tier older than `before`.
  void prune(int tier, int64_t before);
  // True when the interval row of (tier, t, segment) exists.
  bool exists(int tier, int64_t t, int64_t segment);
  // Calls f with each bucket of `tier` whose t is in [t_lo, t_hi), in (t, segment) order; with
  // `segment`, only that segment's. Reads the tables side by side: one bucket in memory at a time.
  void scan(int tier, int64_t t_lo, int64_t t_hi, std::optional<int64_t> segment,
            const std::function<void(bucket&)>& f, const scan_options& o = {});
  // The smallest t >= t_lo with data in `tier`, if any.
  std::optional<int64_t> next_t(int tier, int64_t t_lo);

 private:
  // Prepared once per distinct text, reset before each use.
  sql::statement& cached(const std::string& text);

  sql::database& db_;
  std::map<std::string, sql::statement> cache_;
  sql::statement ins_interval_, ins_stats_, ins_users_, ins_failure_, ins_exception_, ins_monitor_;
  sql::statement has_interval_, next_t_;
};

}  // namespace endure::store
