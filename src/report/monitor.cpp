#include "report/monitor.hpp"

#include <fmt/format.h>

#include <algorithm>
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

void monitor_accumulator::add(const std::string &source, const std::string &metric, double t,
                              double v) {
  if (!std::isfinite(v)) return;
  auto key = std::make_pair(source, metric);
  auto it = series_.find(key);
  if (it == series_.end()) {
    if (series_.size() >= max_series) return;
    it = series_.emplace(key, series_acc{}).first;
  }
  auto &a = it->second;
  if (a.n == 0) {
    a.first = a.min = a.max = v;
    a.t0 = t;
  }
  ++a.n;
  a.last = v;
  a.min = std::min(a.min, v);
  a.max = std::max(a.max, v);
  const double x = t - a.t0;
  a.st += x;
  a.sv += v;
  a.stt += x * x;
  a.stv += x * v;
  a.pend_t += t;
  a.pend_v += v;
  if (++a.pend_n >= a.stride) {
    a.t.push_back(a.pend_t / static_cast<double>(a.pend_n));
    a.v.push_back(a.pend_v / static_cast<double>(a.pend_n));
    a.pend_t = a.pend_v = 0;
    a.pend_n = 0;
    if (a.t.size() >= max_chart_points) {
      // Full: neighbours merge, each point now covers twice as many samples.
      for (size_t i = 0; i + 1 < a.t.size(); i += 2) {
        a.t[i / 2] = (a.t[i] + a.t[i + 1]) / 2;
        a.v[i / 2] = (a.v[i] + a.v[i + 1]) / 2;
      }
      a.t.resize(a.t.size() / 2);
      a.v.resize(a.v.size() / 2);
      a.stride *= 2;
    }
  }
}

std::vector<monitor_summary> monitor_accumulator::summaries() const {
  std::vector<monitor_summary> rows;
  for (const auto &[key, a] : series_) {
    monitor_summary s;
    s.source = key.first;
    s.metric = key.second;
    s.samples = a.n;
    s.first = a.first;
    s.last = a.last;
    s.min = a.min;
    s.max = a.max;
    const double n = static_cast<double>(a.n);
    const double den = n * a.stt - a.st * a.st;
    s.slope_per_s = a.n >= 2 && den > 0 ? (n * a.stv - a.st * a.sv) / den : 0;
    s.t_s = a.t;
    s.values = a.v;
    if (a.pend_n > 0) {
      s.t_s.push_back(a.pend_t / static_cast<double>(a.pend_n));
      s.values.push_back(a.pend_v / static_cast<double>(a.pend_n));
    }
    rows.push_back(std::move(s));
  }
  return rows;
}

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
