// cli::raw_options: Locust's option layer read once: the command line, LOCUST_* / ENDURE_*
// variables and the config files (locust.conf, endure.conf, --config) as raw text per source,
// then resolve() into cli::options once the locustfile's own options are known. Precedence:
// defaults < locust.conf < endure.conf < --config < LOCUST_* < ENDURE_* < command line.
// I/O: reads the config files and looks for ./locustfile.py and ./locustfile.cpp; nothing else.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "cli/options.hpp"

namespace endure::cli {

class raw_options {
 public:
  // args: the run's arguments (no program or sub-command name); env: "KEY=VALUE" entries; cwd:
  // where locust.conf, endure.conf and the default locustfile are looked for. Errors here are
  // about the shape of the input (a value missing after -u, an unreadable --config, a config
  // line without '='); values and unknown names are checked by resolve().
  static base::result<raw_options> read(std::vector<std::string> args, const std::vector<std::string>& env,
                                        std::string cwd = ".");

  // -f after precedence; without one ./locustfile.py, else ./locustfile.cpp; an error (one line
  // with a hint) when neither exists. Needs no resolve: the app loads the locustfile with it.
  base::result<std::string> locustfile() const;
  // A flag after precedence, before resolve (--help and --version must work even when other
  // options are wrong or belong to a locustfile not loaded yet). False when unset or not a
  // boolean (resolve reports that).
  bool flag(std::string_view name) const;
  // Converts every source into options: extras are the locustfile's own options (accepted on the
  // command line, in config files and in the environment like endure's). An unknown option or a
  // bad value is an error naming the option, the value and where it came from (exit code 2).
  base::result<options> resolve(const std::vector<extra_option>& extras = {}) const;
  // The same, leaving out every option the table does not know (they may be the locustfile's):
  // checks endure's own options before a locustfile is loaded (a C++ one may have to be
  // compiled first). User class names are not checked here either.
  base::result<options> resolve_known() const;
  // A copy whose -f is `path` (a worker's `-f -`: the file its master sent, saved locally).
  raw_options with_locustfile(const std::string& path) const;
  // True when some source sets this option (by long name): -f given, not the default file.
  bool given(std::string_view name) const { return last_known(name) != nullptr; }

  // One option as one source wrote it, before conversion.
  struct setting {
    std::string name;                // long name, or the key / variable suffix as written
    std::vector<std::string> words;  // one value, list items, or a flag's text
    origin from;
    std::string location;            // "endure.conf:3" (config files), for unknown keys
    bool is_short = false;           // command line: an unknown short option ("-Z")
    bool bare = false;               // command line: no value given (a flag, or unknown)
    bool has_next = false;           // command line, unknown option: next_word may be its value
    std::string next_word;
  };

 private:
  raw_options() = default;

  // An item of the command line in order: an option, or a positional word.
  struct cli_item {
    bool positional = false;
    std::string word;
    setting option;
  };

  const setting* last_known(std::string_view name) const;
  base::result<options> resolve_with(const std::vector<extra_option>& extras, bool ignore_unknown) const;
  std::string default_locustfile_error() const;

  std::string cwd_;
  std::vector<std::vector<setting>> files_;  // locust.conf, endure.conf, --config
  std::vector<setting> locust_env_, endure_env_;
  std::vector<cli_item> command_line_;
};

inline base::result<raw_options> read(std::vector<std::string> args, const std::vector<std::string>& env,
                                      std::string cwd = ".") {
  return raw_options::read(std::move(args), env, std::move(cwd));
}

}  // namespace endure::cli
