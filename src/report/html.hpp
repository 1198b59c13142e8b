// report HTML: a self-contained single-file run report (inline CSS, charts as inline SVG built
// here; no scripts, no external resources). Pure: returns the document; html_sink writes it.
#pragma once
#include <limits>
#include <string>
#include <vector>

#include "report/chart.hpp"
#include "stats/snapshot.hpp"

namespace endure::report {

// One point of the report's time series: the Aggregated row (or one endpoint) over a stretch of
// the run (one interval, or several merged when the series was downsampled: percentiles then come
// from the merged histogram, rates from the merged counts).
struct chart_point {
  double wall_s = 0;  // end of the stretch
  double rps = 0, fail_per_s = 0;
  double p50_ms = 0, p95_ms = 0, p99_ms = 0;  // NaN when the stretch had no request
  // The web UI's percentile choice (NaN: not known, e.g. p99.9 from a store's single rows).
  double p90_ms = std::numeric_limits<double>::quiet_NaN(), p999_ms = std::numeric_limits<double>::quiet_NaN();
  double users = 0;   // average over the stretch
};

// One endpoint's charts: its series since it was first followed.
struct endpoint_chart {
  std::string method, name;
  double since_wall_s = 0;  // when its series begins (later than the test's start: noted)
  std::vector<chart_point> points;
};

struct html_run_info {
  std::string title = "endure load test report";
  std::string host;           // target, e.g. http://localhost:8080
  std::string locustfile;     // optional
  double start_wall_s = 0;    // 0: taken from the snapshot
  double end_wall_s = 0;      // 0: taken from the snapshot
  double rewrite_every_s = 0; // the report is rewritten this often while the test runs (0: not)
  size_t endpoints_followed = 0;  // the most endpoints with series of their own (for the note)
  // Shown prominently under the title when set: a run that ended abnormally (a report from a
  // run store without an end record), the window a report covers.
  std::vector<std::string> notices;
  // The load shape's stages over the run, shaded on the charts (empty: no shape).
  std::vector<chart_band> stages;
  // The open model or session churn is on: the "Load model" table is shown (otherwise only when
  // arrivals were dropped).
  bool load_model = false;
};

// endpoints: the busiest endpoints' charts, busiest first (none: no per-endpoint section).
// extra_section: HTML placed after the run information (the soak verdict), as given.
std::string html_report(const stats::snapshot& s, const html_run_info& info,
                        const std::vector<chart_point>& history,
                        const std::vector<endpoint_chart>& endpoints = {},
                        const std::string& extra_section = "");

}  // namespace endure::report
