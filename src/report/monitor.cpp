#include "report/monitor.hpp"

#include <fmt/format.h>

#include <cmath>
#include <functional>

#include "report/chart.hpp"

namespace endure::report {
namespace {

bool ends_with(const std::string &s, const char *suffix) {
  const std::string x(suffix);
  return s.size() >= x.size() &&
         s.compare(s.size() - x.size(), x.size(), x) == 0;
}

std::string bytes_text(double v) {
  const double a = std::fabs(v);
  if (a >= 1e12)
    return fmt::format("{:.2f} TB", v / 1e12);
  if (a >= 1e9)
    return fmt::format("{:.2f} GB", v / 1e9);
  if (a >= 1e6)
    return fmt::format("{:.1f} MB", v / 1e6);
  if (a >= 1e3)
    return fmt::format("{:.1f} KB", v / 1e3);
  return fmt::format("{:.0f} B", v);
}

std::string plain_text(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e12)
    return fmt::format("{:.0f}", v);
  return fmt::format("{:.4g}", v);
}

std::string signed_text(const std::string &metric, double v) {
  return (v >= 0 ? "+" : "") + format_monitor_value(metric, v);
}

std::string html_escape_text(const std::string &s) {
  std::string out;
  for (char c : s) {
    switch (c) {
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '&':
      out += "&amp;";
      break;
    case '"':
      out += "&quot;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

} // namespace

std::string format_monitor_value(const std::string &metric, double v) {
  if (!std::isfinite(v))
    return "n/a";
  if (ends_with(metric, "_bytes_per_s"))
    return bytes_text(v) + "/s";
  if (ends_with(metric, "bytes"))
    return bytes_text(v);
  if (ends_with(metric, "_percent"))
    return fmt::format("{:.1f}%", v);
  if (std::fabs(v) >= 100 || v == std::floor(v))
    return plain_text(std::round(v * 10) / 10);
  return fmt::format("{:.3g}", v);
}

std::string monitor_table(const std::vector<monitor_summary> &series,
                          const std::vector<std::string> &problems) {
  if (series.empty() && problems.empty())
    return "";
  std::string out = "Target monitoring\n";
  std::string src_head = "source", metric_head = "metric";
  size_t w_src = src_head.size(), w_metric = metric_head.size();
  for (const auto &s : series) {
    w_src = std::max(w_src, std::min<size_t>(s.source.size(), 48));
    w_metric = std::max(w_metric, s.metric.size());
  }
  out +=
      fmt::format("{:<{}}  {:<{}}  {:>12} {:>12} {:>12} {:>12} {:>14} {:>8}\n",
                  src_head, w_src, metric_head, w_metric, "first", "last",
                  "min", "max", "slope per h", "samples");
  for (const auto &s : series) {
    std::string src =
        s.source.size() > 48 ? s.source.substr(0, 45) + "..." : s.source;
    out += fmt::format(
        "{:<{}}  {:<{}}  {:>12} {:>12} {:>12} {:>12} {:>14} {:>8}\n", src,
        w_src, s.metric, w_metric, format_monitor_value(s.metric, s.first),
        format_monitor_value(s.metric, s.last),
        format_monitor_value(s.metric, s.min),
        format_monitor_value(s.metric, s.max),
        s.samples >= 2 ? signed_text(s.metric, s.slope_per_s * 3600)
                       : std::string("n/a"),
        s.samples);
  }
  for (const auto &p : problems)
    out += "  ! " + p + "\n";
  return out;
}

std::string monitor_html(const std::vector<monitor_summary> &series,
                         const std::vector<std::string> &problems,
                         double start_s) {
  if (series.empty() && problems.empty())
    return "";
  std::string out = "<section id=\"monitor\"><h2>Target "
                    "monitoring</h2>\n<table><tr><th>source</th><th>metric</th>"
                    "<th>first</th><th>last</th><th>min</th><th>max</"
                    "th><th>slope per h</th><th>samples</th></tr>\n";
  for (const auto &s : series) {
    out += "<tr><td>" + html_escape_text(s.source) + "</td><td>" +
           html_escape_text(s.metric) + "</td><td>" +
           format_monitor_value(s.metric, s.first) + "</td><td>" +
           format_monitor_value(s.metric, s.last) + "</td><td>" +
           format_monitor_value(s.metric, s.min) + "</td><td>" +
           format_monitor_value(s.metric, s.max) + "</td><td>" +
           (s.samples >= 2 ? signed_text(s.metric, s.slope_per_s * 3600)
                           : std::string("n/a")) +
           "</td><td>" + std::to_string(s.samples) + "</td></tr>\n";
  }
  out += "</table>\n";
  for (const auto &p : problems)
    out += "<p class=\"warning\">" + html_escape_text(p) + "</p>\n";
  static const char *colors[] = {"#1f77b4", "#d62728", "#2ca02c",
                                 "#9467bd", "#ff7f0e", "#8c564b"};
  for (const auto &s : series) {
    if (s.t_s.size() < 2)
      continue;
    chart_series line{s.metric, colors[std::hash<std::string>{}(s.metric) % 6],
                      s.values};
    std::string unit = ends_with(s.metric, "_bytes_per_s") ? "bytes/s"
                       : ends_with(s.metric, "bytes")      ? "bytes"
                       : ends_with(s.metric, "_percent")   ? "%"
                                                           : "";
    out += svg_chart(s.source + " " + s.metric, s.t_s, {line}, unit, start_s) +
           "\n";
  }
  out += "</section>\n";
  return out;
}

} // namespace endure::report
