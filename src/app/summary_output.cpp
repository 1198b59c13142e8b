#include "app/summary_output.hpp"

#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "sinks/file_util.hpp"

namespace endure::app {

base::result<base::unit> check_summary_path(const std::string& flag, const std::string& path) {
  const std::filesystem::path p(path);
  const auto dir = p.has_parent_path() ? p.parent_path() : std::filesystem::path(".");
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    return base::make_error("cannot write " + flag + " '" + path + "': directory '" + dir.string() +
                            "' does not exist");
  if (::access(dir.c_str(), W_OK) != 0)
    return base::make_error("cannot write " + flag + " '" + path + "': directory '" + dir.string() +
                            "' is not writable");
  return base::unit{};
}

bool write_summary(const std::string& path, const report::summary_input& in) {
  if (auto r = sinks::write_file_atomic(path, report::summary_json(in)); !r) {
    // "cannot write PATH: reason"
    std::fprintf(stderr, "endure: --summary-json: %s\n", r.err().message.c_str());
    std::fflush(stderr);
    return false;
  }
  return true;
}

}  // namespace endure::app
