// analysis verdict: the soak verdict per series. Start-up excluded (MSER-5 or a set warm-up),
// windows at most max_points, a daily shape removed when there is one, then Mann-Kendall with
// the Hamed-Rao correction, Sen's slope and its interval, a rank-CUSUM change point and the
// time until a limit is reached. A verdict needs statistical significance AND a practical size;
// when the data cannot tell, it says INCONCLUSIVE and why. Pure: time comes in as data.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "analysis/series.hpp"

namespace endure::analysis {

// A level a series must not reach: --limit 'rss=8GB' (growing towards it) or a floor such as
// disk free reaching 0 (falling towards it): which one follows from where the series is.
struct limit {
  std::string metric;  // "rss", "disk_free_bytes", "p95", "fail_ratio", "generator.rss"
  double value = 0;    // in the matching series' unit (bytes, ms, ratio, ...)
  std::string text;    // as the user wrote it
};

struct verdict_config {
  double alpha = 0.05;             // significance of trend and change-point tests
  double min_change = 0.10;        // practical size: change over the analysed time / level
  double min_latency_ms = 1.0;     // and at least this for latency series
  double min_fail_ratio = 0.001;   // and at least this for failure ratios (0.1 point)
  double min_bytes = 1 << 20;      // and at least this for byte series (1 MiB)
  double min_percent = 2.0;        // and at least this for CPU percentages (points)
  double min_count = 1.0;          // and at least this for counts (fds, threads)
  double min_loop_lag_ms = 10.0;   // and at least this for the generator's loop lag
  std::optional<double> warmup_s;  // set: exclude exactly this; unset: MSER-5
  // MSER-5 searches the first tenth of the run: a level shift later on is a finding, not a
  // warm-up (MSER would cut up to it). A ramp to a constant user count is cut whatever its length
  // up to half the run.
  double max_warmup_fraction = 0.1;
  size_t min_points = 10;                     // windows needed after the warm-up
  size_t max_points = 256;                    // more windows are averaged down to this
  std::vector<double> periods_s = {86400.0};  // shapes removed when present (a day)
  double saturated_tolerance = 0.01;          // share of time the generator may be saturated
  double load_tolerance = 0.05;  // user count change that makes load series inconclusive
  std::vector<limit> limits;
};

enum class verdict_kind { stable, degrading, improving, step_change, inconclusive };
const char* to_string(verdict_kind v);  // "STABLE", "DEGRADING", ...

struct series_verdict {
  std::string key, label;
  std::string method, name, error;  // load series: the entry (and error kind), as in series
  series_kind kind = series_kind::latency;
  unit u = unit::plain;
  bad_direction bad = bad_direction::up;
  verdict_kind verdict = verdict_kind::inconclusive;
  std::string reason;  // why, in a few words: "too short: 4 windows, 10 needed", ...

  size_t points = 0;
  double from_s = 0, to_s = 0;   // the analysed stretch, seconds from the start
  double seasonal_period_s = 0;  // a periodic shape was removed (0: none)
  // The trend (units of the series per second) and its (1 - alpha) interval.
  double slope = 0, slope_lower = 0, slope_upper = 0;
  double p = 1, z = 0;
  double autocorrelation_factor = 1;                      // Hamed-Rao variance inflation
  double level_start = 0, level_end = 0;                  // the fitted line at the start and end
  double change = 0, change_lower = 0, change_upper = 0;  // slope x analysed time
  double relative_change = missing;  // change / level_start (missing when the level is <= 0)
  double practical_change = 0;       // the size a change must reach to count
  // The most likely level shift (has_step: it passed test and size; step_p is its p-value).
  bool has_step = false;
  double step_t_s = 0, step_before = 0, step_after = 0, step_p = 1;
  // Time to a limit, from the end of the data (seconds; bounds from the slope's interval,
  // infinity when that bound moves away from the limit). has_limit: a limit applies.
  bool has_limit = false, limit_implicit = false, limit_reached = false;
  double limit_value = 0;
  std::optional<double> exhaustion_s;
  double exhaustion_lower_s = 0, exhaustion_upper_s = 0;
};

struct soak_verdict {
  double alpha = 0.05;      // of the tests (intervals are 1 - alpha)
  double start_wall_s = 0;  // Unix time of t = 0 (the rows' from_s, to_s, step_t_s count from it)
  double warmup_s = 0;      // excluded from the start
  bool warmup_auto = true;  // found by MSER-5 (false: --warmup)
  bool warmup_reliable = true;
  double analysed_s = 0;  // from the end of the warm-up to the end of the data
  double window_s = 0;    // typical window length analysed
  size_t windows = 0;
  double saturated_share = 0;  // of the analysed time
  std::vector<series_verdict> rows;
  std::vector<std::string> notes;

  size_t count(verdict_kind v) const;
  const series_verdict* find(const std::string& key) const;
};

// The verdict of every series of a run.
soak_verdict judge(const run_series& run, const verdict_config& cfg);

// Windows averaged in consecutive groups so there are at most max_points (exposed for tests).
run_series coarsen(const run_series& run, size_t max_points);

// One series alone (exposed for tests): t in seconds, x its values (no missing ones).
struct series_context {
  double wall_offset_s = 0;    // Unix time of t = 0, for the phase of a daily shape
  bool load_series = false;    // latency, failures, throughput: judged on the load only
  double saturated_share = 0;  // of the analysed time
  double users_min = 0, users_max = 0;
  bool users_periodic = false;  // the user count follows a periodic shape
  std::optional<double> limit;  // in the series' unit
  bool limit_implicit = false;
};
series_verdict judge_series(const std::vector<double>& t, const std::vector<double>& x,
                            const series& meta, const series_context& ctx,
                            const verdict_config& cfg);

// Whether a monitor metric name matches a user's name for it: "rss" matches "rss_bytes", and
// "disk_free" matches "disk_free_bytes" (a unit suffix may be left out).
bool metric_matches(const std::string& series_metric, const std::string& wanted);

}  // namespace endure::analysis
