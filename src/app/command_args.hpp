// app command_args: the small argument reader of the store sub-commands (report, runs, compare):
// `--name VALUE`, `--name=VALUE`, flags, repeatable options and positional words, with one-line
// errors. The run's own options go through cli/ instead (config files, environment, the table).
#pragma once
#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace endure::app {

struct command_args {
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>> values;  // by option name without dashes
  std::set<std::string> flags;
  bool has(const std::string& name) const { return values.count(name) || flags.count(name); }
  std::string value(const std::string& name) const {
    auto it = values.find(name);
    return it == values.end() || it->second.empty() ? std::string() : it->second.back();
  }
};

// with_value: options that take a value; flag_names: options without one. `command` names the
// sub-command in messages ("endure report").
base::result<command_args> read_command_args(const std::vector<std::string>& args,
                                             const std::set<std::string>& with_value,
                                             const std::set<std::string>& flag_names,
                                             const std::string& command);

// Prints "endure: error: MESSAGE" on stderr and returns its exit code.
int command_error(const base::error& e);
int command_error(const std::string& message, int code = 2);

// "6d 23h 12m", "1h 2m 3s", "45s".
std::string duration_text(double seconds);

}  // namespace endure::app
