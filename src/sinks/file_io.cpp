#include "sinks/file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace endure::sinks {

namespace {

std::error_code last_error() { return {errno, std::generic_category()}; }

class posix_file_io final : public file_io {
 public:
  std::error_code create(const std::string& path, int& handle) override {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return last_error();
    handle = fd;
    return {};
  }

  std::error_code write_at(int handle, uint64_t offset, std::string_view data,
                           size_t& written) override {
    written = 0;
    while (written < data.size()) {
      const ssize_t n = ::pwrite(handle, data.data() + written, data.size() - written,
                                 static_cast<off_t>(offset + written));
      if (n < 0) {
        if (errno == EINTR) continue;
        return last_error();
      }
      if (n == 0) return std::make_error_code(std::errc::no_space_on_device);
      written += static_cast<size_t>(n);
    }
    return {};
  }

  std::error_code truncate(int handle, uint64_t size) override {
    while (::ftruncate(handle, static_cast<off_t>(size)) != 0)
      if (errno != EINTR) return last_error();
    return {};
  }

  std::error_code close(int handle) override {
    // close() reports deferred write errors (NFS, some FUSE file systems); EINTR still closed.
    if (::close(handle) != 0 && errno != EINTR) return last_error();
    return {};
  }

  std::error_code rename(const std::string& from, const std::string& to) override {
    if (std::rename(from.c_str(), to.c_str()) != 0) return last_error();
    return {};
  }

  std::error_code remove(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return last_error();
    return {};
  }

  bool is_linked(int handle) override {
    struct stat st {};
    return ::fstat(handle, &st) != 0 || st.st_nlink > 0;  // unknown counts as linked
  }
};

}  // namespace

file_io::~file_io() = default;

file_io& real_file_io() {
  static posix_file_io io;
  return io;
}

}  // namespace endure::sinks
