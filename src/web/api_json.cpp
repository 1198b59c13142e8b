#include "web/api_json.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

namespace endure::web {
namespace {

using nlohmann::json;

double pct(const std::array<double, 11>& p, double q) {
  for (size_t i = 0; i < stats::report_percentiles.size(); ++i)
    if (std::abs(stats::report_percentiles[i] - q) < 1e-9) return p[i];
  return 0;
}

json row_json(const stats::row& r) {
  const bool agg = r.name == "Aggregated" && r.method.empty();
  json j = {{"method", r.method},
            {"name", r.name},
            {"safe_name", r.name},
            {"num_requests", r.num_requests},
            {"num_failures", r.num_failures},
            {"min_response_time", r.num_requests ? r.min_ms : 0.0},
            {"max_response_time", r.max_ms},
            {"current_rps", r.current_rps},
            {"current_fail_per_sec", r.current_fail_per_s},
            {"avg_response_time", r.avg_ms},
            {"median_response_time", r.median_ms},
            {"ninetieth_response_time", pct(r.percentiles_ms, 0.90)},
            {"ninety_ninth_response_time", pct(r.percentiles_ms, 0.99)},
            {"response_time_percentile_0.95", pct(r.percentiles_ms, 0.95)},
            {"response_time_percentile_0.99", pct(r.percentiles_ms, 0.99)},
            {"total_rps", r.total_rps},
            {"total_fail_per_sec", r.total_fail_per_s},
            {"avg_content_length", r.avg_content_bytes}};
  // endure's: every report percentile, and the intended-start (coordinated omission corrected)
  // ones where pacing applied.
  json p = json::object(), ip = json::object();
  bool intended_differs = false;
  for (size_t i = 0; i < stats::report_percentiles.size(); ++i) {
    char key[16];
    std::snprintf(key, sizeof key, "%g", stats::report_percentiles[i]);
    p[key] = r.percentiles_ms[i];
    ip[key] = r.intended_percentiles_ms[i];
    if (r.intended_percentiles_ms[i] != r.percentiles_ms[i]) intended_differs = true;
  }
  j["percentiles"] = std::move(p);
  if (intended_differs) j["intended_percentiles"] = std::move(ip);
  if (agg) j["method"] = nullptr;
  return j;
}

}  // namespace

std::string stats_requests_json(const stats::snapshot* s, const live_state& live) {
  json stats = json::array(), errors = json::array();
  json total;
  if (s) {
    size_t n = 0;
    for (const auto& r : s->rows) {
      if (n++ == max_stats_rows) break;
      stats.push_back(row_json(r));
    }
    total = row_json(s->aggregated);
    stats.push_back(total);
    n = 0;
    for (const auto& f : s->failures) {
      if (n++ == max_stats_rows) break;
      errors.push_back({{"method", f.method}, {"name", f.name}, {"error", f.error},
                        {"occurrences", f.occurrences}, {"first_seen", f.first_seen_wall_s},
                        {"last_seen", f.last_seen_wall_s}});
    }
  } else {
    total = row_json(stats::row{.name = "Aggregated"});
    stats.push_back(total);
  }
  const stats::row empty{};
  const stats::row& a = s ? s->aggregated : empty;
  json j = {{"stats", std::move(stats)},
            {"errors", std::move(errors)},
            // Locust's UI shows total_rps as the live rate (2.12.1: the Aggregated current_rps).
            {"total_rps", a.current_rps},
            {"total_fail_per_sec", a.current_fail_per_s},
            {"current_rps", a.current_rps},
            {"current_fail_per_sec", a.current_fail_per_s},
            {"fail_ratio", a.num_requests ? static_cast<double>(a.num_failures) / static_cast<double>(a.num_requests) : 0.0},
            {"current_response_time_percentile_50", s && a.current_requests ? json(a.current_percentiles_ms[0]) : json(nullptr)},
            {"current_response_time_percentile_95", s && a.current_requests ? json(pct(a.current_percentiles_ms, 0.95)) : json(nullptr)},
            {"state", stats::to_string(live.state)},
            {"user_count", live.user_count},
            {"host", live.host}};
  j["current_response_time_percentiles"] = {
      {"response_time_percentile_0.5", j["current_response_time_percentile_50"]},
      {"response_time_percentile_0.95", j["current_response_time_percentile_95"]}};
  json by_class = json::object();
  if (s)
    for (const auto& [c, n] : s->user_count_by_class) by_class[c] = n;
  j["user_count_by_class"] = std::move(by_class);
  if (live.distributed) {
    // Locust's master: each worker's id, state, users, CPU (% of a core) and memory (bytes).
    json workers = json::array();
    for (const auto& w : live.workers)
      workers.push_back({{"id", w.id}, {"state", w.state}, {"user_count", w.user_count},
                         {"cpu_usage", w.cpu_percent}, {"memory_usage", w.memory_bytes},
                         {"last_heard_s", std::round(w.last_heard_s * 10) / 10}});  // endure's
    j["workers"] = std::move(workers);
    j["worker_count"] = live.workers.size();
  }
  // endure's: the whole-run rates, the test's start and the snapshot's time.
  j["endure"] = {{"whole_run_rps", a.total_rps},
                 {"whole_run_fail_per_sec", a.total_fail_per_s},
                 {"start_time", s ? s->start_wall_s : 0.0},
                 {"test_start_time", s ? s->test_start_wall_s : 0.0},
                 {"time", s ? s->wall_s : 0.0},
                 {"peak_user_count", s ? s->peak_user_count : 0},
                 {"generator_cpu_percent", s ? s->generator_cpu_percent : 0.0},
                 {"generator_cpu_warning", s ? s->generator_cpu_warning : false}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

namespace {

// A task table of Locust's /tasks (name: {"ratio", ["tasks"]}) with each ratio relative to its
// parent, scaled to the whole test: every ratio times its parent's total ratio.
nlohmann::ordered_json total_tasks(const nlohmann::ordered_json& per_class, double parent) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& [name, t] : per_class.items()) {
    const double r = (t.contains("ratio") && t["ratio"].is_number() ? t["ratio"].get<double>() : 0.0) * parent;
    nlohmann::ordered_json entry = {{"ratio", r}};
    if (t.contains("tasks") && t["tasks"].is_object()) entry["tasks"] = total_tasks(t["tasks"], r);
    out[name] = std::move(entry);
  }
  return out;
}

}  // namespace

std::string tasks_json_now(const std::string& planned, const stats::snapshot* s) {
  uint64_t users = 0;
  if (s)
    for (const auto& [c, n] : s->user_count_by_class) users += n;
  if (users == 0) return planned;
  auto j = nlohmann::ordered_json::parse(planned, nullptr, false);
  if (j.is_discarded() || !j.contains("per_class") || !j["per_class"].is_object()) return planned;
  nlohmann::ordered_json total = nlohmann::ordered_json::object();
  for (auto& [name, c] : j["per_class"].items()) {
    uint64_t n = 0;
    for (const auto& [k, v] : s->user_count_by_class)
      if (k == name) n = v;
    const double share = static_cast<double>(n) / static_cast<double>(users);
    c["ratio"] = share;
    const auto tasks = c.contains("tasks") && c["tasks"].is_object() ? c["tasks"] : nlohmann::ordered_json::object();
    total[name] = {{"ratio", share}, {"tasks", total_tasks(tasks, share)}};
  }
  j["total"] = std::move(total);
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string exceptions_json(const stats::snapshot* s) {
  json list = json::array();
  if (s)
    for (const auto& e : s->exceptions)
      list.push_back({{"count", e.count}, {"msg", e.message}, {"traceback", e.traceback}, {"nodes", e.nodes}});
  return json{{"exceptions", std::move(list)}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string history_json(const std::vector<history_point>& points, double from_s, double to_s, double level_s) {
  const double first = points.empty() ? 0 : points.front().start_s, last = points.empty() ? 0 : points.back().end_s;
  return history_json(history::chart(points), from_s, to_s, level_s, "memory", first, last);
}

std::string history_json(const std::vector<report::chart_point>& points, double from_s, double to_s, double level_s,
                         const char* source, double run_first_s, double run_last_s,
                         const std::pair<std::string, std::string>* entry,
                         const std::vector<monitor_line>* monitor) {
  json list = json::array();
  auto num = [](double v) { return std::isfinite(v) ? json(std::round(v * 1000) / 1000) : json(nullptr); };
  for (const auto& c : points)
    list.push_back({{"t", c.wall_s}, {"rps", num(c.rps)}, {"fail_per_s", num(c.fail_per_s)},
                    {"p50", num(c.p50_ms)}, {"p90", num(c.p90_ms)}, {"p95", num(c.p95_ms)}, {"p99", num(c.p99_ms)},
                    {"p999", num(c.p999_ms)},
                    {"users", num(c.users)}});
  json j{{"from", from_s},         {"to", to_s},
         {"level_s", level_s},     {"source", source},
         {"run_first", run_first_s}, {"run_last", run_last_s},
         {"points", std::move(list)}};
  if (entry) j["entry"] = {{"method", entry->first}, {"name", entry->second}};
  if (monitor) {
    json lines = json::array();
    for (const auto& m : *monitor) {
      json pts = json::array();
      for (const auto& [t, v] : m.points) pts.push_back({t, num(v)});
      lines.push_back({{"source", m.source}, {"metric", m.metric}, {"points", std::move(pts)}});
    }
    j["monitor"] = std::move(lines);
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace endure::web
