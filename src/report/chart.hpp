// report charts: inline SVG line charts for the HTML report. Time axes are labelled with the clock
// time (UTC) and the time elapsed since the test started, at round steps of elapsed time (10 s,
// 5 min, 1 h, 1 day ...); value axes have round ticks (1, 2, 2.5 or 5 times a power of ten). Pure:
// returns markup; no I/O, no clocks.
#pragma once
#include <string>
#include <vector>

namespace endure::report {

struct chart_series {
  std::string label, color;
  std::vector<double> values;  // one per time
};

struct axis_tick {
  double value = 0;       // where: a time (Unix seconds) or a value
  std::string label;      // clock time, or the value as text
  std::string sublabel;   // elapsed time ("+1h30m"); empty on value axes
};

// Ticks for a time axis from `from_s` to `to_s` (Unix seconds), at whole multiples of a round step
// of time elapsed since `start_s` (the test's start), at most `max_ticks` of them.
std::vector<axis_tick> time_ticks(double from_s, double to_s, double start_s, int max_ticks = 8);
// Round ticks from 0 to at least `vmax` (the last tick is the axis's top), at most max_ticks + 1.
std::vector<axis_tick> value_ticks(double vmax, int max_ticks = 5);
// "+0", "+45s", "+5m", "+1h30m", "+2d12h": elapsed time at the precision of an axis.
std::string elapsed_label(double seconds);

// A stretch of time shaded behind a chart's lines: a load shape's stage (label: its name).
struct chart_band {
  double from_s = 0, to_s = 0;  // Unix seconds
  std::string label;
};

// A line chart of the series over times_s. The time axis starts at start_s (the test's start;
// 0: the first time) and its ticks say both the clock time and the elapsed time. width in px.
// A value that is not finite (NaN: nothing measured there) leaves a gap in its line.
std::string svg_chart(const std::string& title, const std::vector<double>& times_s,
                      const std::vector<chart_series>& series, const std::string& unit,
                      double start_s = 0, int width = 900,
                      const std::vector<chart_band>& bands = {});

}  // namespace endure::report
