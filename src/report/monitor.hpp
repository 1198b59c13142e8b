// report monitor: the console table and the HTML section of target monitoring:
// per series (source, metric) the first, last, min and max value and the
// least-squares slope per hour, and a chart per source on the run's time axis.
// Pure: summaries in, text out.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace endure::report {

struct monitor_summary {
  std::string source, metric;
  uint64_t samples = 0;
  double first = 0, last = 0, min = 0, max = 0;
  double slope_per_s =
      0; // least-squares slope of value over time; 0 with fewer than 2 samples
  // For the chart: times (Unix seconds) and values, at most a few hundred
  // points (means of runs of samples when the run is long).
  std::vector<double> t_s, values;
};

// "" when there is nothing; else a titled table, one row per series, and a line
// per source that failed (`problems`: "pid 4242: process 4242 has exited (3
// failed samples)").
std::string monitor_table(const std::vector<monitor_summary> &series,
                          const std::vector<std::string> &problems);
// A section of the HTML report: the same table and one chart per (source,
// metric), aligned on the test's start (start_s).
std::string monitor_html(const std::vector<monitor_summary> &series,
                         const std::vector<std::string> &problems,
                         double start_s);
// A value in the metric's unit (guessed from its name: _bytes, _percent, fds,
// threads ...).
std::string format_monitor_value(const std::string &metric, double v);

} // namespace endure::report
