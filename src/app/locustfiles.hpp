// app locustfiles: turns -f into an engine::locustfile: Python files to python::program, C++ files
// to cppfile (compiled once, cached). The only place that looks at a locustfile's language.
#pragma once
#include <memory>
#include <string>

#include "base/result.hpp"
#include "engine/locustfile.hpp"

namespace endure::app {

base::result<std::unique_ptr<engine::locustfile>> open_locustfile(const std::string& spec);
// True when -f names Python locustfiles (they may add options of their own).
bool is_python_locustfile(const std::string& spec);

}  // namespace endure::app
