#include "exports/influx_lines.hpp"

#include <cmath>
#include <cstdio>

#include "stats/sparse.hpp"

namespace endure::exports {
namespace {

std::string field(double v) {
  if (!std::isfinite(v))
    return "0";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}
std::string integer(uint64_t v) { return std::to_string(v) + "i"; }

} // namespace

std::string influx_escape_measurement(const std::string &s) {
  std::string out;
  for (char c : s) {
    if (c == ',' || c == ' ')
      out += '\\';
    if (c == '\n') {
      out += ' ';
      continue;
    }
    out += c;
  }
  return out;
}

std::string influx_escape_tag(const std::string &s) {
  if (s.empty())
    return "(empty)";
  std::string out;
  for (char c : s) {
    if (c == ',' || c == '=' || c == ' ')
      out += '\\';
    if (c == '\n' || c == '\r') {
      out += "\\ ";
      continue;
    }
    out += c;
  }
  // A trailing backslash would escape the separator that follows.
  if (!out.empty() && out.back() == '\\')
    out += ' ';
  return out;
}

std::string influx_lines(const stats::interval_record &r,
                         const influx_tags &tags, size_t &points) {
  std::string common;
  for (const auto &[k, v] : tags.common)
    common += "," + influx_escape_tag(k) + "=" + influx_escape_tag(v);
  common += ",node=" + influx_escape_tag(r.node);
  const auto ts =
      " " +
      std::to_string(static_cast<int64_t>(std::llround(r.end_wall_s * 1000))) +
      "\n";
  const double len_s = std::max(1e-3, r.end_wall_s - r.start_wall_s);
  std::string out;
  points = 0;
  for (const auto &e : r.data.entries) {
    out += "endure_requests" + common +
           ",method=" + influx_escape_tag(e.method) +
           ",name=" + influx_escape_tag(e.name) +
           " requests=" + integer(e.requests) +
           ",failures=" + integer(e.failures) +
           ",rps=" + field(static_cast<double>(e.requests) / len_s) +
           ",bytes=" + integer(e.content_bytes);
    if (e.requests > 0) {
      static const double qs[] = {0.5, 0.9, 0.95, 0.99, 0.999};
      uint64_t q_us[5] = {};
      stats::sparse_quantiles(e.latency, e.min_us, e.max_us, qs, 5, q_us);
      out += ",min=" + field(static_cast<double>(e.min_us) / 1000) +
             ",max=" + field(static_cast<double>(e.max_us) / 1000) + ",mean=" +
             field(static_cast<double>(e.sum_us) / 1000 /
                   static_cast<double>(e.requests)) +
             ",p50=" + field(static_cast<double>(q_us[0]) / 1000) +
             ",p90=" + field(static_cast<double>(q_us[1]) / 1000) +
             ",p95=" + field(static_cast<double>(q_us[2]) / 1000) +
             ",p99=" + field(static_cast<double>(q_us[3]) / 1000) +
             ",p999=" + field(static_cast<double>(q_us[4]) / 1000);
    }
    out += ts;
    ++points;
  }
  for (const auto &f : r.data.failures) {
    out += "endure_errors" + common + ",method=" + influx_escape_tag(f.method) +
           ",name=" + influx_escape_tag(f.name) +
           ",error=" + influx_escape_tag(f.error) +
           " failures=" + integer(f.count) + ts;
    ++points;
  }
  out += "endure_users" + common +
         ",class=(all) users=" + integer(r.user_count) + ts;
  ++points;
  for (const auto &[cls, n] : r.users_by_class) {
    out += "endure_users" + common + ",class=" + influx_escape_tag(cls) +
           " users=" + integer(n) + ts;
    ++points;
  }
  out += "endure_generator" + common +
         " cpu_percent=" + field(r.health.cpu_percent) +
         ",rss_bytes=" + integer(r.health.rss_bytes) +
         ",loop_lag_ms=" + field(r.health.loop_lag_ms) + ts;
  ++points;
  for (const auto &m : r.monitor) {
    if (!std::isfinite(m.value))
      continue;
    out += "endure_monitor" + common +
           ",source=" + influx_escape_tag(m.source) +
           ",metric=" + influx_escape_tag(m.metric) +
           " value=" + field(m.value) + ts;
    ++points;
  }
  return out;
}

} // namespace endure::exports
