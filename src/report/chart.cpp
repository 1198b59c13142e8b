#include "report/chart.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>

#include "report/format.hpp"

namespace endure::report {

namespace {

constexpr int chart_h = 240, pad_l = 64, pad_r = 20, pad_t = 30, pad_b = 48;

// Steps of elapsed time an axis may use, in seconds: each a round number on a clock.
constexpr double time_steps[] = {1,    2,    5,     10,    15,    30,    60,     120,    300,
                                 600,  900,  1800,  3600,  7200,  10800, 21600,  43200,  86400,
                                 172800, 604800, 1209600, 2592000};

std::string clock_label(double wall_s, double step_s, bool with_date) {
  const auto t = static_cast<std::time_t>(std::floor(wall_s + 0.5));
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  if (step_s >= 86400)
    std::strftime(buf, sizeof buf, "%m-%d", &tm);
  else if (with_date)
    std::strftime(buf, sizeof buf, step_s < 60 ? "%m-%d %H:%M:%S" : "%m-%d %H:%M", &tm);
  else
    std::strftime(buf, sizeof buf, step_s < 60 ? "%H:%M:%S" : "%H:%M", &tm);
  return buf;
}

// A value at the precision of its axis's step, without trailing zeros: 0.25, 2.5, 15000.
std::string value_label(double v, double step) {
  int decimals = std::max(0, -static_cast<int>(std::floor(std::log10(step) + 1e-9)));
  if (std::fabs(step * std::pow(10.0, decimals) - std::round(step * std::pow(10.0, decimals))) > 1e-6)
    ++decimals;  // 2.5 x 10^k needs one more digit
  std::string s = fmt::format("{:.{}f}", v, decimals);
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

}  // namespace

std::string elapsed_label(double seconds) {
  auto s = static_cast<int64_t>(std::llround(std::max(0.0, seconds)));
  if (s == 0) return "+0";
  const int64_t d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60, sec = s % 60;
  std::string out = "+";
  if (d > 0) out += fmt::format("{}d", d);
  if (h > 0) out += fmt::format("{}h", h);
  if (m > 0 && d == 0) out += fmt::format("{}m", m);
  if (sec > 0 && d == 0 && h == 0) out += fmt::format("{}s", sec);
  return out;
}

std::vector<axis_tick> time_ticks(double from_s, double to_s, double start_s, int max_ticks) {
  std::vector<axis_tick> out;
  if (!(to_s > from_s) || max_ticks < 1) return out;
  if (start_s <= 0 || start_s > to_s) start_s = from_s;
  const double span = to_s - from_s;
  double step = time_steps[std::size(time_steps) - 1];
  for (double s : time_steps)
    if (span / s <= max_ticks) {
      step = s;
      break;
    }
  while (span / step > max_ticks) step *= 2;  // beyond a month: powers of two of a month
  const bool with_date = to_s - start_s >= 86400 && step < 86400;
  for (double k = std::ceil((from_s - start_s) / step - 1e-9); start_s + k * step <= to_s + 1e-9; k += 1) {
    const double t = start_s + k * step;
    out.push_back({t, clock_label(t, step, with_date), elapsed_label(t - start_s)});
  }
  return out;
}

std::vector<axis_tick> value_ticks(double vmax, int max_ticks) {
  if (!(vmax > 0) || !std::isfinite(vmax)) vmax = 1;
  max_ticks = std::max(1, max_ticks);
  const double raw = vmax / max_ticks;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * mag;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * mag >= raw * (1 - 1e-9)) {
      step = m * mag;
      break;
    }
  const int n = static_cast<int>(std::ceil(vmax / step - 1e-9));
  std::vector<axis_tick> out;
  for (int i = 0; i <= std::max(n, 1); ++i) {
    const double v = step * i;
    out.push_back({v, value_label(v, step), {}});
  }
  return out;
}

std::string svg_chart(const std::string& title, const std::vector<double>& times_s,
                      const std::vector<chart_series>& series, const std::string& unit,
                      double start_s, int width, const std::vector<chart_band>& bands) {
  const int chart_w = std::max(300, width);
  std::string out = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {} {}\" "
      "width=\"{}\" height=\"{}\" role=\"img\" aria-label=\"{}\">\n",
      chart_w, chart_h, chart_w, chart_h, html_escape(title));
  out += fmt::format("<text x=\"{}\" y=\"18\" class=\"title\">{}</text>\n", pad_l,
                     html_escape(title));
  double t1 = times_s.empty() ? 1 : times_s.back();
  double t0 = start_s > 0 && (times_s.empty() || start_s <= t1) ? start_s
                                                                : (times_s.empty() ? 0 : times_s.front());
  if (t1 <= t0) t1 = t0 + 1;
  double vmax = 0;
  for (const auto& s : series)
    for (double v : s.values)
      if (std::isfinite(v)) vmax = std::max(vmax, v);
  const auto yt = value_ticks(vmax);
  const double top = yt.back().value;
  const double pw = chart_w - pad_l - pad_r, ph = chart_h - pad_t - pad_b;
  auto x_of = [&](double t) { return pad_l + (t - t0) / (t1 - t0) * pw; };
  auto y_of = [&](double v) { return pad_t + ph - std::clamp(v / top, 0.0, 1.0) * ph; };
  // Stages first, behind the grid and the lines: alternate shades, the name at the top left and
  // in the tooltip.
  for (size_t i = 0; i < bands.size(); ++i) {
    const double a = std::max(bands[i].from_s, t0), b = std::min(bands[i].to_s, t1);
    if (b <= a) continue;
    const double xa = x_of(a), xb = x_of(b);
    out += fmt::format(
        "<g class=\"stage\"><title>stage {}</title><rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" "
        "height=\"{:.1f}\" fill=\"{}\"/>",
        html_escape(bands[i].label), xa, pad_t, xb - xa, ph, i % 2 ? "#eef3fb" : "#f7f3e8");
    if (xb - xa > 7.0 * static_cast<double>(bands[i].label.size()) + 6)
      out += fmt::format("<text x=\"{:.1f}\" y=\"{}\" class=\"axis stage-label\">{}</text>",
                         xa + 3, pad_t + 11, html_escape(bands[i].label));
    out += "</g>\n";
  }
  for (const auto& t : yt) {
    const double y = y_of(t.value);
    out += fmt::format(
        "<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" class=\"grid\"/>"
        "<text x=\"{}\" y=\"{:.1f}\" class=\"axis ytick\" text-anchor=\"end\" data-value=\"{}\">{}</text>\n",
        pad_l, y, chart_w - pad_r, y, pad_l - 4, y + 4, html_escape(t.label), html_escape(t.label));
  }
  // At most one tick per ~110 px, so two-line labels do not collide.
  const int max_x = std::max(2, static_cast<int>(pw / 110));
  const double ph_bottom = pad_t + ph;
  const double tick_start = start_s > 0 ? start_s : t0;
  for (const auto& t : time_ticks(t0, t1, tick_start, max_x)) {
    const double x = x_of(t.value);
    // Labels at the edges are anchored inside the chart; the first one (the start) says what
    // the two lines are.
    const char* anchor = x < pad_l + 40 ? "start" : x > chart_w - pad_r - 40 ? "end" : "middle";
    const bool first = t.value - tick_start < 0.5;
    out += fmt::format(
        "<line x1=\"{:.1f}\" y1=\"{}\" x2=\"{:.1f}\" y2=\"{:.1f}\" class=\"grid\"/>"
        "<text x=\"{:.1f}\" y=\"{:.1f}\" class=\"axis xtick\" text-anchor=\"{}\" "
        "data-time=\"{:.0f}\" data-elapsed-s=\"{:.0f}\">{}</text>"
        "<text x=\"{:.1f}\" y=\"{:.1f}\" class=\"axis xsub\" text-anchor=\"{}\">{}</text>\n",
        x, pad_t, x, ph_bottom, x, ph_bottom + 15, anchor, t.value, t.value - tick_start,
        html_escape(first ? t.label + " UTC" : t.label), x, ph_bottom + 29, anchor,
        html_escape(first ? "elapsed " + t.sublabel : t.sublabel));
  }
  // The legend after the title, each entry as wide as its text (about 7 px a character).
  double legend_x = pad_l + 7.5 * static_cast<double>(title.size()) + 24;
  for (const auto& s : series) {
    // A point without a value (no request in that stretch: no percentile) breaks the line.
    std::string lines, points;
    const size_t n = std::min(s.values.size(), times_s.size());
    auto flush = [&] {
      if (!points.empty())
        lines += fmt::format(
            "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\" points=\"{}\"/>\n",
            html_escape(s.color), points);
      points.clear();
    };
    for (size_t i = 0; i < n; ++i) {
      if (!std::isfinite(s.values[i])) {
        flush();
        continue;
      }
      points += fmt::format("{:.1f},{:.1f} ", x_of(times_s[i]), y_of(s.values[i]));
    }
    flush();
    out += lines;
    const std::string text = s.label + (unit.empty() ? "" : " (" + unit + ")");
    out += fmt::format(
        "<rect x=\"{:.0f}\" y=\"9\" width=\"10\" height=\"10\" fill=\"{}\"/>"
        "<text x=\"{:.0f}\" y=\"18\" class=\"axis\">{}</text>\n",
        legend_x, html_escape(s.color), legend_x + 14, html_escape(text));
    legend_x += 14 + 6.5 * static_cast<double>(text.size()) + 16;
  }
  out += "</svg>\n";
  return out;
}

}  // namespace endure::report
