// python::program: a loaded Python locustfile as an engine::locustfile: starts the embedded
// interpreter (once per process), imports the locustfile with endure's own `locust` package first
// on sys.path, collects its user classes and shape, runs its users on a python_shard, and forwards
// run events to its listeners. Must not know about the CLI, consoles or files.
#pragma once
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "engine/locustfile.hpp"

namespace endure::python {

struct load_options {
  std::string python_dir;  // endure's locust package; empty: $ENDURE_PYTHON_DIR, else the build's
};

// True when -f names Python locustfiles (every file ends in .py).
bool is_python_spec(const std::vector<std::string>& files);

class program final : public engine::locustfile {
 public:
  // Imports the files. Errors (syntax, import, no user class) come back as one line naming the
  // file and line, with exit code 2. Call on the main thread, before any run.
  static base::result<std::unique_ptr<program>> load(const std::vector<std::string>& files,
                                                     const load_options& opts = {});
  ~program() override;
  program(const program&) = delete;
  program& operator=(const program&) = delete;

  const char* language() const override { return "python"; }
  // Non-abstract user classes with tasks, in definition order; handle = the Python class.
  const std::vector<engine::user_class>& classes() const override { return classes_; }
  base::result<std::vector<engine::custom_option>> custom_options() override;
  // Locust's {"per_class": ..., "total": ...}: users per class distributed by the -u given to
  // configure() (none: by weight), each task relative to its parent in per_class.
  nlohmann::ordered_json task_ratio(const std::vector<std::string>& class_names) const override;
  // The same as the text Locust 2.12.1 prints (class order, indented by 4): nlohmann::json
  // sorts keys, so print this one for --show-task-ratio-json.
  std::string task_ratio_json(const std::vector<std::string>& class_names) const;
  int max_threads() const override { return 1; }
  bool has_shape() const override { return !shapes_.empty(); }
  std::string shape_name() const override { return shapes_.empty() ? "" : shapes_.front(); }
  base::result<base::unit> set_custom_options(const std::map<std::string, std::string>& values) override;
  // One Python shard (threads = 1), the environment (host, tags, parsed options, seed) and the
  // init event. parsed_options: Locust's option names and values, for environment.parsed_options.
  base::result<base::unit> configure(engine::controller_config& cfg,
                                     const nlohmann::json& parsed_options) override;
  engine::shape_fn shape() override;
  // Fires test_start, spawning_complete, reset_stats, test_stopping, test_stop in Python.
  engine::subscription attach(engine::run_bus& bus) override;
  // After the run (shards joined): fires quitting, then quit with Locust's exit code (see
  // exit_code()), and flushes Python's output.
  int finish(int exit_code) override;
  // After finish(): the exit code Locust would end with: environment.process_exit_code when the
  // locustfile set it, else finish()'s exit_code when it is not 0, else 2 when an event handler
  // raised, else 0.
  int exit_code() const;

  // Names of LoadTestShape subclasses found.
  const std::vector<std::string>& shapes() const { return shapes_; }

 private:
  program() = default;
  struct impl;
  std::unique_ptr<impl> impl_;
  std::vector<engine::user_class> classes_;
  std::vector<std::string> shapes_;
};

}  // namespace endure::python
