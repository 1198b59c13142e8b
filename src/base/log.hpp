// base::log: leveled logging to stderr (or --logfile) as "time level [component]: message".
// Thread-safe; never used per request on the hot path.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace endure::base {

enum class log_level { debug = 0, info = 1, warning = 2, error = 3, critical = 4, off = 5 };

result<log_level> parse_log_level(std::string_view name);
void set_log_level(log_level level);
log_level get_log_level();
// Sends log lines to a file instead of stderr; returns an error if it cannot be opened.
// Lines are written whole: one that fails part-way (a full disk) is cut off again, counted as
// lost, said once on stderr, and the count is written into the file when writing works again.
result<unit> set_log_file(const std::string& path);

struct log_file_state {
  std::string path;         // "" when logging to stderr
  uint64_t lost_lines = 0;  // lines that could not be written to the file, whole run
  std::string last_error;   // why the last lost line was lost
};
log_file_state log_file_status();

void log(log_level level, std::string_view component, std::string_view message);

// The last `lines` lines logged, kept in memory (for the web UI's GET /logs); 0 (the default):
// none. Bounded whatever the run's length.
void keep_log_tail(size_t lines);
std::vector<std::string> log_tail();

inline void log_debug(std::string_view c, std::string_view m) { log(log_level::debug, c, m); }
inline void log_info(std::string_view c, std::string_view m) { log(log_level::info, c, m); }
inline void log_warning(std::string_view c, std::string_view m) { log(log_level::warning, c, m); }
inline void log_error(std::string_view c, std::string_view m) { log(log_level::error, c, m); }

}  // namespace endure::base
