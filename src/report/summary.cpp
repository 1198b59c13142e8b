#include "report/summary.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include "base/result.hpp"
#include "report/format.hpp"
#include "report/verdict.hpp"

namespace endure::report {
namespace {

using ojson = nlohmann::ordered_json;

ojson number(double v) { return std::isfinite(v) ? ojson(v) : ojson(nullptr); }
ojson time_or_null(double wall_s) { return wall_s > 0 ? ojson(wall_s) : ojson(nullptr); }
ojson iso_or_null(double wall_s) {
  return wall_s > 0 ? ojson(format_iso8601_utc(wall_s)) : ojson(nullptr);
}

ojson percentiles(const std::array<double, 11>& values) {
  ojson j = ojson::object();
  for (size_t i = 0; i < values.size(); ++i) j[stats::report_percentile_titles[i]] = values[i];
  return j;
}

ojson entry(const stats::row& r) {
  const bool any = r.num_requests > 0;
  ojson j;
  j["method"] = r.method;
  j["name"] = r.name;
  j["requests"] = r.num_requests;
  j["failures"] = r.num_failures;
  j["fail_ratio"] = any ? static_cast<double>(r.num_failures) / static_cast<double>(r.num_requests) : 0.0;
  j["rps"] = r.total_rps;
  j["fail_per_s"] = r.total_fail_per_s;
  j["avg_ms"] = any ? ojson(r.avg_ms) : ojson(nullptr);
  j["min_ms"] = any ? ojson(r.min_ms) : ojson(nullptr);
  j["max_ms"] = any ? ojson(r.max_ms) : ojson(nullptr);
  j["median_ms"] = any ? ojson(r.median_ms) : ojson(nullptr);
  j["avg_content_bytes"] = r.avg_content_bytes;
  j["total_content_bytes"] = r.total_content_bytes;
  j["first_request_time"] = time_or_null(r.first_request_wall_s);
  j["last_request_time"] = time_or_null(r.last_request_wall_s);
  j["percentiles_ms"] = any ? percentiles(r.percentiles_ms) : ojson(nullptr);
  // From the intended send time: only where pacing made them differ (else null: they are the
  // same as percentiles_ms).
  j["intended_percentiles_ms"] =
      any && r.intended_percentiles_ms != r.percentiles_ms ? percentiles(r.intended_percentiles_ms)
                                                           : ojson(nullptr);
  return j;
}

const char* status_name(analysis::threshold_status s) {
  switch (s) {
    case analysis::threshold_status::passed: return "passed";
    case analysis::threshold_status::failed: return "failed";
    case analysis::threshold_status::no_data: break;
  }
  return "no_data";
}

}  // namespace

const char* exit_code_name(int code) {
  switch (static_cast<base::exit_code>(code)) {
    case base::exit_code::ok: return "ok";
    case base::exit_code::failures: return "failures";
    case base::exit_code::usage: return "usage";
    case base::exit_code::thresholds: return "thresholds";
    case base::exit_code::outputs_incomplete: return "outputs_incomplete";
    case base::exit_code::stuck: return "stuck_users";
    case base::exit_code::internal: return "internal";
  }
  return "other";
}

std::string summary_json(const summary_input& in) {
  ojson doc;
  doc["schema"] = summary_schema;
  doc["endure_version"] = in.endure_version;
  doc["source"] = in.source;

  ojson run;
  run["run_id"] = in.run_id.empty() ? ojson(nullptr) : ojson(in.run_id);
  run["store"] = in.store_path.empty() ? ojson(nullptr) : ojson(in.store_path);
  run["locustfile"] = in.locustfile;
  run["host"] = in.host;
  run["start_time"] = time_or_null(in.start_wall_s);
  run["start_iso"] = iso_or_null(in.start_wall_s);
  run["ended"] = in.ended;
  run["end_time"] = in.ended ? time_or_null(in.end_wall_s) : ojson(nullptr);
  run["end_iso"] = in.ended ? iso_or_null(in.end_wall_s) : ojson(nullptr);
  run["duration_s"] =
      in.ended && in.end_wall_s > 0 && in.start_wall_s > 0 ? ojson(in.end_wall_s - in.start_wall_s) : ojson(nullptr);
  run["end_reason"] = in.end_reason;
  run["exit_code"] = in.exit_code ? ojson(*in.exit_code) : ojson(nullptr);
  run["exit_code_name"] = in.exit_code ? ojson(exit_code_name(*in.exit_code)) : ojson(nullptr);
  run["exit_reasons"] = in.exit_reasons;
  if (in.totals) {
    run["peak_users"] = in.totals->peak_user_count;
    run["users_at_end"] = in.totals->user_count;
  } else {
    run["peak_users"] = nullptr;
    run["users_at_end"] = nullptr;
  }
  doc["run"] = std::move(run);

  ojson totals;
  if (in.totals) {
    const auto& s = *in.totals;
    totals["window"] = in.window;
    totals["aggregated"] = entry(s.aggregated);
    ojson entries = ojson::array();
    for (const auto& r : s.rows) entries.push_back(entry(r));
    totals["entries"] = std::move(entries);
    ojson failures = ojson::array();
    for (const auto& f : s.failures)
      failures.push_back({{"method", f.method},
                          {"name", f.name},
                          {"error", f.error},
                          {"occurrences", f.occurrences},
                          {"first_seen", time_or_null(f.first_seen_wall_s)},
                          {"last_seen", time_or_null(f.last_seen_wall_s)}});
    totals["failures"] = std::move(failures);
    ojson exceptions = ojson::array();
    for (const auto& x : s.exceptions)
      exceptions.push_back(
          {{"count", x.count}, {"message", x.message}, {"traceback", x.traceback}, {"nodes", x.nodes}});
    totals["exceptions"] = std::move(exceptions);
    uint64_t dropped = 0;
    ojson classes = ojson::array();
    for (const auto& c : s.classes) {
      dropped += c.dropped_arrivals;
      classes.push_back({{"user_class", c.user_class},
                         {"dropped_arrivals", c.dropped_arrivals},
                         {"sessions_started", c.sessions_started},
                         {"sessions_ended", c.sessions_ended}});
    }
    totals["dropped_arrivals"] = dropped;
    totals["classes"] = std::move(classes);
    doc["totals"] = std::move(totals);
  } else {
    doc["totals"] = nullptr;
  }

  ojson thresholds = ojson::array();
  if (in.thresholds)
    for (const auto& t : *in.thresholds) {
      ojson j;
      j["threshold"] = t.spec.text;
      j["status"] = status_name(t.status);
      j["passed"] = t.status == analysis::threshold_status::passed;
      j["value"] = number(t.value);
      j["unit"] = std::string(analysis::to_string(t.spec.u)) + (t.spec.slope ? "_per_s" : "");
      j["where"] = t.where;
      j["note"] = t.note;
      if (in.failed_live) {
        bool live = false;
        for (const auto& f : *in.failed_live) live = live || f == t.spec.text;
        j["failed_live"] = live;
      } else {
        j["failed_live"] = nullptr;
      }
      j["aborted_run"] = in.aborted_by ? ojson(*in.aborted_by == t.spec.text) : ojson(nullptr);
      thresholds.push_back(std::move(j));
    }
  doc["thresholds"] = std::move(thresholds);

  if (in.verdict) {
    // The verdict's own JSON (the same objects as --json's soak_verdict rows), in field order.
    auto v = ojson::parse(verdict_json(*in.verdict, {}).dump());
    v.erase("thresholds");
    ojson counts;
    for (auto k : {analysis::verdict_kind::stable, analysis::verdict_kind::degrading,
                   analysis::verdict_kind::improving, analysis::verdict_kind::step_change,
                   analysis::verdict_kind::inconclusive})
      counts[analysis::to_string(k)] = in.verdict->count(k);
    v["counts"] = std::move(counts);
    doc["verdict"] = std::move(v);
  } else {
    doc["verdict"] = nullptr;
  }

  if (in.has_monitor) {
    ojson m;
    ojson series = ojson::array();
    for (const auto& s : in.monitor)
      series.push_back({{"source", s.source},
                        {"metric", s.metric},
                        {"samples", s.samples},
                        {"first", number(s.first)},
                        {"last", number(s.last)},
                        {"min", number(s.min)},
                        {"max", number(s.max)},
                        {"slope_per_hour", number(s.slope_per_s * 3600)}});
    m["series"] = std::move(series);
    m["problems"] = in.monitor_problems;
    doc["monitor"] = std::move(m);
  } else {
    doc["monitor"] = nullptr;
  }
  return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace endure::report
