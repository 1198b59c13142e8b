// store time text: Unix seconds as ISO-8601 UTC for the store's *_utc columns and file names.
// Pure (gmtime_r only); the report module has its own for reports (store must not include it).
#pragma once
#include <cmath>
#include <ctime>
#include <string>

namespace endure::store {

// 2026-12-01T09:00:00Z (second precision, rounded down); "" for 0.
inline std::string iso_utc(double wall_s) {
  if (wall_s <= 0) return {};
  const auto t = static_cast<time_t>(std::floor(wall_s));
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// 2026-12-01T09-00-00Z: the same, safe in a file name on every system.
inline std::string file_stamp_utc(double wall_s) {
  std::string s = iso_utc(wall_s);
  for (auto& c : s)
    if (c == ':') c = '-';
  return s;
}

}  // namespace endure::store
