// app worker_run: `endure --worker --master-host H [--master-port P]`: the locustfile's users run
// here, driven by a master over Locust's protocol (an endure master or a Locust one).
#pragma once
#include "cli/raw_options.hpp"

namespace endure::app {

int run_worker(const cli::raw_options& raw);

}  // namespace endure::app
