// engine::locustfile: what a front-end (C++ in cppfile/, Python in python/) offers the app: its user
// classes, its own command-line options, its task ratio, the shards that run its users, its load
// shape, and its event listeners. The app drives every mode (standalone, web, master, worker)
// through this one interface and never branches on the locustfile's language.
#pragma once
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "engine/controller.hpp"
#include "engine/event_bus.hpp"

namespace endure::engine {

// An option the locustfile adds (Locust's init_command_line_parser): accepted on the command line,
// in config files and as LOCUST_<NAME> / ENDURE_<NAME>.
struct custom_option {
  std::string name;                  // long name without dashes, e.g. "my-flag"
  bool is_flag = false;              // store_true: no value
  std::string default_value;         // as text ("" when none)
  std::string help;
  std::vector<std::string> choices;  // empty: any value
  std::string type;                  // "int" or "float": checked when options are read; "": text
};

class locustfile {
 public:
  virtual ~locustfile() = default;
  virtual const char* language() const = 0;  // "python" or "c++", for messages
  // Non-abstract user classes, in definition order (handles belong to the front-end).
  virtual const std::vector<user_class>& classes() const = 0;
  // The locustfile's own options (Python: init_command_line_parser fires once, here).
  virtual base::result<std::vector<custom_option>> custom_options() = 0;
  // Locust's --show-task-ratio-json structure ({"per_class": ..., "total": ...}) for these
  // classes (by name; empty: all), in Locust's order (classes and tasks as defined).
  virtual nlohmann::ordered_json task_ratio(const std::vector<std::string>& class_names) const = 0;
  // Shards that run this front-end's users (Python: 1 per process; 0: no limit).
  virtual int max_threads() const = 0;
  virtual bool has_shape() const = 0;
  // The load shape's class name, for the web UI's shape picker ("" without a shape).
  virtual std::string shape_name() const { return has_shape() ? "LoadTestShape" : ""; }

  // Prepares a run: sets cfg.make_shard, applies the process-wide settings (host, tags, seed)
  // and fires the locustfile's init event with Locust's parsed options (name -> value).
  virtual base::result<base::unit> configure(controller_config& cfg,
                                             const nlohmann::json& parsed_options) = 0;
  // New values of the locustfile's own options between tests (the web UI's start form), by long
  // name, as text as the command line takes them (already checked against their type): the next
  // test's environment.parsed_options shows them. Not while users run. After configure().
  virtual base::result<base::unit> set_custom_options(const std::map<std::string, std::string>& values) = 0;
  // The locustfile's load shape (empty when it has none).
  virtual shape_fn shape() = 0;
  // Forwards run events to the locustfile's listeners (test_start, spawning_complete,
  // reset_stats, test_stopping, test_stop). Keep the subscription for the run's life.
  virtual subscription attach(run_bus& bus) = 0;
  // After the run: quitting and quit listeners, output flushed. Returns the exit code the run
  // ends with: exit_code, unless the locustfile changed it as Locust allows
  // (environment.process_exit_code, or 2 when an event handler failed at start).
  virtual int finish(int exit_code) = 0;
};

}  // namespace endure::engine
