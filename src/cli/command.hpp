// cli::command: endure's sub-commands as one table (name, one-line summary, entry point) and the
// rule that picks one from the first argument. The table itself lives in app/main.cpp, which
// owns the entry points; `endure --help` lists its rows.
#pragma once
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace endure::cli {

struct command;

// What a sub-command's entry point receives.
struct invocation {
  const command* cmd = nullptr;
  std::vector<std::string> args;      // after the sub-command's name (all of them for the default)
  std::vector<std::string> env;       // the process environment, "KEY=VALUE"
  std::span<const command> commands;  // the whole table, for the top-level help
};

struct command {
  std::string_view name;     // "run", "demo-shop"
  std::string_view summary;  // one line in `endure --help`
  int (*main)(const invocation&);
};

// The first row is the default command (run). Only the first argument can name another: when it
// equals a row's name exactly, that row runs with the rest; anything else (an option, a user
// class) goes to the default with every argument. `endure run NAME` selects a user class NAME
// even when NAME is also a command. The table must not be empty.
invocation pick(std::span<const command> commands, std::vector<std::string> args, std::vector<std::string> env);

}  // namespace endure::cli
