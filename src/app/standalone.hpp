// app::run_standalone: one process runs the whole test (Locust's LocalRunner): options, the
// locustfile, sinks, the run store, the runner, the exit code.
#pragma once
#include <string>
#include <vector>

#include "cli/raw_options.hpp"

namespace endure::app {

// raw: the run's options as read by main.cpp (--help and --version already answered);
// command_line: the arguments as given, recorded in the run store.
int run_standalone(const cli::raw_options& raw, const std::vector<std::string>& command_line);

}  // namespace endure::app
