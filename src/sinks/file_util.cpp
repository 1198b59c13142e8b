#include "sinks/file_util.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "sinks/sink.hpp"

namespace endure::sinks {

sink::~sink() = default;

base::result<base::unit> write_file_atomic(const std::string& path, std::string_view content) {
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr)
    return base::make_error("cannot write " + tmp + ": " + std::strerror(errno));
  const bool ok = std::fwrite(content.data(), 1, content.size(), f) == content.size();
  const int err = errno;
  if (std::fclose(f) != 0 || !ok) {
    std::remove(tmp.c_str());
    return base::make_error("cannot write " + tmp + ": " + std::strerror(ok ? errno : err));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    return base::make_error("cannot rename " + tmp + " to " + path + ": " + why);
  }
  return base::unit{};
}

}  // namespace endure::sinks
