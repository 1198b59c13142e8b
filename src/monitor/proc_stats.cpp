#include "monitor/proc_stats.hpp"

#include <dirent.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

namespace endure::monitor {
namespace {

bool read_text(const std::string &path, std::string &out) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

bool to_u64(std::string_view s, uint64_t &v) {
  if (s.empty())
    return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && end == s.data() + s.size();
}

bool all_digits(const char *s) {
  if (*s == '\0')
    return false;
  for (; *s; ++s)
    if (*s < '0' || *s > '9')
      return false;
  return true;
}

} // namespace

std::optional<proc_stat> parse_proc_stat(std::string_view text) {
  // "pid (comm) state ppid ...": comm is everything between the first '(' and
  // the last ')'.
  const auto open = text.find('(');
  const auto close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos ||
      close < open)
    return std::nullopt;
  proc_stat st;
  st.comm = std::string(text.substr(open + 1, close - open - 1));
  // Fields after ')', numbered from 3 (state) as in proc(5).
  std::vector<std::string_view> f;
  size_t i = close + 1;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\n'))
      ++i;
    size_t j = i;
    while (j < text.size() && text[j] != ' ' && text[j] != '\n')
      ++j;
    if (j > i)
      f.push_back(text.substr(i, j - i));
    i = j;
  }
  auto field = [&](size_t number, uint64_t &v) {
    return number - 3 < f.size() && to_u64(f[number - 3], v);
  };
  if (!field(14, st.utime_ticks) || !field(15, st.stime_ticks) ||
      !field(20, st.threads) || !field(22, st.start_ticks) ||
      !field(24, st.rss_pages))
    return std::nullopt;
  return st;
}

std::optional<proc_io> parse_proc_io(std::string_view text) {
  proc_io io;
  bool have_read = false, have_write = false;
  size_t i = 0;
  while (i < text.size()) {
    size_t nl = text.find('\n', i);
    if (nl == std::string_view::npos)
      nl = text.size();
    std::string_view line = text.substr(i, nl - i);
    i = nl + 1;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos)
      continue;
    std::string_view key = line.substr(0, colon),
                     value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ')
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\r'))
      value.remove_suffix(1);
    if (key == "read_bytes")
      have_read = to_u64(value, io.read_bytes);
    if (key == "write_bytes")
      have_write = to_u64(value, io.write_bytes);
  }
  if (!have_read || !have_write)
    return std::nullopt;
  return io;
}

base::result<process_reading> read_process(const std::string &proc_root,
                                           int pid) {
  const std::string dir = proc_root + "/" + std::to_string(pid);
  std::string text;
  if (!read_text(dir + "/stat", text))
    return base::make_error("process " + std::to_string(pid) +
                            " does not exist");
  auto st = parse_proc_stat(text);
  if (!st)
    return base::make_error(dir + "/stat: unexpected format");
  process_reading r;
  r.stat = std::move(*st);
  if (read_text(dir + "/io", text))
    r.io = parse_proc_io(text);
  if (DIR *d = opendir((dir + "/fd").c_str())) {
    uint64_t n = 0;
    while (dirent *e = readdir(d))
      if (e->d_name[0] != '.')
        ++n;
    closedir(d);
    r.fds = n;
  }
  return r;
}

std::vector<int> find_processes(const std::string &proc_root,
                                const std::string &name, int except_pid) {
  std::vector<int> found;
  DIR *d = opendir(proc_root.c_str());
  if (d == nullptr)
    return found;
  while (dirent *e = readdir(d)) {
    if (!all_digits(e->d_name))
      continue;
    const int pid = std::atoi(e->d_name);
    if (pid == except_pid)
      continue;
    const std::string dir = proc_root + "/" + e->d_name;
    std::string comm, cmdline;
    if (read_text(dir + "/comm", comm)) {
      while (!comm.empty() && comm.back() == '\n')
        comm.pop_back();
      if (comm == name) {
        found.push_back(pid);
        continue;
      }
    }
    if (read_text(dir + "/cmdline", cmdline) && !cmdline.empty()) {
      std::string argv0 = cmdline.substr(0, cmdline.find('\0'));
      const auto slash = argv0.rfind('/');
      if (slash != std::string::npos)
        argv0 = argv0.substr(slash + 1);
      if (argv0 == name)
        found.push_back(pid);
    }
  }
  closedir(d);
  std::sort(found.begin(), found.end());
  return found;
}

base::result<disk_reading> read_disk(const std::string &path) {
  struct statvfs s {};
  if (statvfs(path.c_str(), &s) != 0)
    return base::make_error(path + ": " + std::strerror(errno));
  disk_reading r;
  r.free_bytes = static_cast<uint64_t>(s.f_bavail) * s.f_frsize;
  r.total_bytes = static_cast<uint64_t>(s.f_blocks) * s.f_frsize;
  return r;
}

} // namespace endure::monitor
