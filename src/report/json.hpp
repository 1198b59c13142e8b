// report JSON: --json output in Locust's per-entry shape (name, method, num_requests, ...,
// response_times) plus endure's keys (percentiles, intended_percentiles, avg_content_size).
// Pure; times in milliseconds. response_times needs the final snapshot (it carries buckets).
#pragma once
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "stats/snapshot.hpp"

namespace endure::report {

// One object for a row, in Locust's StatsEntry.serialize() keys plus endure's.
nlohmann::json row_json(const stats::row& r, double start_wall_s);
// Objects added to entries by (method, name), under one key (the soak verdict's rows).
struct entry_extras {
  std::string key;
  const std::map<std::pair<std::string, std::string>, nlohmann::json>* by_entry = nullptr;
};

// A list with one object per entry (entries without requests are left out, as Locust does).
nlohmann::json entries_json(const stats::snapshot& s, const entry_extras& extras = {});
// {"stats": [...], "total": {...}, "failures": [...], "exceptions": [...], "start_time",
//  "end_time", "user_count", "state"}.
nlohmann::json run_json(const stats::snapshot& s, const entry_extras& extras = {});

}  // namespace endure::report
