// cppfile: turns C++ locustfiles into loaded user classes. Compiles each file once with the system
// compiler against endure's public headers into a shared object cached by content hash, then
// dlopens it. Does not run anything: the engine does.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace endure {
class LoadTestShape;
struct events;
}
namespace endure::detail {
struct class_spec;
}

namespace endure::cppfile {

struct load_options {
  std::string cache_dir;     // empty: $ENDURE_CACHE_DIR, $XDG_CACHE_HOME/endure, ~/.cache/endure
  std::string compiler;      // empty: $ENDURE_CXX, else clang++ if present, else g++
  std::string include_dir;   // empty: found next to the executable or the build's source tree
  bool verbose = false;      // log the compiler command
};

struct loaded {
  std::vector<const detail::class_spec*> classes;
  // The load shape, when a file exports one with ENDURE_SHAPE (at most one in all the files).
  std::shared_ptr<LoadTestShape> shape;
  // Each file's ENDURE_EVENTS function, in file order (called once the events object exists).
  std::vector<void (*)(events&)> event_registrars;
  std::vector<std::string> files;  // the locustfiles, in order
  bool compiled = false;           // false when every file came from the cache
};

// `spec` is Locust's -f value: a file, a directory (its *.cpp files) or a comma-separated list.
// Errors (missing file, compile error with the compiler's messages already on stderr, no
// ENDURE_USERS) come back with exit code 2.
base::result<loaded> load(const std::string& spec, const load_options& opts);

// Expands -f into the list of files (for .py detection and error messages).
base::result<std::vector<std::string>> expand_locustfile_spec(const std::string& spec);

}  // namespace endure::cppfile
