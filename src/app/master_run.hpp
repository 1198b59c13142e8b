// app master_run: `endure --master` (workers connect over Locust's protocol) and `endure
// --processes N` (the master starts N local worker processes of this binary). The workers'
// reports feed the same run bus, totals, outputs, run store and verdict as a standalone run.
#pragma once
#include <string>
#include <vector>

#include "cli/raw_options.hpp"

namespace endure::app {

// command_line: as the user typed it, for the run store.
int run_master(const cli::raw_options& raw, const std::vector<std::string>& command_line);

}  // namespace endure::app
