// web form: the fields of Locust's POST /swarm (user_count, spawn_rate, host, run_time,
// user_classes, shape_class and the locustfile's own options) checked into a swarm_request, or one
// sentence that says what is wrong with which field. Pure: no sockets, no engine.
#pragma once
#include <chrono>
#include <cstdint>
#include <map>
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
  // shape_class: nullopt when the field is absent; "" for Locust's "Default" (no load shape, the
  // users and rate above); else the name of the locustfile's load shape.
  std::optional<std::string> shape_class;
  // The locustfile's own options the form set: long name ("my-int") -> value as the command line
  // takes it (flags "true"/"false"), each checked against its type and choices.
  std::map<std::string, std::string> custom;
};

// An option the locustfile adds (init_command_line_parser), as the form offers it: its form field
// is its dest name (the long name with '-' as '_', "my_int"), as Locust's.
struct form_option {
  std::string name;                  // long name without dashes ("my-int")
  bool is_flag = false;              // a checkbox: "true"/"false" (also on/off, 1/0)
  std::string value;                 // the current value (the command line's, else the default)
  std::string help;
  std::vector<std::string> choices;  // empty: any value
  std::string type;                  // "int", "float" or "" (text)
  std::string dest() const;
};

// Defaults for fields the form leaves out (the command line's -u, -r, -H, -t).
struct swarm_defaults {
  uint64_t users = 1;
  double spawn_rate = 1;
  std::string host;
  std::optional<std::chrono::milliseconds> run_time;
  std::vector<std::string> known_classes;  // names a user_classes field may take
  std::vector<std::string> shape_classes;  // names a shape_class field may take (besides "Default")
  std::vector<form_option> custom_options;  // the locustfile's own options
  uint64_t max_users = 10'000'000;         // more is refused (the machine's limits apply later)
};

// fields: the decoded form (application/x-www-form-urlencoded, or a query string), repeated
// names kept in order. An empty run_time means no limit; a run time allows days ("7d", "1d12h").
base::result<swarm_request> parse_swarm_form(const std::vector<std::pair<std::string, std::string>>& fields,
                                             const swarm_defaults& defaults);

}  // namespace endure::web
