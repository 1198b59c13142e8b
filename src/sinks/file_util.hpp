// sinks file helpers on top of file_io: whole-file atomic replacement, append-only files that
// grow by whole records only, and file_health, which logs a failing file once and its recovery
// once. No snapshot knowledge here; the sinks decide what to write and when.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <system_error>

#include "base/result.hpp"
#include "sinks/file_io.hpp"

namespace endure::sinks {

// Writes PATH.tmp, then renames it over PATH: a reader sees the old or the new file, whole.
// On failure PATH.tmp is removed and PATH is untouched. Returns "" on success, else why
// ("No space left on device", "rename: Permission denied").
std::string replace_file(file_io& io, const std::string& path, std::string_view content);
// The same as a result whose message names the file: "cannot write PATH: why".
base::result<base::unit> write_file_atomic(file_io& io, const std::string& path,
                                           std::string_view content);
base::result<base::unit> write_file_atomic(const std::string& path, std::string_view content);

// Writes `text` to a stream (stdout) and flushes it. When the stream is a regular file (stdout
// redirected to a file) and the write fails part-way, the partial text is cut off again, as
// append_file does; a pipe or terminal cannot be cut back. Returns "" on success, else why.
std::string write_stream_whole(std::FILE* out, std::string_view text);

// A file that grows by whole records: append() writes all of `records` or, when the write
// fails part-way (a full disk), cuts the file back to where it was, so no later append ever
// continues a partial line. Not thread-safe; one writer.
class append_file {
 public:
  append_file() = default;
  append_file(file_io& io, int handle, std::string path, uint64_t size);
  ~append_file();
  append_file(append_file&& o) noexcept;
  append_file& operator=(append_file&& o) noexcept;
  append_file(const append_file&) = delete;
  append_file& operator=(const append_file&) = delete;

  bool is_open() const { return io_ != nullptr; }
  std::error_code append(std::string_view records);
  // False once the file was deleted under the writer (appends then go nowhere visible).
  bool is_linked() const;
  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }
  void close();

 private:
  file_io* io_ = nullptr;
  int handle_ = -1;
  std::string path_;
  uint64_t size_ = 0;      // bytes of whole records in the file
  bool cut_owed_ = false;  // a rollback failed: retry it before the next write
};

// The health of one output file, as seen by its writer: logs the first failure of a run of
// failures (not one line a second) and, once, that the file is written again.
class file_health {
 public:
  // component: the log's component ("csv"); path: the file as the user named it.
  file_health(std::string component, std::string path);
  // A write of the file succeeded. `note` is added to the recovery line when it was failing.
  void succeeded(std::string_view note = {});
  // A write failed for `why` (e.g. "No space left on device"); `consequence` says what the
  // user gets meanwhile and is logged with the first failure only.
  void failed(const std::string& why, std::string_view consequence);
  bool is_failing() const { return failing_; }
  const std::string& why() const { return why_; }
  const std::string& path() const { return path_; }
  uint64_t failures() const { return failures_; }

 private:
  std::string component_, path_, why_;
  bool failing_ = false;
  uint64_t failures_ = 0;  // failed writes in the current run of failures
};

}  // namespace endure::sinks
