// web api_json: the bodies of Locust's web API (GET /stats/requests, /exceptions) and of endure's
// history endpoint, built from a snapshot. Locust's keys as Locust 2.x sends them (both the
// 2.12.1 and the newer names where they differ), endure's additions beside them. Pure: strings out.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/steerable.hpp"
#include "stats/snapshot.hpp"
#include "web/archive.hpp"
#include "web/history.hpp"

namespace endure::web {

// What the snapshot does not say: the controller's state and users now (a test that has not
// started has no snapshot yet, and a stopped one keeps its last).
struct live_state {
  stats::run_state state = stats::run_state::ready;
  uint64_t user_count = 0;
  std::string host;
  // A master's: Locust's "workers" and "worker_count" keys (absent standalone, as Locust's).
  bool distributed = false;
  std::vector<engine::worker_status> workers;
};

// At most this many entries (then Aggregated), and this many errors, as Locust.
inline constexpr size_t max_stats_rows = 500;

// s may be null (no test yet): empty tables.
std::string stats_requests_json(const stats::snapshot* s, const live_state& live);
std::string exceptions_json(const stats::snapshot* s);
// Locust's GET /tasks ("current ratio"): `planned` is the locustfile's task ratio for the classes
// and -u the run was given ({"per_class": {Class: {"ratio", "tasks"}}, "total": {...}}). While
// users run (s has users by class), each class's ratio is its share of the users running now and
// the "total" task ratios follow it, as Locust's; without users, `planned` as it is.
std::string tasks_json_now(const std::string& planned, const stats::snapshot* s);
// {"from", "to", "level_s", "points": [{"t", "rps", "fail_per_s", "p50", "p90", "p95", "p99", "p999", "users"}]}
// (t: end of the point, Unix seconds; latencies in ms, null without requests).
// source: "memory" (the UI's rings) or "store" (the run store's roll-ups); run_first_s/run_last_s:
// the span of the run's data (0 when unknown), for "the whole run" windows.
std::string history_json(const std::vector<history_point>& points, double from_s, double to_s, double level_s);
// entry (optional): the endpoint the points are of ({"method", "name"}, else the Aggregated row);
// monitor (optional): the target's series, [{"source", "metric", "points": [[t, value]...]}].
std::string history_json(const std::vector<report::chart_point>& points, double from_s, double to_s, double level_s,
                         const char* source, double run_first_s, double run_last_s,
                         const std::pair<std::string, std::string>* entry = nullptr,
                         const std::vector<monitor_line>* monitor = nullptr);

}  // namespace endure::web
