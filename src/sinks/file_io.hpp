// sinks::file_io: the few file operations the output writers use (create, positioned write,
// truncate, rename, remove), behind an interface so tests can put the writers on a fake disk
// that fills up and frees again. It holds no policy: rollback and retries live in the writers.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

namespace endure::sinks {

class file_io {
 public:
  virtual ~file_io();
  // Creates PATH (or truncates it) for writing; `handle` is set on success.
  virtual std::error_code create(const std::string& path, int& handle) = 0;
  // Writes `data` at `offset`. `written` is set to the bytes that reached the file, which may
  // be fewer than asked (a short write, then the error), exactly as the kernel does on ENOSPC.
  virtual std::error_code write_at(int handle, uint64_t offset, std::string_view data,
                                   size_t& written) = 0;
  virtual std::error_code truncate(int handle, uint64_t size) = 0;
  virtual std::error_code close(int handle) = 0;
  virtual std::error_code rename(const std::string& from, const std::string& to) = 0;
  virtual std::error_code remove(const std::string& path) = 0;
  // False once the open file has no name left (someone deleted it under the writer).
  virtual bool is_linked(int handle) = 0;
};

// The process's real files (POSIX). Thread-safe: it holds no state.
file_io& real_file_io();

}  // namespace endure::sinks
