#include "base/log.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace endure::base {
namespace {

std::atomic<int> g_level{static_cast<int>(log_level::info)};
std::mutex g_mutex;
std::FILE* g_file = nullptr;  // nullptr: stderr

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
  std::FILE* f = std::fopen(path.c_str(), "a");
  if (!f) return make_error("cannot open --logfile '" + path + "' for writing");
  std::lock_guard lock(g_mutex);
  if (g_file) std::fclose(g_file);
  g_file = f;
  return unit{};
}

void log(log_level level, std::string_view component, std::string_view message) {
  if (static_cast<int>(level) < g_level.load(std::memory_order_relaxed)) return;
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  localtime_r(&t, &tm);
  char ts[32];
  std::strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S", &tm);
  std::lock_guard lock(g_mutex);
  std::FILE* out = g_file ? g_file : stderr;
  std::fprintf(out, "[%s] %s [%.*s]: %.*s\n", ts, level_name(level),
               static_cast<int>(component.size()), component.data(),
               static_cast<int>(message.size()), message.data());
  std::fflush(out);
}

}  // namespace endure::base
