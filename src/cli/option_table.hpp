// cli::option_table: every option of `endure run`, one row each: its names, how its text becomes
// a field of cli::options (converter with validation), metavar, help and where it may be set.
// Parsing, config keys, environment names, --help and the availability check all read this
// table, so adding an option is one row. No I/O here.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "cli/options.hpp"

namespace endure::cli {

enum class arity : uint8_t {
  flag,  // no value on the command line (--headless, or --headless=false)
  one,   // one value (-u 10, -u10, --users=10)
  list,  // every following word that does not start with '-' (-T a b)
  // One value per occurrence, and occurrences add up: on the command line, in one config file
  // (one line each) and in one variable (items separated by ';'). A higher source replaces a lower
  // one's whole list.
  repeat,
};

// The groups of --help, in order.
enum class section : uint8_t { run, soak, monitor, exports, web_ui, distributed, store };

// A part of endure a build may not have yet; options that switch it on are refused until it
// exists (availability.hpp).
enum class feature : uint8_t { none, web_ui, distributed, store };

// Sources an option may come from. --help, --version and --config are not read from config
// files, and --help and --version not from the environment (images often set LOCUST_VERSION).
enum source_mask : uint8_t {
  from_command_line = 1,
  from_files = 2,
  from_environment = 4,
  from_anywhere = 7,
};

// Stores an option's words into its field: one word for arity::one, every item for arity::list,
// the value text for flags ("true", "" from a config file, "no", ...); arity::repeat gets every item
// (and is also called with one item at a time, to say which one is wrong). On a bad value the error's
// message is only what was expected ("a whole number of users, at least 1"): the caller adds the
// option's name, the value and where it came from.
struct binder {
  std::function<base::result<base::unit>(options&, const std::vector<std::string>&)> set;
  // The field's resolved value as text ("" when empty; lists comma-separated), for the record of
  // a run's options in its store.
  std::function<std::string(const options&)> show;
  base::result<base::unit> operator()(options& o, const std::vector<std::string>& w) const {
    return set(o, w);
  }
};

struct option_spec {
  std::string_view name;  // long name without dashes: "spawn-rate"
  char short_name = 0;    // 'r', or 0
  arity kind = arity::one;
  std::string_view metavar;  // "RATE"; empty for flags
  std::string_view help;     // one line of --help
  binder bind;
  section group = section::run;
  // The mode this option turns on when active(options) is true (--master, --store PATH).
  feature needs = feature::none;
  bool (*active)(const options&) = nullptr;
  std::string_view locust_env;  // Locust's own variable when it is not LOCUST_<NAME>
  uint8_t sources = from_anywhere;
  bool secret = false;  // the value is never echoed in an error message
};

// Every option, in --help order.
const std::vector<option_spec>& option_table();
const option_spec* find_option(std::string_view long_name);
const option_spec* find_short_option(char short_name);
// The environment spelling of a long name, without the prefix: "spawn-rate" -> "SPAWN_RATE".
std::string env_suffix(std::string_view long_name);
// The heading of a group in --help.
std::string_view section_title(section s);
// "true"/"false" for the spellings a flag accepts (true, 1, yes, on, empty; false, 0, no, off;
// any case); nullopt otherwise.
std::optional<bool> parse_flag(std::string_view text);

}  // namespace endure::cli
