// report HTML: a self-contained single-file run report (inline CSS, charts as inline SVG built
// here; no scripts, no external resources). Pure: returns the document; html_sink writes it.
#pragma once
#include <string>
#include <vector>

#include "stats/snapshot.hpp"

namespace endure::report {

// One point of the report's time series: the Aggregated row over a stretch of the run (one
// interval, or several merged when the series was downsampled: percentiles then come from the
// merged histogram, rates from the merged counts).
struct chart_point {
  double wall_s = 0;  // end of the stretch
  double rps = 0, fail_per_s = 0;
  double p50_ms = 0, p95_ms = 0, p99_ms = 0;
  double users = 0;   // average over the stretch
};

struct html_run_info {
  std::string title = "endure load test report";
  std::string host;           // target, e.g. http://localhost:8080
  std::string locustfile;     // optional
  double start_wall_s = 0;    // 0: taken from the snapshot
  double end_wall_s = 0;      // 0: taken from the snapshot
  // Shown prominently under the title when set: a run that ended abnormally (a report from a
  // run store without an end record), the window a report covers.
  std::vector<std::string> notices;
};

// An SVG line chart of the given series over time (exposed for tests).
struct chart_series {
  std::string label, color;
  std::vector<double> values;  // one per time
};
std::string svg_chart(const std::string& title, const std::vector<double>& times_s,
                      const std::vector<chart_series>& series, const std::string& unit);

std::string html_report(const stats::snapshot& s, const html_run_info& info,
                        const std::vector<chart_point>& history);

}  // namespace endure::report
