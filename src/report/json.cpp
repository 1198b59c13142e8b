#include "report/json.hpp"

#include <fmt/format.h>

#include "stats/histogram.hpp"

namespace endure::report {

namespace {

nlohmann::json percentile_object(const std::array<double, 11>& p) {
  auto o = nlohmann::json::object();
  for (size_t i = 0; i < p.size(); ++i) o[stats::report_percentile_titles[i]] = p[i];
  return o;
}

}  // namespace

nlohmann::json row_json(const stats::row& r, double start_wall_s) {
  nlohmann::json j;
  j["name"] = r.name;
  j["method"] = r.method;
  j["last_request_timestamp"] =
      r.last_request_wall_s > 0 ? nlohmann::json(r.last_request_wall_s) : nlohmann::json(nullptr);
  j["start_time"] = start_wall_s;
  j["num_requests"] = r.num_requests;
  j["num_none_requests"] = 0;
  j["num_failures"] = r.num_failures;
  j["total_response_time"] = static_cast<double>(r.total_latency_us) / 1000.0;
  j["max_response_time"] = r.max_ms;
  j["min_response_time"] = r.num_requests ? nlohmann::json(r.min_ms) : nlohmann::json(nullptr);
  j["total_content_length"] = r.total_content_bytes;
  // Keys are the bucket's representative value in ms (Locust keys rounded ms the same way).
  auto rt = nlohmann::json::object();
  for (const auto& [index, count] : r.latency_buckets)
    rt[fmt::format("{}", static_cast<double>(stats::histogram::bucket_mid_us(index)) / 1000.0)] =
        count;
  j["response_times"] = std::move(rt);
  j["num_reqs_per_sec"] = nlohmann::json::object();
  j["num_fail_per_sec"] = nlohmann::json::object();
  j["percentiles"] = r.num_requests ? percentile_object(r.percentiles_ms) : nlohmann::json::object();
  j["intended_percentiles"] =
      r.num_requests ? percentile_object(r.intended_percentiles_ms) : nlohmann::json::object();
  j["avg_content_size"] = r.avg_content_bytes;
  j["avg_response_time"] = r.avg_ms;
  j["total_rps"] = r.total_rps;
  j["total_fail_per_sec"] = r.total_fail_per_s;
  return j;
}

nlohmann::json entries_json(const stats::snapshot& s, const entry_extras& extras) {
  auto a = nlohmann::json::array();
  for (const auto& r : s.rows) {
    if (!r.num_requests && !r.num_failures) continue;
    auto j = row_json(r, s.start_wall_s);
    if (extras.by_entry) {
      auto it = extras.by_entry->find({r.method, r.name});
      if (it != extras.by_entry->end()) j[extras.key] = it->second;
    }
    a.push_back(std::move(j));
  }
  return a;
}

nlohmann::json run_json(const stats::snapshot& s, const entry_extras& extras) {
  nlohmann::json j;
  j["stats"] = entries_json(s, extras);
  j["total"] = row_json(s.aggregated, s.start_wall_s);
  j["generator_cpu_warning"] = s.generator_cpu_warning;
  auto failures = nlohmann::json::array();
  for (const auto& f : s.failures)
    failures.push_back({{"method", f.method},
                        {"name", f.name},
                        {"error", f.error},
                        {"occurrences", f.occurrences},
                        {"first_seen", f.first_seen_wall_s},
                        {"last_seen", f.last_seen_wall_s}});
  j["failures"] = std::move(failures);
  auto exceptions = nlohmann::json::array();
  for (const auto& x : s.exceptions)
    exceptions.push_back({{"count", x.count},
                          {"msg", x.message},
                          {"traceback", x.traceback},
                          {"nodes", x.nodes}});
  j["exceptions"] = std::move(exceptions);
  // The load model's own counts per user class (open model, session churn).
  auto classes = nlohmann::json::array();
  for (const auto& c : s.classes)
    classes.push_back({{"user_class", c.user_class},
                       {"dropped_arrivals", c.dropped_arrivals},
                       {"sessions_started", c.sessions_started},
                       {"sessions_ended", c.sessions_ended}});
  j["user_classes"] = std::move(classes);
  j["start_time"] = s.start_wall_s;
  j["end_time"] = s.wall_s;
  j["user_count"] = s.user_count;
  j["state"] = stats::to_string(s.state);
  return j;
}

}  // namespace endure::report
