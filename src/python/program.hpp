// python::program: a loaded Python locustfile: starts the embedded interpreter (once per process),
// imports the locustfile with endure's own `locust` package first on sys.path, collects its user
// classes, and wires a run to the Python shard and to the locustfile's event listeners.
// Must not know about the CLI, consoles or files: the app passes what it needs.
#pragma once
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "engine/runner.hpp"

namespace endure::python {

// An option the locustfile adds (mirrors cli::extra_option; the CLI module is not a dependency).
struct cli_extra_option {
  std::string name;
  bool is_flag = false;
  std::string default_value;
  std::string help;
  std::vector<std::string> choices;
};

struct load_options {
  std::string python_dir;  // endure's locust package; empty: $ENDURE_PYTHON_DIR, else the build's
};

// True when -f names Python locustfiles (every file ends in .py).
bool is_python_spec(const std::vector<std::string>& files);

class program {
 public:
  // Imports the files. Errors (syntax, import, no user class) come back as one line naming the
  // file and line, with exit code 2. Call on the main thread, before any run.
  static base::result<std::unique_ptr<program>> load(const std::vector<std::string>& files,
                                                     const load_options& opts = {});
  ~program();
  program(const program&) = delete;
  program& operator=(const program&) = delete;

  // Non-abstract user classes with tasks, in definition order; foreign = the Python class.
  const std::vector<engine::user_class>& classes() const { return classes_; }
  // Locust's --show-task-ratio-json structure for these classes (by name).
  nlohmann::json task_ratio(const std::vector<std::string>& class_names) const;
  // The locustfile's own options (events.init_command_line_parser; fired once, here).
  base::result<std::vector<cli_extra_option>> custom_options();
  // Names of LoadTestShape subclasses found (one drives the users through run_config.shape).
  const std::vector<std::string>& shapes() const { return shapes_; }

  // Prepares a run: one Python shard (threads = 1), the environment (host, tags, parsed options,
  // seed) and the init event. parsed_options: Locust's option names and values, for
  // environment.parsed_options.
  base::result<base::unit> configure(engine::run_config& cfg, const nlohmann::json& parsed_options);
  // Fires test_start, spawning_complete, test_stopping, test_stop in Python (on the hub).
  void attach(engine::hooks& hooks);
  // After the run (runner destroyed or joined): fires quitting and quit, flushes Python's output.
  void finish(int exit_code);

 private:
  program() = default;
  struct impl;
  std::unique_ptr<impl> impl_;
  std::vector<engine::user_class> classes_;
  std::vector<std::string> shapes_;
};

}  // namespace endure::python
