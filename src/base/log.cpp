#include "base/log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <mutex>
#include <string>

namespace endure::base {
namespace {

std::atomic<int> g_level{static_cast<int>(log_level::info)};
std::mutex g_mutex;
int g_fd = -1;              // the --logfile; -1: stderr
std::deque<std::string> g_tail;  // guarded by g_mutex: the last g_tail_max lines
size_t g_tail_max = 0;
log_file_state g_state;     // guarded by g_mutex
uint64_t g_lost_unsaid = 0;  // lines lost since the last line that reached the file

const char* level_name(log_level l) {
  switch (l) {
    case log_level::debug: return "DEBUG";
    case log_level::info: return "INFO";
    case log_level::warning: return "WARNING";
    case log_level::error: return "ERROR";
    case log_level::critical: return "CRITICAL";
    case log_level::off: return "OFF";
  }
  return "?";
}

}  // namespace

result<log_level> parse_log_level(std::string_view name) {
  std::string n(name);
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return std::toupper(c); });
  if (n == "DEBUG") return log_level::debug;
  if (n == "INFO") return log_level::info;
  if (n == "WARNING" || n == "WARN") return log_level::warning;
  if (n == "ERROR") return log_level::error;
  if (n == "CRITICAL") return log_level::critical;
  if (n == "OFF" || n == "NONE") return log_level::off;
  return make_error("invalid value '" + std::string(name) +
                    "' for --loglevel: expected DEBUG, INFO, WARNING, ERROR or CRITICAL");
}

void set_log_level(log_level level) { g_level = static_cast<int>(level); }
log_level get_log_level() { return static_cast<log_level>(g_level.load()); }

result<unit> set_log_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return make_error("cannot open --logfile '" + path + "' for writing");
  std::lock_guard lock(g_mutex);
  if (g_fd >= 0) ::close(g_fd);
  g_fd = fd;
  g_state = log_file_state{path, 0, ""};
  g_lost_unsaid = 0;
  return unit{};
}

log_file_state log_file_status() {
  std::lock_guard lock(g_mutex);
  return g_state;
}

namespace {

// Appends `text` whole or not at all (a partial line is cut off again). Holds g_mutex.
bool append_whole(const std::string& text, std::string& why) {
  struct stat st {};
  if (::fstat(g_fd, &st) != 0) {
    why = std::strerror(errno);
    return false;
  }
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(g_fd, text.data() + done, text.size() - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    why = n < 0 ? std::strerror(errno) : "no space left";
    if (done > 0 && ::ftruncate(g_fd, st.st_size) != 0) {
      // The partial line stays; end it so that the next line starts on its own.
      (void)!::write(g_fd, "\n", 1);
    }
    return false;
  }
  return true;
}

}  // namespace

void log(log_level level, std::string_view component, std::string_view message) {
  if (static_cast<int>(level) < g_level.load(std::memory_order_relaxed)) return;
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  localtime_r(&t, &tm);
  char ts[32];
  std::strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S", &tm);
  std::string line = std::string("[") + ts + "] " + level_name(level) + " [" +
                     std::string(component) + "]: " + std::string(message) + "\n";
  std::lock_guard lock(g_mutex);
  if (g_tail_max > 0) {
    if (g_tail.size() >= g_tail_max) g_tail.pop_front();
    g_tail.emplace_back(line, 0, line.size() - 1);
  }
  if (g_fd < 0) {
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
    return;
  }
  if (g_lost_unsaid > 0)
    line = std::string("[") + ts + "] ERROR [log]: " + std::to_string(g_lost_unsaid) +
           " log lines lost before this one: " + g_state.last_error + "\n" + line;
  std::string why;
  if (append_whole(line, why)) {
    if (g_lost_unsaid > 0)
      std::fprintf(stderr, "endure: --logfile %s is written again (%llu lines were lost)\n",
                   g_state.path.c_str(), static_cast<unsigned long long>(g_lost_unsaid));
    g_lost_unsaid = 0;
    return;
  }
  if (g_lost_unsaid == 0)
    std::fprintf(stderr, "endure: cannot write --logfile %s: %s; lines are lost until it can be "
                         "written again, then their count is written there\n",
                 g_state.path.c_str(), why.c_str());
  ++g_lost_unsaid;
  ++g_state.lost_lines;
  g_state.last_error = why;
}

void keep_log_tail(size_t lines) {
  std::lock_guard lock(g_mutex);
  g_tail_max = lines;
  while (g_tail.size() > g_tail_max) g_tail.pop_front();
}

std::vector<std::string> log_tail() {
  std::lock_guard lock(g_mutex);
  return {g_tail.begin(), g_tail.end()};
}

}  // namespace endure::base
