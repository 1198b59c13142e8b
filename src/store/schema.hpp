// store::schema: the run store's tables (documented in docs/storage.md), their version
// (PRAGMA user_version) with forward migrations, the file's identity (PRAGMA application_id), and
// the roll-up tiers. The one place that knows the DDL; writer and reader only use its names.
#pragma once
#include <array>
#include <cstdint>
#include <string>

#include "base/result.hpp"
#include "store/sqlite.hpp"

namespace endure::store {

// "endu": marks a SQLite file as an endure run store.
inline constexpr int32_t application_id = 0x656E6475;
// The schema this build writes and reads. A newer file is refused (exit code 2); an older one is
// migrated forward when opened for writing, and read through the same migrations otherwise.
inline constexpr int schema_version = 2;

// A roll-up tier: rows of `length_s` seconds, merged exactly from the `source` tier once each
// bucket is complete, kept for `keep_s` seconds of data time (0: for the whole run).
// Coarse tiers store histograms at storage resolution (stats bucket groups of 1/128 of a power of
// two: values within +-0.4%); full tiers keep the engine's resolution (+-0.05%).
struct tier_spec {
  int tier;
  int64_t length_s;
  int64_t keep_s;
  bool full_resolution;
  int source;  // -1: interval records
};

// Every tier boundary is a multiple of the finer lengths, and data is pruned in whole hours, so
// any stretch of time is covered by whole rows of whichever tier holds it.
inline constexpr int64_t prune_grain_s = 3600;
inline constexpr std::array<tier_spec, 5> tiers = {{
    {0, 1, 3 * 3600, true, -1},      // 1 s for the last 3 hours
    {1, 10, 6 * 3600, false, 0},     // 10 s for the last 6 hours
    {2, 60, 7 * 86400, false, 1},    // 1 min for the last 7 days
    {3, 600, 30 * 86400, false, 2},  // 10 min for the last 30 days
    {4, 3600, 0, true, 0},           // 1 h for the whole run, exact: whole-run reports
}};
inline constexpr int exact_tier = 4;

// Creates the schema in an empty database, or migrates an older one forward. Refuses a file that
// is not an endure store or whose schema is newer. In the caller's transaction when one is open
// (a new store: schema and run record commit together), else in its own.
void create_or_migrate(sql::database& db);

// Checks a file opened for reading: an endure store of this schema version or an older one that
// needs no migration to be read. Returns the one-line reason when it cannot be read.
std::string check_readable(sql::database& db, const std::string& path);

}  // namespace endure::store
