// app::run_standalone: one process runs the whole test (Locust's LocalRunner): options, the
// locustfile, sinks, the runner, the exit code.
#pragma once
#include "cli/raw_options.hpp"

namespace endure::app {

// raw: the run's options as read by main.cpp (--help and --version already answered).
int run_standalone(const cli::raw_options& raw);

}  // namespace endure::app
