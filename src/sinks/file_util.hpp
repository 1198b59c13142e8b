// sinks file helpers: whole-file atomic replacement (write PATH.tmp, then rename over PATH).
#pragma once
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace endure::sinks {

base::result<base::unit> write_file_atomic(const std::string& path, std::string_view content);

}  // namespace endure::sinks
