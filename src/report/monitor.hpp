// report monitor: the console table and the HTML section of target monitoring:
// per series (source, metric) the first, last, min and max value and the
// least-squares slope per hour, and a chart per source on the run's time axis.
// Pure: summaries in, text out.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <utility>
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

// Builds the summaries from samples as they come, in O(1) memory per series (at most
// max_chart_points chart points, neighbours merged when full), keeping at most max_series
// series. The live run (app::monitor_output) and `endure report` (from the store) feed it the
// same samples stamped the same way (the end of their interval record), so they summarise alike.
class monitor_accumulator {
 public:
  static constexpr size_t max_series = 200;
  static constexpr size_t max_chart_points = 400;  // per series; even

  // A sample `v` of (source, metric) at Unix time t_s; not finite values are skipped.
  void add(const std::string &source, const std::string &metric, double t_s, double v);
  // One summary per series, by (source, metric).
  std::vector<monitor_summary> summaries() const;
  bool empty() const { return series_.empty(); }

 private:
  struct series_acc {
    uint64_t n = 0;
    double first = 0, last = 0, min = 0, max = 0;
    // Least squares on (t - t0, v).
    double t0 = 0, st = 0, sv = 0, stt = 0, stv = 0;
    // Chart points: means of `stride` samples; halved when full.
    std::vector<double> t, v;
    double pend_t = 0, pend_v = 0;
    uint64_t pend_n = 0, stride = 1;
  };
  std::map<std::pair<std::string, std::string>, series_acc> series_;
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
