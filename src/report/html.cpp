#include "report/html.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "report/console.hpp"  // intended_differs
#include "report/format.hpp"

namespace endure::report {

namespace {

std::string duration_text(double s) {
  auto total = static_cast<int64_t>(std::llround(std::max(0.0, s)));
  const int64_t d = total / 86400, h = total / 3600 % 24, m = total / 60 % 60, sec = total % 60;
  if (d > 0) return fmt::format("{}d {}h {}m {}s", d, h, m, sec);
  if (h > 0) return fmt::format("{}h {}m {}s", h, m, sec);
  if (m > 0) return fmt::format("{}m {}s", m, sec);
  return fmt::format("{}s", sec);
}

std::string td(const std::string& s) { return "<td>" + html_escape(s) + "</td>"; }
std::string th(const std::string& s) { return "<th>" + html_escape(s) + "</th>"; }

std::string stats_rows_html(const stats::snapshot& s) {
  std::string out;
  auto add = [&out](const stats::row& r, bool total) {
    out += total ? "<tr class=\"total\">" : "<tr>";
    out += td(r.method) + td(r.name) + td(std::to_string(r.num_requests)) +
           td(std::to_string(r.num_failures)) + td(format_ms(r.median_ms)) +
           td(format_ms(r.avg_ms)) + td(format_ms(r.min_ms)) + td(format_ms(r.max_ms)) +
           td(format_number(r.avg_content_bytes)) + td(format_rate(r.total_rps)) +
           td(format_rate(r.total_fail_per_s)) + "</tr>\n";
  };
  for (const auto& r : s.rows) add(r, false);
  add(s.aggregated, true);
  return out;
}

std::string percentile_rows_html(const stats::snapshot& s, bool intended) {
  std::string out;
  auto add = [&](const stats::row& r, bool total) {
    if (r.num_requests == 0) return;
    out += total ? "<tr class=\"total\">" : "<tr>";
    out += td(r.method) + td(r.name);
    for (double v : intended ? r.intended_percentiles_ms : r.percentiles_ms) out += td(format_ms(v));
    out += "</tr>\n";
  };
  for (const auto& r : s.rows) add(r, false);
  add(s.aggregated, true);
  return out;
}

}  // namespace

std::string html_report(const stats::snapshot& s, const html_run_info& info,
                        const std::vector<chart_point>& history,
                        const std::vector<endpoint_chart>& endpoints, const std::string& extra_section) {
  const double start = info.start_wall_s > 0 ? info.start_wall_s
                       : s.test_start_wall_s > 0 ? s.test_start_wall_s
                                                 : s.start_wall_s;
  const double end = info.end_wall_s > 0 ? info.end_wall_s : s.wall_s;
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" +
      html_escape(info.title) + "</title>\n<style>\n"
      "body{font-family:sans-serif;margin:2em;color:#222}"
      "table{border-collapse:collapse;margin-bottom:2em;font-size:13px}"
      "th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}"
      "td:nth-child(2),th:nth-child(2),td:first-child,th:first-child{text-align:left}"
      "tr.total{font-weight:bold}th{background:#eee}"
      "p.note{max-width:60em;font-size:13px;color:#444}"
      ".pair{display:flex;flex-wrap:wrap;gap:8px}"
      "table.verdict tr.bad td:nth-child(2),table.thresholds tr.bad td:nth-child(2){color:#c9302c;font-weight:bold}"
      "table.verdict tr.step td:nth-child(2){color:#d58512;font-weight:bold}"
      ".chart .grid{stroke:#ddd}.chart .axis{font-size:11px;fill:#555}"
      ".chart .title{font-size:14px;font-weight:bold}"
      ".notice{background:#fff3cd;border:1px solid #e0c36a;padding:6px 10px}\n"
      "</style>\n</head>\n<body>\n";
  out += "<h1>" + html_escape(info.title) + "</h1>\n";
  for (const auto& n : info.notices) out += "<p class=\"notice\">" + html_escape(n) + "</p>\n";
  if (!s.is_final)
    out += "<p class=\"note running\">Written while the test runs, " +
           html_escape(elapsed_label(end - start).substr(1)) + " into it (" +
           html_escape(format_iso8601_utc(end)) + ")" +
           (info.rewrite_every_s > 0
                ? "; rewritten every " + html_escape(elapsed_label(info.rewrite_every_s).substr(1)) +
                      " and once more at the end."
                : "; written once more at the end.") +
           "</p>\n";
  out += "<table class=\"info\">\n";
  auto info_row = [&out](const std::string& k, const std::string& v) {
    out += "<tr>" + th(k) + td(v) + "</tr>\n";
  };
  info_row("Start", format_iso8601_utc(start));
  info_row(s.is_final ? "End" : "Last update", format_iso8601_utc(end));
  info_row("Duration", duration_text(end - start));
  if (!info.host.empty()) info_row("Target host", info.host);
  if (!info.locustfile.empty()) info_row("Locustfile", info.locustfile);
  // The peak over the test (a record carries each interval's highest target); snapshots from
  // before that field fall back to the users per class.
  uint64_t by_class = 0;
  for (const auto& [cls, n] : s.user_count_by_class) by_class += n;
  info_row("Users (peak)", std::to_string(std::max(s.peak_user_count, by_class)));
  if (!s.is_final) info_row("Users (now)", std::to_string(s.user_count));
  for (const auto& [cls, n] : s.user_count_by_class)
    info_row("Users: " + cls + (s.is_final ? " (at the end)" : " (now)"), std::to_string(n));
  info_row("State", stats::to_string(s.state));
  if (s.generator_cpu_warning)
    info_row("Generator CPU",
             "WARNING: above 90% for 10 s or more: response times are not trustworthy");
  out += "</table>\n";
  out += extra_section;

  out += "<h2>Charts</h2>\n";
  std::vector<double> t;
  std::vector<double> rps, fps, p50, p95, p99, users;
  for (const auto& p : history) {
    t.push_back(p.wall_s);
    rps.push_back(p.rps);
    fps.push_back(p.fail_per_s);
    p50.push_back(p.p50_ms);
    p95.push_back(p.p95_ms);
    p99.push_back(p.p99_ms);
    users.push_back(p.users);
  }
  const auto& bands = info.stages;
  if (!bands.empty())
    out += "<p class=\"note stages\">Shaded: the load shape's stages (hover for the name).</p>\n";
  out += svg_chart("Total requests per second", t,
                   {{"req/s", "#2a7ab9", rps}, {"failures/s", "#d9534f", fps}}, "", start, 900, bands);
  out += svg_chart("Response times", t,
                   {{"p50", "#5cb85c", p50}, {"p95", "#f0ad4e", p95}, {"p99", "#d9534f", p99}},
                   "ms", start, 900, bands);
  out += svg_chart("Number of users", t, {{"users", "#6f42c1", users}}, "", start, 900, bands);

  if (!endpoints.empty()) {
    out += "<h2>Charts per endpoint</h2>\n<p class=\"note\">The " +
           std::to_string(endpoints.size()) + " busiest of " + std::to_string(s.rows.size()) +
           " endpoints by requests. endure follows at most " +
           std::to_string(std::max(info.endpoints_followed, endpoints.size())) +
           " endpoints with series of their own (the busiest as the test goes: one that becomes "
           "busier later is followed from then on, as its charts say); percentiles of a point "
           "come from the merged histograms of its intervals.</p>\n";
    for (const auto& e : endpoints) {
      const std::string label = (e.method.empty() ? "" : e.method + " ") + e.name;
      out += "<h3>" + html_escape(label) + "</h3>\n";
      if (e.since_wall_s > start + 1.5)
        out += "<p class=\"note\">Followed from " + html_escape(format_iso8601_utc(e.since_wall_s)) +
               " (" + html_escape(elapsed_label(e.since_wall_s - start)) +
               "), when it became one of the busiest; nothing is charted before.</p>\n";
      std::vector<double> et, er, ef, e50, e95, e99;
      for (const auto& p : e.points) {
        et.push_back(p.wall_s);
        er.push_back(p.rps);
        ef.push_back(p.fail_per_s);
        e50.push_back(p.p50_ms);
        e95.push_back(p.p95_ms);
        e99.push_back(p.p99_ms);
      }
      out += "<div class=\"pair endpoint\" data-name=\"" + html_escape(label) + "\">\n";
      out += svg_chart("Requests per second", et,
                       {{"req/s", "#2a7ab9", er}, {"failures/s", "#d9534f", ef}}, "", start, 560);
      out += svg_chart("Response times", et,
                       {{"p50", "#5cb85c", e50}, {"p95", "#f0ad4e", e95}, {"p99", "#d9534f", e99}},
                       "ms", start, 560);
      out += "</div>\n";
    }
  }

  out += "<h2>Request statistics</h2>\n<table class=\"stats\">\n<tr>";
  for (const char* h : {"Type", "Name", "# Requests", "# Fails", "Median (ms)", "Average (ms)",
                        "Min (ms)", "Max (ms)", "Average size (bytes)", "RPS", "Failures/s"})
    out += th(h);
  out += "</tr>\n" + stats_rows_html(s) + "</table>\n";

  out += "<h2>Response time percentiles (ms)</h2>\n<table class=\"percentiles\">\n<tr>" +
         th("Type") + th("Name");
  for (const char* p : stats::report_percentile_titles) out += th(p);
  out += "</tr>\n" + percentile_rows_html(s, false) + "</table>\n";
  if (intended_differs(s)) {
    out += "<h2>Response time percentiles from the intended send time (ms)</h2>\n"
           "<p class=\"note\">Some iterations started later than they were meant to: an "
           "open-model arrival (--arrival-rate) that waited for a free user, or a pacing wait time "
           "(constant_pacing, constant_throughput) whose task overran its period. Measured from when each request was meant to be sent, these times "
           "include that delay, as a real client arriving on schedule would have seen it "
           "(coordinated omission corrected). The table above measures from the actual send.</p>\n"
           "<table class=\"intended-percentiles\">\n<tr>" +
           th("Type") + th("Name");
    for (const char* p : stats::report_percentile_titles) out += th(p);
    out += "</tr>\n" + percentile_rows_html(s, true) + "</table>\n";
  } else {
    out += "<p class=\"note intended-equal\">Every request was sent when it was meant to be (no "
           "arrival or pacing wait time ran late), so response times from the intended send time equal the "
           "ones above and are not shown again.</p>\n";
  }

  {
    uint64_t any = 0, dropped = 0;
    for (const auto& c : s.classes) {
      any += c.dropped_arrivals + c.sessions_started + c.sessions_ended;
      dropped += c.dropped_arrivals;
    }
    if (any > 0 && (info.load_model || dropped > 0)) {
      out += "<h2>Load model</h2>\n<table class=\"load-model\">\n<tr>" + th("User class") +
             th("Dropped arrivals") + th("Sessions started") + th("Sessions ended") + "</tr>\n";
      for (const auto& c : s.classes)
        out += "<tr>" + td(c.user_class) + td(std::to_string(c.dropped_arrivals)) +
               td(std::to_string(c.sessions_started)) + td(std::to_string(c.sessions_ended)) +
               "</tr>\n";
      out += "</table>\n<p class=\"note\">Dropped arrivals: open-model iterations that found no "
             "free user within --max-users (never silently left out).</p>\n";
    }
  }
  out += "<h2>Failures</h2>\n";
  if (s.failures.empty()) {
    out += "<p>No failures.</p>\n";
  } else {
    out += "<table class=\"failures\">\n<tr>" + th("# occurrences") + th("Method") + th("Name") +
           th("Error") + th("First seen") + th("Last seen") + "</tr>\n";
    for (const auto& f : s.failures)
      out += "<tr>" + td(std::to_string(f.occurrences)) + td(f.method) + td(f.name) + td(f.error) +
             td(format_iso8601_utc(f.first_seen_wall_s)) +
             td(format_iso8601_utc(f.last_seen_wall_s)) + "</tr>\n";
    out += "</table>\n";
  }
  out += "<h2>Exceptions</h2>\n";
  if (s.exceptions.empty()) {
    out += "<p>No exceptions.</p>\n";
  } else {
    out += "<table class=\"exceptions\">\n<tr>" + th("Count") + th("Message") + th("Traceback") +
           th("Nodes") + "</tr>\n";
    for (const auto& x : s.exceptions)
      out += "<tr>" + td(std::to_string(x.count)) + td(x.message) + "<td><pre>" +
             html_escape(x.traceback) + "</pre></td>" + td(x.nodes) + "</tr>\n";
    out += "</table>\n";
  }
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace endure::report
