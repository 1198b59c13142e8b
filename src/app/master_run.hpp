// app master_run: `endure --master` (workers connect over Locust's protocol) and `endure
// --processes N` (the master starts N local worker processes of this binary). The workers'
// reports feed the same run bus, totals, outputs and verdict as a standalone run.
#pragma once
#include "cli/raw_options.hpp"

namespace endure::app {

int run_master(const cli::raw_options& raw);

}  // namespace endure::app
