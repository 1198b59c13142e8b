// cli::help_text: `endure --help` (also `endure run --help`): the commands of the table and every
// option of option_table, grouped; docs/cli.md carries it verbatim (a test keeps them equal).
#pragma once
#include <span>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "cli/options.hpp"

namespace endure::cli {

// extras: the locustfile's own options, listed after endure's when known.
std::string help_text(std::span<const command> commands, const std::vector<extra_option>& extras = {});

}  // namespace endure::cli
