// cli::availability: options that ask for a part of endure this build does not have yet (the web
// UI, master/worker, the run store) are refused with one line, never ignored into a standalone
// run. The app passes the features it has; a mode drops its refusal by being listed there.
#pragma once
#include <span>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "cli/option_table.hpp"
#include "cli/options.hpp"

namespace endure::cli {

// The options that are set and active but need a feature not in `built`, each as the user
// wrote it with its source: "--master", "--processes (from environment variable LOCUST_PROCESSES)".
std::vector<std::string> unavailable_options(const options& o, std::span<const feature> built = {});

// One line (exit code 2) when the run asks for something not built: first the options of
// unavailable_options, then the web UI (a run without --headless). --list and the task ratio
// run nothing and are never refused.
base::result<base::unit> check_available(const options& o, std::span<const feature> built = {});

}  // namespace endure::cli
