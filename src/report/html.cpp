#include "report/html.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "report/format.hpp"

namespace endure::report {

namespace {

constexpr int chart_w = 900, chart_h = 220, pad_l = 60, pad_r = 20, pad_t = 30, pad_b = 30;

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

std::string svg_chart(const std::string& title, const std::vector<double>& times_s,
                      const std::vector<chart_series>& series, const std::string& unit) {
  std::string out = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {} {}\" "
      "width=\"{}\" height=\"{}\" role=\"img\" aria-label=\"{}\">\n",
      chart_w, chart_h, chart_w, chart_h, html_escape(title));
  out += fmt::format("<text x=\"{}\" y=\"18\" class=\"title\">{}</text>\n", pad_l,
                     html_escape(title));
  double t0 = times_s.empty() ? 0 : times_s.front();
  double t1 = times_s.empty() ? 1 : times_s.back();
  if (t1 <= t0) t1 = t0 + 1;
  double vmax = 0;
  for (const auto& s : series)
    for (double v : s.values)
      if (std::isfinite(v)) vmax = std::max(vmax, v);
  if (vmax <= 0) vmax = 1;
  vmax *= 1.05;
  const double pw = chart_w - pad_l - pad_r, ph = chart_h - pad_t - pad_b;
  auto x_of = [&](double t) { return pad_l + (t - t0) / (t1 - t0) * pw; };
  auto y_of = [&](double v) { return pad_t + ph - std::clamp(v / vmax, 0.0, 1.0) * ph; };
  // Axes, 4 horizontal grid lines with labels, start and end time labels.
  for (int i = 0; i <= 4; ++i) {
    const double v = vmax * i / 4, y = y_of(v);
    out += fmt::format(
        "<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" class=\"grid\"/>"
        "<text x=\"{}\" y=\"{:.1f}\" class=\"axis\" text-anchor=\"end\">{}</text>\n",
        pad_l, y, chart_w - pad_r, y, pad_l - 4, y + 4, html_escape(format_ms(v)));
  }
  out += fmt::format("<text x=\"{}\" y=\"{}\" class=\"axis\">{}</text>\n", pad_l, chart_h - 8,
                     html_escape(format_iso8601_utc(t0)));
  out += fmt::format("<text x=\"{}\" y=\"{}\" class=\"axis\" text-anchor=\"end\">{}</text>\n",
                     chart_w - pad_r, chart_h - 8, html_escape(format_iso8601_utc(t1)));
  int legend_x = pad_l + 260;
  for (const auto& s : series) {
    std::string points;
    const size_t n = std::min(s.values.size(), times_s.size());
    for (size_t i = 0; i < n; ++i) {
      const double v = std::isfinite(s.values[i]) ? s.values[i] : 0;
      points += fmt::format("{:.1f},{:.1f} ", x_of(times_s[i]), y_of(v));
    }
    out += fmt::format(
        "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\" points=\"{}\"/>\n",
        html_escape(s.color), points);
    out += fmt::format(
        "<rect x=\"{}\" y=\"9\" width=\"10\" height=\"10\" fill=\"{}\"/>"
        "<text x=\"{}\" y=\"18\" class=\"axis\">{}{}</text>\n",
        legend_x, html_escape(s.color), legend_x + 14, html_escape(s.label),
        unit.empty() ? "" : " (" + html_escape(unit) + ")");
    legend_x += 180;
  }
  out += "</svg>\n";
  return out;
}

std::string html_report(const stats::snapshot& s, const html_run_info& info,
                        const std::vector<chart_point>& history) {
  const double start = info.start_wall_s > 0 ? info.start_wall_s : s.start_wall_s;
  const double end = info.end_wall_s > 0 ? info.end_wall_s : s.wall_s;
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" +
      html_escape(info.title) + "</title>\n<style>\n"
      "body{font-family:sans-serif;margin:2em;color:#222}"
      "table{border-collapse:collapse;margin-bottom:2em;font-size:13px}"
      "th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}"
      "td:nth-child(2),th:nth-child(2),td:first-child,th:first-child{text-align:left}"
      "tr.total{font-weight:bold}th{background:#eee}"
      ".chart .grid{stroke:#ddd}.chart .axis{font-size:11px;fill:#555}"
      ".chart .title{font-size:14px;font-weight:bold}"
      ".notice{background:#fff3cd;border:1px solid #e0c36a;padding:6px 10px}\n"
      "</style>\n</head>\n<body>\n";
  out += "<h1>" + html_escape(info.title) + "</h1>\n";
  for (const auto& n : info.notices) out += "<p class=\"notice\">" + html_escape(n) + "</p>\n";
  out += "<table class=\"info\">\n";
  auto info_row = [&out](const std::string& k, const std::string& v) {
    out += "<tr>" + th(k) + td(v) + "</tr>\n";
  };
  info_row("Start", format_iso8601_utc(start));
  info_row("End", format_iso8601_utc(end));
  info_row("Duration", duration_text(end - start));
  if (!info.host.empty()) info_row("Target host", info.host);
  if (!info.locustfile.empty()) info_row("Locustfile", info.locustfile);
  // The final snapshot has no running users left: report the users spawned (the peak).
  uint64_t spawned = 0;
  for (const auto& [cls, n] : s.user_count_by_class) spawned += n;
  info_row(s.is_final ? "Users (peak)" : "Users", std::to_string(s.is_final ? spawned : s.user_count));
  for (const auto& [cls, n] : s.user_count_by_class) info_row("Users: " + cls, std::to_string(n));
  info_row("State", stats::to_string(s.state));
  if (s.generator_cpu_warning)
    info_row("Generator CPU",
             "WARNING: above 90% for 10 s or more: response times are not trustworthy");
  out += "</table>\n";

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
  out += svg_chart("Total requests per second", t,
                   {{"req/s", "#2a7ab9", rps}, {"failures/s", "#d9534f", fps}}, "");
  out += svg_chart("Response times", t,
                   {{"p50", "#5cb85c", p50}, {"p95", "#f0ad4e", p95}, {"p99", "#d9534f", p99}},
                   "ms");
  out += svg_chart("Number of users", t, {{"users", "#6f42c1", users}}, "");

  out += "<h2>Request statistics</h2>\n<table class=\"stats\">\n<tr>";
  for (const char* h : {"Type", "Name", "# Requests", "# Fails", "Median (ms)", "Average (ms)",
                        "Min (ms)", "Max (ms)", "Average size (bytes)", "RPS", "Failures/s"})
    out += th(h);
  out += "</tr>\n" + stats_rows_html(s) + "</table>\n";

  for (bool intended : {false, true}) {
    out += intended ? "<h2>Response time percentiles from the intended send time (ms)</h2>\n"
                      "<table class=\"intended-percentiles\">\n<tr>"
                    : "<h2>Response time percentiles (ms)</h2>\n<table class=\"percentiles\">\n<tr>";
    out += th("Type") + th("Name");
    for (const char* p : stats::report_percentile_titles) out += th(p);
    out += "</tr>\n" + percentile_rows_html(s, intended) + "</table>\n";
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
