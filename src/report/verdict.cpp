#include "report/verdict.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "report/format.hpp"

namespace endure::report {

using analysis::unit;
using analysis::verdict_kind;

namespace {

// Up to 3 significant digits without exponent (1.23, 12.3, 123, 1230).
std::string sig3(double v) {
  const double a = std::fabs(v);
  if (a == 0 || !std::isfinite(v)) return std::isfinite(v) ? "0" : "?";
  const int digits = a >= 100  ? 0
                     : a >= 10 ? 1
                     : a >= 1  ? 2
                               : std::min(9, 2 - static_cast<int>(std::floor(std::log10(a))));
  std::string s = fmt::format("{:.{}f}", v, digits);
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

std::string signed3(double v) { return (v > 0 ? "+" : "") + sig3(v); }

// How a value of a unit is written at a magnitude: a factor and a suffix (bytes in powers of
// 1000, as --limit reads them; ratios in percent; long latencies in seconds).
struct scale {
  double factor = 1;
  const char* suffix = "";
  bool space = true;
};

scale scale_for(double magnitude, unit u) {
  magnitude = std::fabs(magnitude);
  switch (u) {
    case unit::ms: return magnitude >= 1000 ? scale{1e-3, "s"} : scale{1, "ms"};
    case unit::bytes: {
      static const char* names[] = {"B", "KB", "MB", "GB", "TB"};
      int i = 0;
      double f = 1;
      while (i < 4 && magnitude * f >= 1000) {
        f /= 1000;
        ++i;
      }
      return {f, names[i]};
    }
    case unit::ratio: return {100, "%", false};
    case unit::percent: return {1, "%", false};
    case unit::per_s: return {1, "req/s"};
    case unit::count:
    case unit::plain: return {1, "", false};
  }
  return {};
}

std::string with_unit(double v, unit u, bool sign) {
  const scale sc = scale_for(v, u);
  const double x = v * sc.factor;
  std::string out = sign ? signed3(x) : sig3(x);
  if (*sc.suffix) out += (sc.space ? " " : "") + std::string(sc.suffix);
  return out;
}

const char* per_name(double per_s) { return per_s >= 3600 ? "h" : "min"; }

// Trends are per hour, or per minute when less than an hour was analysed.
double rate_period(double analysed_s) { return analysed_s >= 3600 ? 3600 : 60; }

std::string trend_text(const analysis::series_verdict& r, double per) {
  if (r.verdict == verdict_kind::step_change)
    return with_unit(r.step_after - r.step_before, r.u, true) + " at " + format_offset(r.step_t_s);
  if (r.points < 3) return "";
  return format_trend(r.slope, r.u, per);
}

std::string ci_text(const analysis::series_verdict& r, double per) {
  if (r.verdict == verdict_kind::step_change || r.points < 3) return "";
  // The interval in the trend's own scale, without repeating the unit.
  const scale sc = scale_for(r.slope * per, r.u);
  return "[" + signed3(r.slope_lower * per * sc.factor) + ", " +
         signed3(r.slope_upper * per * sc.factor) + "]";
}

std::string note_text(const analysis::series_verdict& r) {
  std::vector<std::string> parts;
  switch (r.verdict) {
    case verdict_kind::degrading:
    case verdict_kind::improving:
      if (!std::isnan(r.relative_change) && r.level_start > 0)
        parts.push_back(signed3(100 * r.relative_change) + "% over the run");
      else
        parts.push_back(with_unit(r.change, r.u, true) + " over the run");
      break;
    case verdict_kind::step_change:
      parts.push_back(with_unit(r.step_before, r.u, false) + " -> " +
                      with_unit(r.step_after, r.u, false));
      break;
    case verdict_kind::stable:
      if (r.reason == "a trend below the practical size")
        parts.push_back(with_unit(r.change, r.u, true) + " over the run, below " +
                        with_unit(r.practical_change, r.u, false));
      break;
    case verdict_kind::inconclusive: parts.push_back(r.reason); break;
  }
  if (r.has_limit) {
    const std::string lim = with_unit(r.limit_value, r.u, false);
    if (r.limit_reached)
      parts.push_back("past its " + lim + " limit");
    else if (r.exhaustion_s)
      parts.push_back("reaches " + lim + (r.limit_implicit ? "" : " limit") + " in ~" +
                      format_offset(*r.exhaustion_s));
  }
  if (r.seasonal_period_s > 0)
    parts.push_back(r.seasonal_period_s == 86400
                        ? "daily shape removed"
                        : "period " + format_offset(r.seasonal_period_s) + " removed");
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

std::string pad(std::string s, size_t width) {
  if (s.size() < width) s.resize(width, ' ');
  return s;
}

bool always_listed(const analysis::series_verdict& r) {
  return r.kind == analysis::series_kind::target || r.kind == analysis::series_kind::generator ||
         (r.method.empty() && r.name == "Aggregated");
}

// "warm-up 12m excluded, 6d 23h analysed in 251 windows of 40m"
std::string header_detail(const analysis::soak_verdict& v) {
  std::string h;
  if (v.warmup_s >= 0.5 || !v.warmup_auto)
    h += "warm-up " + format_offset(v.warmup_s) + " excluded" +
         (v.warmup_auto ? "" : " (--warmup)") + ", ";
  else
    h += "no warm-up found, ";
  return h + format_offset(v.analysed_s) + " analysed in " + std::to_string(v.windows) +
         " windows of " + format_offset(v.window_s);
}

std::string header(const analysis::soak_verdict& v) {
  return "Soak verdict (" + header_detail(v) + ")";
}

}  // namespace

std::string format_value(double v, unit u) { return with_unit(v, u, false); }

std::string format_trend(double per_second, unit u, double per_s) {
  return with_unit(per_second * per_s, u, true) + "/" + per_name(per_s);
}

std::string format_offset(double seconds) {
  if (!std::isfinite(seconds)) return "never";
  auto s = static_cast<int64_t>(std::llround(std::max(0.0, seconds)));
  const int64_t d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60, sec = s % 60;
  if (d > 0) return h > 0 ? fmt::format("{}d {:02}h", d, h) : fmt::format("{}d", d);
  if (h > 0) return m > 0 ? fmt::format("{}h {:02}m", h, m) : fmt::format("{}h", h);
  if (m > 0) return sec > 0 && m < 10 ? fmt::format("{}m {:02}s", m, sec) : fmt::format("{}m", m);
  return fmt::format("{}s", sec);
}

std::string threshold_line(const analysis::threshold_result& r, bool with_status) {
  std::string out =
      (with_status ? std::string(analysis::to_string(r.status)) + "  " : std::string()) +
      r.spec.text;
  if (!std::isnan(r.value)) {
    out += ": " +
           (r.spec.slope ? format_trend(r.value, r.spec.u, 3600) : format_value(r.value, r.spec.u));
    if (!r.where.empty()) out += " (" + r.where + ")";
  }
  if (!r.note.empty()) out += std::isnan(r.value) ? ": " + r.note : ", " + r.note;
  return out;
}

std::string verdict_line(const analysis::series_verdict& r, double analysed_s) {
  const double per = rate_period(analysed_s);
  std::string out = r.label + " is " + analysis::to_string(r.verdict) + ": " + trend_text(r, per);
  const std::string ci = ci_text(r, per);
  if (!ci.empty()) out += " " + ci;
  const std::string note = note_text(r);
  if (!note.empty()) out += ", " + note;
  return out;
}

namespace {

// The rows of the table: every series with data; past max_rows, per-entry series are listed only
// when they changed (DEGRADING, IMPROVING, STEP CHANGE) and the others are counted.
std::string table_rows(const analysis::soak_verdict& v, const verdict_table_options& options) {
  const double per = rate_period(v.analysed_s);
  std::vector<const analysis::series_verdict*> shown;
  size_t with_data = 0, no_data = 0;
  for (const auto& r : v.rows) (r.points == 0 ? no_data : with_data) += 1;
  std::map<std::string, size_t> hidden;
  for (const auto& r : v.rows) {
    if (r.points == 0) continue;
    const bool changed = r.verdict == verdict_kind::degrading ||
                         r.verdict == verdict_kind::improving ||
                         r.verdict == verdict_kind::step_change;
    if (with_data > options.max_rows && !always_listed(r) && !changed) {
      ++hidden[analysis::to_string(r.verdict)];
      continue;
    }
    shown.push_back(&r);
  }
  struct cells {
    std::string name, verdict, trend, ci, note;
  };
  std::vector<cells> rows;
  size_t name_w = 6, trend_w = 5, ci_w = 6;
  for (const auto* r : shown) {
    cells c{r->label.size() > 60 ? r->label.substr(0, 57) + "..." : r->label,
            analysis::to_string(r->verdict), trend_text(*r, per), ci_text(*r, per), note_text(*r)};
    name_w = std::max(name_w, c.name.size());
    trend_w = std::max(trend_w, c.trend.size());
    ci_w = std::max(ci_w, c.ci.size());
    rows.push_back(std::move(c));
  }
  std::string out;
  auto line = [&](const std::string& a, const std::string& b, const std::string& c,
                  const std::string& d, const std::string& e) {
    std::string l = pad(a, name_w + 2) + pad(b, 14) + pad(c, trend_w + 2) + pad(d, ci_w + 2) + e;
    while (!l.empty() && l.back() == ' ') l.pop_back();
    out += l + "\n";
  };
  line("series", "verdict", "trend", fmt::format("{:g}% CI", 100 * (1 - v.alpha)), "note");
  for (const auto& c : rows) line(c.name, c.verdict, c.trend, c.ci, c.note);
  if (!hidden.empty()) {
    std::string counts;
    size_t total = 0;
    for (const auto& [verdict, n] : hidden) {
      counts += (counts.empty() ? "" : ", ") + std::to_string(n) + " " + verdict;
      total += n;
    }
    out += "... and " + std::to_string(total) + " more per-entry series (" + counts +
           "): every series is in --json-file and --html\n";
  }
  if (no_data > 0)
    out +=
        std::to_string(no_data) + " percentile series had too few requests per window to judge\n";
  return out;
}

}  // namespace

std::string verdict_table(const analysis::soak_verdict& v,
                          const std::vector<analysis::threshold_result>& thresholds,
                          verdict_table_options options) {
  // A run too short for every series gets one line rather than a table of INCONCLUSIVE.
  const bool all_short = std::all_of(v.rows.begin(), v.rows.end(), [](const auto& r) {
    return r.verdict == verdict_kind::inconclusive &&
           (r.reason.rfind("too short", 0) == 0 || r.reason.rfind("no data", 0) == 0);
  });
  std::string out;
  if (v.windows == 0 || v.rows.empty()) {
    out = "Soak verdict: no data to judge\n";
  } else if (all_short) {
    out = "Soak verdict: too short to judge (" + std::to_string(v.windows) + " windows of " +
          format_offset(v.window_s) + " after the warm-up, " + std::to_string(options.min_points) +
          " needed)\n";
  } else {
    out = header(v) + "\n" + table_rows(v, options);
  }
  for (const auto& n : v.notes) out += "Note: " + n + "\n";
  if (!thresholds.empty()) {
    out += "\nThresholds\n";
    for (const auto& t : thresholds) out += "  " + threshold_line(t) + "\n";
  }
  return out;
}

namespace {

nlohmann::json number_or_null(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

nlohmann::json row_json(const analysis::series_verdict& r) {
  nlohmann::json j;
  j["series"] = r.label;
  j["key"] = r.key;
  j["kind"] = analysis::to_string(r.kind);
  j["unit"] = analysis::to_string(r.u);
  j["verdict"] = analysis::to_string(r.verdict);
  j["reason"] = r.reason;
  j["note"] = note_text(r);  // the console's note column
  j["windows"] = r.points;
  j["from_s"] = r.from_s;
  j["to_s"] = r.to_s;
  j["slope_per_hour"] = number_or_null(r.slope * 3600);
  j["slope_ci_per_hour"] = {number_or_null(r.slope_lower * 3600),
                            number_or_null(r.slope_upper * 3600)};
  j["p_value"] = number_or_null(r.p);
  j["autocorrelation_factor"] = number_or_null(r.autocorrelation_factor);
  j["level_start"] = number_or_null(r.level_start);
  j["level_end"] = number_or_null(r.level_end);
  j["change"] = number_or_null(r.change);
  j["relative_change"] = number_or_null(r.relative_change);
  j["practical_change"] = number_or_null(r.practical_change);
  j["seasonal_period_s"] = r.seasonal_period_s;
  if (r.verdict == verdict_kind::step_change)
    j["step"] = {{"at_s", r.step_t_s},
                 {"before", r.step_before},
                 {"after", r.step_after},
                 {"p_value", r.step_p}};
  else
    j["step"] = nullptr;
  if (r.has_limit) {
    j["limit"] = {{"value", r.limit_value},
                  {"implicit", r.limit_implicit},
                  {"reached", r.limit_reached},
                  {"exhaustion_s",
                   r.exhaustion_s ? number_or_null(*r.exhaustion_s) : nlohmann::json(nullptr)},
                  {"exhaustion_ci_s",
                   {number_or_null(r.exhaustion_lower_s), number_or_null(r.exhaustion_upper_s)}}};
  } else {
    j["limit"] = nullptr;
  }
  return j;
}

nlohmann::json threshold_json(const analysis::threshold_result& t) {
  return {{"threshold", t.spec.text},
          {"status", t.status == analysis::threshold_status::passed   ? "passed"
                     : t.status == analysis::threshold_status::failed ? "failed"
                                                                      : "no_data"},
          {"value", number_or_null(t.value)},
          {"unit", std::string(analysis::to_string(t.spec.u)) + (t.spec.slope ? "_per_s" : "")},
          {"where", t.where},
          {"note", t.note}};
}

}  // namespace

nlohmann::json verdict_json(const analysis::soak_verdict& v,
                            const std::vector<analysis::threshold_result>& thresholds) {
  nlohmann::json j;
  j["start_time"] = v.start_wall_s;
  j["warmup_s"] = v.warmup_s;
  j["warmup_auto"] = v.warmup_auto;
  j["analysed_s"] = v.analysed_s;
  j["window_s"] = v.window_s;
  j["windows"] = v.windows;
  j["generator_saturated_share"] = v.saturated_share;
  j["notes"] = v.notes;
  auto rows = nlohmann::json::array();
  for (const auto& r : v.rows) rows.push_back(row_json(r));
  j["series"] = std::move(rows);
  auto ts = nlohmann::json::array();
  for (const auto& t : thresholds) ts.push_back(threshold_json(t));
  j["thresholds"] = std::move(ts);
  return j;
}

std::map<std::pair<std::string, std::string>, nlohmann::json> entry_verdicts_json(
    const analysis::soak_verdict& v) {
  std::map<std::pair<std::string, std::string>, nlohmann::json> out;
  for (const auto& r : v.rows) {
    if (r.method.empty()) continue;  // Aggregated, target and generator rows have no entry
    auto& list = out[{r.method, r.name}];
    if (list.is_null()) list = nlohmann::json::array();
    list.push_back(row_json(r));
  }
  return out;
}

std::string verdict_html(const analysis::soak_verdict& v,
                         const std::vector<analysis::threshold_result>& thresholds) {
  const double per = rate_period(v.analysed_s);
  std::string out = "<h2>Soak verdict</h2>\n<p>" + html_escape(header_detail(v)) + "</p>\n";
  out +=
      "<table class=\"verdict\">\n<tr><th>Series</th><th>Verdict</th><th>Trend</th><th>95% CI</th>"
      "<th>p</th><th>Note</th></tr>\n";
  for (const auto& r : v.rows) {
    const char* cls = r.verdict == verdict_kind::degrading      ? "bad"
                      : r.verdict == verdict_kind::step_change  ? "step"
                      : r.verdict == verdict_kind::inconclusive ? "unknown"
                                                                : "ok";
    out += fmt::format(
        "<tr "
        "class=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
        cls, html_escape(r.label), analysis::to_string(r.verdict), html_escape(trend_text(r, per)),
        html_escape(ci_text(r, per)), r.points >= 3 ? fmt::format("{:.3g}", r.p) : std::string(),
        html_escape(note_text(r)));
  }
  out += "</table>\n";
  for (const auto& n : v.notes) out += "<p>Note: " + html_escape(n) + "</p>\n";
  if (!thresholds.empty()) {
    out +=
        "<h3>Thresholds</h3>\n<table class=\"thresholds\">\n<tr><th>Threshold</th><th>Status</th>"
        "<th>Value</th><th>Note</th></tr>\n";
    for (const auto& t : thresholds) {
      std::string value;
      if (!std::isnan(t.value))
        value =
            t.spec.slope ? format_trend(t.value, t.spec.u, 3600) : format_value(t.value, t.spec.u);
      if (!t.where.empty()) value += " (" + t.where + ")";
      out += fmt::format("<tr class=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                         t.status == analysis::threshold_status::passed ? "ok" : "bad",
                         html_escape(t.spec.text), analysis::to_string(t.status),
                         html_escape(value), html_escape(t.note));
    }
    out += "</table>\n";
  }
  return out;
}

}  // namespace endure::report
