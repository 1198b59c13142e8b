// app node_setup: what the master and worker modes share with a standalone run before it starts:
// the locustfile opened once, every option resolved (its own included), the user classes picked
// by name, and the engine's controller configuration for this process.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.hpp"
#include "cli/options.hpp"
#include "cli/raw_options.hpp"
#include "dist/zmq_link.hpp"
#include "engine/controller.hpp"
#include "engine/locustfile.hpp"

namespace endure::app {

struct loaded_run {
  std::unique_ptr<engine::locustfile> lf;
  cli::options o;
  std::vector<engine::user_class> classes;
  nlohmann::json parsed_options;  // Locust's names, for the locustfile's init event and spawn
};

// Options (the mode's feature counts as built), log settings, the locustfile and its classes.
base::result<loaded_run> load_run(const cli::raw_options& raw);
// Threads, client options, tags, classes, seed and the locustfile's shards.
base::result<engine::controller_config> controller_config_of(loaded_run& run);
// --cluster-secret-file read and turned into CURVE keys (none without it); errors: exit code 2.
base::result<std::optional<dist::curve_keys>> cluster_keys_of(const cli::options& o);
// The master's link: its keys, and a peer refused for a wrong or missing secret logged (the
// first time, then at most once a minute: a refused worker retries many times a second).
dist::link_security master_link_security(std::optional<dist::curve_keys> keys);
// This process's command line as it was started (/proc/self/cmdline), to start local workers.
std::vector<std::string> process_command_line();
// One line on stderr: "endure: error: <message>"; returns the error's exit code.
int fail_with(const base::error& e);

}  // namespace endure::app
