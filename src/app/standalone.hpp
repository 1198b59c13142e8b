// app::run_standalone: one process runs the whole test (Locust's LocalRunner): options, the
// locustfile, sinks, the runner, the exit code.
#pragma once
#include <string>
#include <vector>

namespace endure::app {

int run_standalone(const std::vector<std::string>& args, const std::vector<std::string>& env);

}  // namespace endure::app
