// A fake disk for the sinks' tests: files in memory behind sinks::file_io, with a capacity that
// a test lowers to fill the disk and raises to free it. Writes beyond the capacity are short,
// then fail with ENOSPC, as the kernel's; names and open files are separate (a file deleted
// while open keeps its handle), so a test can delete a file under a writer.
#pragma once
#include <map>
#include <memory>
#include <set>
#include <string>

#include "sinks/file_io.hpp"

namespace endure::sinks::testing {

class fake_disk final : public file_io {
 public:
  explicit fake_disk(size_t capacity_bytes = size_t{1} << 30) : capacity_(capacity_bytes) {}

  // Bytes that may be stored in all files together (named or open).
  void set_capacity(size_t bytes) { capacity_ = bytes; }
  // The disk is full from now on: not one more byte fits.
  void fill() { capacity_ = used(); }
  void free_space() { capacity_ = size_t{1} << 30; }
  // The Nth rename from now on fails with EIO (1: the next one); 0: none.
  void fail_rename(int nth) { rename_countdown_ = nth; }

  size_t used() const {
    std::set<const std::string*> seen;
    size_t n = 0;
    for (const auto& [name, f] : names_)
      if (seen.insert(f.get()).second) n += f->size();
    for (const auto& [h, f] : open_)
      if (seen.insert(f.get()).second) n += f->size();
    return n;
  }
  bool exists(const std::string& path) const { return names_.count(path) > 0; }
  std::string read(const std::string& path) const {
    auto it = names_.find(path);
    return it == names_.end() ? std::string() : *it->second;
  }
  std::set<std::string> names() const {
    std::set<std::string> out;
    for (const auto& [name, f] : names_) out.insert(name);
    return out;
  }
  size_t open_files() const { return open_.size(); }
  // Puts a file on the disk directly (e.g. one from an earlier run).
  void put(const std::string& path, std::string content) {
    names_[path] = std::make_shared<std::string>(std::move(content));
  }

  std::error_code create(const std::string& path, int& handle) override {
    if (path.starts_with("missing/"))
      return std::make_error_code(std::errc::no_such_file_or_directory);
    auto& f = names_[path];
    if (f)
      f->clear();  // O_TRUNC: the same file, emptied
    else
      f = std::make_shared<std::string>();
    handle = next_handle_++;
    open_[handle] = f;
    return {};
  }

  std::error_code write_at(int handle, uint64_t offset, std::string_view data,
                           size_t& written) override {
    written = 0;
    auto it = open_.find(handle);
    if (it == open_.end()) return std::make_error_code(std::errc::bad_file_descriptor);
    std::string& f = *it->second;
    const size_t used_now = used();
    const size_t free_bytes = capacity_ > used_now ? capacity_ - used_now : 0;
    const size_t end = static_cast<size_t>(offset) + data.size();
    // Bytes past the end of the file need room; bytes inside it do not.
    size_t fits = data.size();
    if (end > f.size() && end - f.size() > free_bytes)
      fits =
          f.size() + free_bytes > offset ? f.size() + free_bytes - static_cast<size_t>(offset) : 0;
    if (f.size() < offset + fits) f.resize(static_cast<size_t>(offset) + fits, '\0');
    f.replace(static_cast<size_t>(offset), fits, data.substr(0, fits));
    written = fits;
    if (fits < data.size()) return std::make_error_code(std::errc::no_space_on_device);
    return {};
  }

  std::error_code truncate(int handle, uint64_t size) override {
    auto it = open_.find(handle);
    if (it == open_.end()) return std::make_error_code(std::errc::bad_file_descriptor);
    it->second->resize(static_cast<size_t>(size), '\0');
    return {};
  }

  std::error_code close(int handle) override {
    return open_.erase(handle) ? std::error_code()
                               : std::make_error_code(std::errc::bad_file_descriptor);
  }

  std::error_code rename(const std::string& from, const std::string& to) override {
    if (rename_countdown_ > 0 && --rename_countdown_ == 0)
      return std::make_error_code(std::errc::io_error);
    auto it = names_.find(from);
    if (it == names_.end()) return std::make_error_code(std::errc::no_such_file_or_directory);
    auto f = it->second;
    names_.erase(it);
    names_[to] = std::move(f);
    return {};
  }

  std::error_code remove(const std::string& path) override {
    return names_.erase(path) ? std::error_code()
                              : std::make_error_code(std::errc::no_such_file_or_directory);
  }

  bool is_linked(int handle) override {
    auto it = open_.find(handle);
    if (it == open_.end()) return false;
    for (const auto& [name, f] : names_)
      if (f == it->second) return true;
    return false;
  }

 private:
  size_t capacity_;
  std::map<std::string, std::shared_ptr<std::string>> names_;
  std::map<int, std::shared_ptr<std::string>> open_;
  int next_handle_ = 3;
  int rename_countdown_ = 0;
};

}  // namespace endure::sinks::testing
