#include "store/schema.hpp"

#include <functional>
#include <optional>
#include <vector>

namespace endure::store {

namespace {

// Version 1: the first schema. Every table and column is documented in docs/storage.md.
// Times: `t` is a row's start in whole Unix seconds (UTC); *_wall_s are exact Unix seconds.
// Latencies are integer microseconds. Histograms are stats::pack blobs (varint bucket deltas and
// counts of stats::histogram's buckets).
constexpr const char* schema_v1 = R"sql(
CREATE TABLE run (
  run_id TEXT NOT NULL,
  start_wall_s REAL NOT NULL,
  start_utc TEXT NOT NULL,
  endure_version TEXT NOT NULL,
  command_line TEXT NOT NULL,
  host TEXT NOT NULL,
  interval_ms INTEGER NOT NULL,
  node TEXT NOT NULL,
  machine_host TEXT NOT NULL,
  machine_cores INTEGER NOT NULL,
  machine_memory_bytes INTEGER NOT NULL,
  machine_os TEXT NOT NULL
);
CREATE TABLE run_end (
  end_wall_s REAL NOT NULL,
  end_utc TEXT NOT NULL,
  reason TEXT NOT NULL,
  exit_code INTEGER NOT NULL,
  complete INTEGER NOT NULL,
  problems TEXT NOT NULL
);
CREATE TABLE option (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  source TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE locustfile (
  path TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  size_bytes INTEGER NOT NULL,
  content BLOB NOT NULL
);
CREATE TABLE user_class (
  class_index INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  weight INTEGER NOT NULL,
  fixed_count INTEGER NOT NULL
);
CREATE TABLE tier (
  tier INTEGER PRIMARY KEY,
  length_s INTEGER NOT NULL,
  keep_s INTEGER NOT NULL,
  resolution TEXT NOT NULL,
  source INTEGER NOT NULL,
  first_t INTEGER NOT NULL,
  rolled_t INTEGER NOT NULL
);
CREATE TABLE segment (
  segment INTEGER PRIMARY KEY,
  test INTEGER NOT NULL,
  kind TEXT NOT NULL,
  start_wall_s REAL NOT NULL
);
CREATE TABLE entry (
  entry_id INTEGER PRIMARY KEY,
  method TEXT NOT NULL,
  name TEXT NOT NULL,
  UNIQUE (method, name)
);
INSERT INTO entry (entry_id, method, name) VALUES (0, '', 'Aggregated');
CREATE TABLE interval (
  tier INTEGER NOT NULL,
  t INTEGER NOT NULL,
  segment INTEGER NOT NULL,
  test INTEGER NOT NULL,
  start_wall_s REAL NOT NULL,
  end_wall_s REAL NOT NULL,
  intervals INTEGER NOT NULL,
  stalled INTEGER NOT NULL,
  state TEXT NOT NULL,
  is_final INTEGER NOT NULL,
  user_count INTEGER NOT NULL,
  user_count_max INTEGER NOT NULL,
  cpu_percent REAL NOT NULL,
  rss_bytes INTEGER NOT NULL,
  loop_lag_ms REAL NOT NULL,
  cpu_saturated INTEGER NOT NULL,
  PRIMARY KEY (tier, t, segment)
) WITHOUT ROWID;
CREATE TABLE stats (
  tier INTEGER NOT NULL,
  t INTEGER NOT NULL,
  segment INTEGER NOT NULL,
  entry_id INTEGER NOT NULL,
  requests INTEGER NOT NULL,
  failures INTEGER NOT NULL,
  sum_us INTEGER NOT NULL,
  min_us INTEGER NOT NULL,
  max_us INTEGER NOT NULL,
  content_bytes INTEGER NOT NULL,
  p50_us INTEGER NOT NULL,
  p90_us INTEGER NOT NULL,
  p95_us INTEGER NOT NULL,
  p99_us INTEGER NOT NULL,
  first_wall_s REAL NOT NULL,
  last_wall_s REAL NOT NULL,
  intended_min_us INTEGER NOT NULL,
  intended_max_us INTEGER NOT NULL,
  latency BLOB NOT NULL,
  intended BLOB
);
CREATE UNIQUE INDEX stats_key ON stats (tier, t, segment, entry_id);
CREATE TABLE users (
  tier INTEGER NOT NULL,
  t INTEGER NOT NULL,
  segment INTEGER NOT NULL,
  class_name TEXT NOT NULL,
  users INTEGER NOT NULL,
  users_max INTEGER NOT NULL,
  PRIMARY KEY (tier, t, segment, class_name)
) WITHOUT ROWID;
CREATE TABLE error (
  error_id INTEGER PRIMARY KEY,
  text TEXT NOT NULL UNIQUE
);
CREATE TABLE failures (
  tier INTEGER NOT NULL,
  t INTEGER NOT NULL,
  segment INTEGER NOT NULL,
  entry_id INTEGER NOT NULL,
  error_id INTEGER NOT NULL,
  count INTEGER NOT NULL,
  first_wall_s REAL NOT NULL,
  last_wall_s REAL NOT NULL,
  PRIMARY KEY (tier, t, segment, entry_id, error_id)
) WITHOUT ROWID;
CREATE TABLE exception_kind (
  kind_id INTEGER PRIMARY KEY,
  message TEXT NOT NULL,
  traceback TEXT NOT NULL,
  UNIQUE (message, traceback)
);
CREATE TABLE exceptions (
  tier INTEGER NOT NULL,
  t INTEGER NOT NULL,
  segment INTEGER NOT NULL,
  kind_id INTEGER NOT NULL,
  node TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (tier, t, segment, kind_id, node)
) WITHOUT ROWID;
CREATE TABLE monitor_series (
  series_id INTEGER PRIMARY KEY,
  source TEXT NOT NULL,
  metric TEXT NOT NULL,
  UNIQUE (source, metric)
);
CREATE TABLE monitor (
  tier INTEGER NOT NULL,
  t INTEGER NOT NULL,
  segment INTEGER NOT NULL,
  series_id INTEGER NOT NULL,
  value REAL NOT NULL,
  min REAL NOT NULL,
  max REAL NOT NULL,
  last REAL NOT NULL,
  samples INTEGER NOT NULL,
  PRIMARY KEY (tier, t, segment, series_id)
) WITHOUT ROWID;
CREATE TABLE event (
  event_id INTEGER PRIMARY KEY,
  wall_s REAL NOT NULL,
  kind TEXT NOT NULL,
  test INTEGER NOT NULL,
  user_count INTEGER NOT NULL,
  detail TEXT NOT NULL
);
CREATE VIEW stats_named AS
  SELECT s.tier, tr.length_s, s.t, datetime(s.t, 'unixepoch') AS time, s.segment, e.method,
         e.name, s.requests, s.failures, s.sum_us, s.min_us, s.max_us, s.content_bytes,
         s.p50_us, s.p90_us, s.p95_us, s.p99_us
  FROM stats s JOIN entry e USING (entry_id) JOIN tier tr USING (tier);
)sql";

// Migrations: migrations[v] takes a database at user_version v to v + 1. Version 0 is an empty
// file. A new schema version appends one function here (and a test with a file of the old one).
const std::vector<std::function<void(sql::database&)>>& migrations() {
  static const std::vector<std::function<void(sql::database&)>> m = {
      [](sql::database& db) { db.exec(schema_v1); },
      // 2: the open model's dropped arrivals and session churn per class and stretch.
      [](sql::database& db) {
        db.exec(
            "ALTER TABLE users ADD COLUMN dropped_arrivals INTEGER NOT NULL DEFAULT 0;"
            "ALTER TABLE users ADD COLUMN sessions_started INTEGER NOT NULL DEFAULT 0;"
            "ALTER TABLE users ADD COLUMN sessions_ended INTEGER NOT NULL DEFAULT 0;");
      },
  };
  return m;
}

int user_version(sql::database& db) {
  return static_cast<int>(db.query_int("PRAGMA user_version"));
}
int32_t file_application_id(sql::database& db) {
  return static_cast<int32_t>(db.query_int("PRAGMA application_id"));
}
bool has_tables(sql::database& db) {
  return db.query_int("SELECT count(*) FROM sqlite_schema") > 0;
}

}  // namespace

void create_or_migrate(sql::database& db) {
  std::optional<sql::transaction> tx;
  if (!db.in_transaction()) tx.emplace(db);
  const int v = user_version(db);
  const int32_t app = file_application_id(db);
  if (app != application_id && (app != 0 || v != 0 || has_tables(db)))
    throw sql::failure(0, "not an endure run store (a SQLite database of something else)");
  if (v > schema_version)
    throw sql::failure(0, "store schema version " + std::to_string(v) +
                              " is newer than this endure writes (" +
                              std::to_string(schema_version) + "): use a newer endure");
  static_assert(schema_version == 2, "add the migration to migrations()");
  for (int from = v; from < schema_version; ++from) migrations()[static_cast<size_t>(from)](db);
  if (v == 0) db.exec("PRAGMA application_id = " + std::to_string(application_id));
  db.exec("PRAGMA user_version = " + std::to_string(schema_version));
  if (tx) tx->commit();
}

std::string check_readable(sql::database& db, const std::string& path) {
  const int32_t app = file_application_id(db);
  const int v = user_version(db);
  if (app != application_id) {
    if (!has_tables(db)) return path + " is not an endure run store (an empty database)";
    return path + " is not an endure run store (a SQLite database of something else)";
  }
  if (v > schema_version)
    return path + " has store schema version " + std::to_string(v) +
           ", newer than this endure reads (" + std::to_string(schema_version) +
           "): use a newer endure";
  if (v < 1) return path + " is not an endure run store (no schema)";
  return {};
}

}  // namespace endure::store
