// Helpers for the cli unit tests: a scratch directory per test (with a locustfile.py, so the
// default locustfile is found) and read + resolve in one call.
#pragma once
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli/raw_options.hpp"

namespace endure::cli::testing {

// A fresh directory under this process's scratch root; the root is removed when the process exits.
inline std::string scratch(const std::string& name, bool with_locustfile = true) {
  struct root_dir {
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("endure-cli-unit-" + std::to_string(::getpid()));
    ~root_dir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static root_dir root;
  auto d = root.path / name;
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  if (with_locustfile) std::ofstream(d / "locustfile.py") << "# found by default\n";
  return d.string();
}

inline void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

inline base::result<options> parse(std::vector<std::string> args, const std::vector<std::string>& env,
                                   const std::string& cwd, const std::vector<extra_option>& extras = {}) {
  auto raw = read(std::move(args), env, cwd);
  if (!raw) return raw.err();
  return raw->resolve(extras);
}

// The error message of a parse that must fail ("" when it succeeded).
inline std::string error_of(const base::result<options>& r) { return r ? std::string() : r.err().message; }

}  // namespace endure::cli::testing
