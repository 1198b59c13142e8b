// web form: the fields of Locust's POST /swarm (user_count, spawn_rate, host, run_time,
// user_classes) checked into a swarm_request, or one sentence that says what is wrong with which
// field. Pure: no sockets, no engine.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.hpp"

namespace endure::web {

// What a start (or an edit) from the web UI or a script asks for.
struct swarm_request {
  uint64_t users = 1;
  double spawn_rate = 1;
  std::string host;                                // "" : the classes' own hosts (or --host)
  std::optional<std::chrono::milliseconds> run_time;  // nullopt: until stopped
  std::vector<std::string> user_classes;           // empty: every class, by weight
};

// Defaults for fields the form leaves out (the command line's -u, -r, -H, -t).
struct swarm_defaults {
  uint64_t users = 1;
  double spawn_rate = 1;
  std::string host;
  std::optional<std::chrono::milliseconds> run_time;
  std::vector<std::string> known_classes;  // names a user_classes field may take
  uint64_t max_users = 10'000'000;         // more is refused (the machine's limits apply later)
};

// fields: the decoded form (application/x-www-form-urlencoded, or a query string), repeated
// names kept in order. An empty run_time means no limit; a run time allows days ("7d", "1d12h").
base::result<swarm_request> parse_swarm_form(const std::vector<std::pair<std::string, std::string>>& fields,
                                             const swarm_defaults& defaults);

}  // namespace endure::web
