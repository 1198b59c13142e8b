#include "sinks/file_util.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "base/log.hpp"

namespace endure::sinks {

std::string replace_file(file_io& io, const std::string& path, std::string_view content) {
  const std::string tmp = path + ".tmp";
  int h = -1;
  if (auto ec = io.create(tmp, h)) return ec.message();
  size_t written = 0;
  std::error_code ec = io.write_at(h, 0, content, written);
  const std::error_code closed = io.close(h);
  if (!ec) ec = closed;
  if (ec) {
    io.remove(tmp);  // a failed replacement leaves no half file behind, visible or not
    return ec.message();
  }
  if (auto rc = io.rename(tmp, path)) {
    io.remove(tmp);
    return "rename: " + rc.message();
  }
  return {};
}

base::result<base::unit> write_file_atomic(file_io& io, const std::string& path,
                                           std::string_view content) {
  if (auto why = replace_file(io, path, content); !why.empty())
    return base::make_error("cannot write " + path + ": " + why);
  return base::unit{};
}

base::result<base::unit> write_file_atomic(const std::string& path, std::string_view content) {
  return write_file_atomic(real_file_io(), path, content);
}

std::string write_stream_whole(std::FILE* out, std::string_view text) {
  const int fd = ::fileno(out);
  if (fd < 0) {  // not backed by a descriptor (a memory or cookie stream): stdio only
    const bool ok = std::fwrite(text.data(), 1, text.size(), out) == text.size();
    if (std::fflush(out) == 0 && ok) return {};
    const std::string why = std::strerror(errno);
    std::clearerr(out);
    return why;
  }
  // Our own write(2) on the descriptor: stdio would hide how much of a failed write landed.
  if (std::fflush(out) != 0) std::clearerr(out);
  struct stat st {};
  const bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  // Where this text starts: the end of the file in append mode (>>), else the file position.
  const bool appends = regular && (::fcntl(fd, F_GETFL) & O_APPEND) != 0;
  const off_t start = !regular ? -1 : appends ? st.st_size : ::lseek(fd, 0, SEEK_CUR);
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    const std::string why = n < 0 ? std::strerror(errno) : "no space left";
    // Cut back only when the file ends exactly where our partial text ends: another writer
    // (the log, with 2>&1) may have appended meanwhile, and its lines must stay.
    struct stat after {};
    if (done > 0 && regular && start >= 0 && ::fstat(fd, &after) == 0 &&
        after.st_size == start + static_cast<off_t>(done) && ::ftruncate(fd, start) == 0)
      if (!appends) ::lseek(fd, start, SEEK_SET);
    return why;
  }
  return {};
}

append_file::append_file(file_io& io, int handle, std::string path, uint64_t size)
    : io_(&io), handle_(handle), path_(std::move(path)), size_(size) {}

append_file::~append_file() { close(); }

append_file::append_file(append_file&& o) noexcept
    : io_(std::exchange(o.io_, nullptr)),
      handle_(std::exchange(o.handle_, -1)),
      path_(std::move(o.path_)),
      size_(o.size_),
      cut_owed_(o.cut_owed_) {}

append_file& append_file::operator=(append_file&& o) noexcept {
  if (this != &o) {
    close();
    io_ = std::exchange(o.io_, nullptr);
    handle_ = std::exchange(o.handle_, -1);
    path_ = std::move(o.path_);
    size_ = o.size_;
    cut_owed_ = o.cut_owed_;
  }
  return *this;
}

std::error_code append_file::append(std::string_view records) {
  if (io_ == nullptr) return std::make_error_code(std::errc::bad_file_descriptor);
  if (cut_owed_) {
    // A partial record may still sit past size_: never write after it.
    if (auto ec = io_->truncate(handle_, size_)) return ec;
    cut_owed_ = false;
  }
  size_t written = 0;
  const std::error_code ec = io_->write_at(handle_, size_, records, written);
  if (!ec) {
    size_ += written;
    return {};
  }
  // Cut the partial record off; it also gives its blocks back to a full disk.
  if (written > 0 && io_->truncate(handle_, size_)) cut_owed_ = true;
  return ec;
}

bool append_file::is_linked() const { return io_ == nullptr || io_->is_linked(handle_); }

void append_file::close() {
  if (io_ == nullptr) return;
  if (cut_owed_) io_->truncate(handle_, size_);
  io_->close(handle_);
  io_ = nullptr;
  handle_ = -1;
}

file_health::file_health(std::string component, std::string path)
    : component_(std::move(component)), path_(std::move(path)) {}

void file_health::succeeded(std::string_view note) {
  if (failing_) {
    std::string line = path_ + ": written again after " + std::to_string(failures_) +
                       (failures_ == 1 ? " failed write" : " failed writes");
    if (!note.empty()) line += "; " + std::string(note);
    base::log_warning(component_, line);
  }
  failing_ = false;
  failures_ = 0;
  why_.clear();
}

void file_health::failed(const std::string& why, std::string_view consequence) {
  ++failures_;
  why_ = why;
  if (failing_) return;
  failing_ = true;
  std::string line = "cannot write " + path_ + ": " + why;
  if (!consequence.empty()) line += "; " + std::string(consequence);
  base::log_error(component_, line);
}

}  // namespace endure::sinks
