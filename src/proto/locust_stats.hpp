// proto::locust_stats: interval records in and out of Locust's "stats" message. A worker's report
// carries Locust's StatsEntry fields (so a Locust master shows its numbers) plus, under the extra
// key "endure", the exact interval records (sparse histograms) an endure master merges without
// rounding. A report from a Locust worker (no "endure" key) becomes a delta with Locust's rounded
// response times placed in endure's buckets. Pure conversions: no clocks, no I/O.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.hpp"
#include "stats/interval_record.hpp"

namespace endure::proto {

// Locust's rounding of a response time (ms) before it becomes a histogram key: 147 -> 150,
// 3432 -> 3400, 58760 -> 59000; below 100 ms, to the nearest ms.
int64_t locust_rounded_ms(double ms);

// The "stats" data of one report from `records` (consecutive intervals of this worker, oldest
// first; may be empty): Locust's stats, stats_total and errors summed over them, user counts from
// the newest, and the records themselves under "endure". user_count / users_by_class: now.
nlohmann::json stats_report(const std::vector<stats::record_ptr>& records, uint64_t user_count,
                            const std::vector<std::pair<std::string, uint64_t>>& users_by_class);

// A report's own records ("endure" key): empty when the sender is a Locust worker.
base::result<std::vector<stats::interval_record>> records_of(const nlohmann::json& data);
// A Locust worker's report as one delta (entries, failures); errors name the bad field.
base::result<stats::shard_delta> delta_of_locust(const nlohmann::json& data);

nlohmann::json record_to_json(const stats::interval_record& r);
base::result<stats::interval_record> record_from_json(const nlohmann::json& j);

}  // namespace endure::proto
