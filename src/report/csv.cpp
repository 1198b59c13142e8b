#include "report/csv.hpp"

#include <cmath>
#include <cstdio>
#include <vector>

#include "report/format.hpp"

namespace endure::report {

namespace {

void add_percentiles(std::vector<std::string>& f, const std::array<double, 11>& p, bool na) {
  for (double v : p) f.push_back(na ? "N/A" : format_ms(v));
}

}  // namespace

std::string stats_csv_header() {
  std::vector<std::string> h = {"Type",
                                "Name",
                                "Request Count",
                                "Failure Count",
                                "Median Response Time",
                                "Average Response Time",
                                "Min Response Time",
                                "Max Response Time",
                                "Average Content Size",
                                "Requests/s",
                                "Failures/s"};
  for (const char* t : stats::report_percentile_titles) h.emplace_back(t);
  return csv_record(h);
}

std::string stats_csv(const stats::snapshot& s) {
  std::string out = stats_csv_header();
  auto add = [&out](const stats::row& r) {
    std::vector<std::string> f = {r.method,
                                  r.name,
                                  std::to_string(r.num_requests),
                                  std::to_string(r.num_failures),
                                  format_ms(r.median_ms),
                                  format_ms(r.avg_ms),
                                  format_ms(r.min_ms),
                                  format_ms(r.max_ms),
                                  format_number(r.avg_content_bytes),
                                  format_rate(r.total_rps),
                                  format_rate(r.total_fail_per_s)};
    add_percentiles(f, r.percentiles_ms, r.num_requests == 0);
    out += csv_record(f);
  };
  for (const auto& r : s.rows) add(r);
  add(s.aggregated);
  return out;
}

std::string history_csv_header() {
  std::vector<std::string> h = {"Timestamp", "User Count", "Type", "Name", "Requests/s",
                                "Failures/s"};
  for (const char* t : stats::report_percentile_titles) h.emplace_back(t);
  for (const char* t : {"Total Request Count", "Total Failure Count", "Total Median Response Time",
                        "Total Average Response Time", "Total Min Response Time",
                        "Total Max Response Time", "Total Average Content Size"})
    h.emplace_back(t);
  return csv_record(h);
}

std::string users_csv_header() {
  return csv_record({"Timestamp", "User Class", "Users", "Dropped Arrivals", "Sessions Started",
                     "Sessions Ended"});
}

std::string users_csv_rows(const stats::snapshot& s) {
  std::string out;
  const auto timestamp = std::to_string(static_cast<int64_t>(std::floor(s.row_time_s())));
  for (const auto& [cls, users] : s.user_count_by_class) {
    uint64_t dropped = 0, started = 0, ended = 0;
    for (const auto& c : s.classes)
      if (c.user_class == cls) {
        dropped = c.interval_dropped_arrivals;
        started = c.interval_sessions_started;
        ended = c.interval_sessions_ended;
      }
    out += csv_record({timestamp, cls, std::to_string(users), std::to_string(dropped),
                       std::to_string(started), std::to_string(ended)});
  }
  return out;
}

std::string monitor_csv_header() { return csv_record({"Timestamp", "Source", "Metric", "Value"}); }

std::string format_sample_value(double v) {
  if (!std::isfinite(v)) return std::isnan(v) ? "NaN" : (v > 0 ? "+Inf" : "-Inf");
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<int64_t>(v));
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

std::string monitor_csv_rows(const stats::snapshot& s) {
  std::string out;
  const auto timestamp = std::to_string(static_cast<int64_t>(std::floor(s.row_time_s())));
  for (const auto& m : s.monitor) out += csv_record({timestamp, m.source, m.metric, format_sample_value(m.value)});
  return out;
}

std::string history_csv_rows(const stats::snapshot& s, bool full_history) {
  std::string out;
  const auto timestamp = std::to_string(static_cast<int64_t>(std::floor(s.row_time_s())));
  const auto users = std::to_string(s.user_count);
  auto add = [&](const stats::row& r) {
    std::vector<std::string> f = {timestamp, users, r.method, r.name,
                                  format_rate(r.current_rps), format_rate(r.current_fail_per_s)};
    add_percentiles(f, r.current_percentiles_ms, r.current_requests == 0);
    f.push_back(std::to_string(r.num_requests));
    f.push_back(std::to_string(r.num_failures));
    f.push_back(format_ms(r.median_ms));
    f.push_back(format_ms(r.avg_ms));
    f.push_back(format_ms(r.min_ms));
    f.push_back(format_ms(r.max_ms));
    f.push_back(format_number(r.avg_content_bytes));
    out += csv_record(f);
  };
  if (full_history)
    for (const auto& r : s.rows) add(r);
  add(s.aggregated);
  return out;
}

std::string failures_csv(const stats::snapshot& s) {
  std::string out =
      csv_record({"Method", "Name", "Error", "Occurrences", "First Seen", "Last Seen"});
  for (const auto& f : s.failures)
    out += csv_record({f.method, f.name, f.error, std::to_string(f.occurrences),
                       format_iso8601_utc(f.first_seen_wall_s),
                       format_iso8601_utc(f.last_seen_wall_s)});
  return out;
}

std::string exceptions_csv(const stats::snapshot& s) {
  std::string out = csv_record({"Count", "Message", "Traceback", "Nodes"});
  for (const auto& x : s.exceptions)
    out += csv_record({std::to_string(x.count), x.message, x.traceback, x.nodes});
  return out;
}

}  // namespace endure::report
