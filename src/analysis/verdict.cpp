#include "analysis/verdict.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "analysis/basic_stats.hpp"
#include "analysis/change_point.hpp"
#include "analysis/mann_kendall.hpp"
#include "analysis/seasonal.hpp"
#include "analysis/warmup.hpp"

namespace endure::analysis {

const char* to_string(unit u) {
  switch (u) {
    case unit::ms: return "ms";
    case unit::ratio: return "ratio";
    case unit::per_s: return "per_s";
    case unit::bytes: return "bytes";
    case unit::percent: return "percent";
    case unit::count: return "count";
    case unit::plain: return "plain";
  }
  return "plain";
}

const char* to_string(series_kind k) {
  switch (k) {
    case series_kind::latency: return "latency";
    case series_kind::fail_ratio: return "fail_ratio";
    case series_kind::throughput: return "throughput";
    case series_kind::target: return "target";
    case series_kind::generator: return "generator";
  }
  return "target";
}

const char* to_string(verdict_kind v) {
  switch (v) {
    case verdict_kind::stable: return "STABLE";
    case verdict_kind::degrading: return "DEGRADING";
    case verdict_kind::improving: return "IMPROVING";
    case verdict_kind::step_change: return "STEP CHANGE";
    case verdict_kind::inconclusive: return "INCONCLUSIVE";
  }
  return "INCONCLUSIVE";
}

size_t soak_verdict::count(verdict_kind v) const {
  return static_cast<size_t>(
      std::count_if(rows.begin(), rows.end(), [v](const auto& r) { return r.verdict == v; }));
}

const series_verdict* soak_verdict::find(const std::string& key) const {
  for (const auto& r : rows)
    if (r.key == key) return &r;
  return nullptr;
}

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();

double practical_floor(unit u, const verdict_config& cfg) {
  switch (u) {
    case unit::ms: return cfg.min_latency_ms;
    case unit::ratio: return cfg.min_fail_ratio;
    case unit::bytes: return cfg.min_bytes;
    case unit::percent: return cfg.min_percent;
    case unit::count: return cfg.min_count;
    case unit::per_s:
    case unit::plain: break;
  }
  return 0;
}

// The size a change from `level` must reach to matter: a share of the level, and never less
// than the unit's floor (a creep of 0.05 ms on a 0.2 ms service is 25% and irrelevant).
double practical_size(double level, unit u, const verdict_config& cfg, series_kind kind) {
  double floor = practical_floor(u, cfg);
  // The generator's loop lag jumps by milliseconds with any pause of its own; it matters when
  // it adds up to a sizeable share of a request's time.
  if (kind == series_kind::generator && u == unit::ms) floor = std::max(floor, cfg.min_loop_lag_ms);
  return std::max(cfg.min_change * std::max(level, 0.0), floor);
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// Residual sum of squares of x around the means of [0, at) and [at, n) (and the residuals).
double two_level_sse(const std::vector<double>& x, size_t at,
                     std::vector<double>* residuals = nullptr) {
  double m1 = 0, m2 = 0;
  for (size_t i = 0; i < at; ++i) m1 += x[i];
  for (size_t i = at; i < x.size(); ++i) m2 += x[i];
  m1 /= static_cast<double>(at);
  m2 /= static_cast<double>(x.size() - at);
  double sse = 0;
  if (residuals) residuals->resize(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const double e = x[i] - (i < at ? m1 : m2);
    sse += e * e;
    if (residuals) (*residuals)[i] = e;
  }
  return sse;
}

// 1.4826 x the median absolute deviation of x[from, to): the standard deviation of normal data,
// unmoved by spikes.
double robust_sd(const std::vector<double>& x, size_t from, size_t to) {
  std::vector<double> part(x.begin() + static_cast<std::ptrdiff_t>(from),
                           x.begin() + static_cast<std::ptrdiff_t>(to));
  const double m = median(part);
  for (double& v : part) v = std::fabs(v - m);
  return 1.4826 * median(std::move(part));
}

}  // namespace

bool metric_matches(const std::string& series_metric, const std::string& wanted) {
  if (series_metric == wanted) return true;
  if (series_metric.size() <= wanted.size() + 1 ||
      series_metric.compare(0, wanted.size(), wanted) != 0 || series_metric[wanted.size()] != '_')
    return false;
  const std::string rest = series_metric.substr(wanted.size() + 1);
  for (const char* suffix : {"bytes", "percent", "seconds", "ms", "total", "count", "ratio"})
    if (rest == suffix) return true;
  return false;
}

series_verdict judge_series(const std::vector<double>& t, const std::vector<double>& x,
                            const series& meta, const series_context& ctx,
                            const verdict_config& cfg) {
  series_verdict v;
  v.key = meta.key;
  v.label = meta.label;
  v.method = meta.method;
  v.name = meta.name;
  v.error = meta.error;
  v.kind = meta.kind;
  v.u = meta.u;
  v.bad = meta.bad;
  const size_t n = std::min(t.size(), x.size());
  v.points = n;
  if (n > 0) {
    v.from_s = t.front();
    v.to_s = t[n - 1];
  }
  if (n == 0 && meta.kind == series_kind::latency) {
    v.reason = "no data: too few requests in each window for this percentile";
    return v;
  }
  if (n < 3 || n < cfg.min_points) {
    v.reason = "too short: " + std::to_string(n) + " windows, " + std::to_string(cfg.min_points) +
               " needed";
    return v;
  }

  const auto season = fit_seasonal(t, x, cfg.periods_s, ctx.wall_offset_s);
  const auto y = remove_seasonal(t, x, season, ctx.wall_offset_s);
  v.seasonal_period_s = season.applied ? season.period_s : 0;

  const auto mk = mann_kendall_test(t, y, cfg.alpha);
  const double span = t[n - 1] - t[0];
  v.slope = mk.sen.slope;
  v.slope_lower = mk.sen.lower;
  v.slope_upper = mk.sen.upper;
  v.p = mk.p;
  v.z = mk.z;
  v.autocorrelation_factor = mk.correction;
  v.level_start = mk.sen.intercept + mk.sen.slope * t[0];
  v.level_end = mk.sen.intercept + mk.sen.slope * t[n - 1];
  v.change = v.slope * span;
  v.change_lower = v.slope_lower * span;
  v.change_upper = v.slope_upper * span;
  if (v.level_start > 0) v.relative_change = v.change / v.level_start;
  const double base = v.level_start > 0 ? v.level_start : std::fabs(median(y));
  v.practical_change = practical_size(base, v.u, cfg, v.kind);
  const bool significant = mk.p < cfg.alpha;
  const auto worse = [&](double delta) { return delta * static_cast<double>(meta.bad) > 0; };

  // A level shift: the rank CUSUM must be significant, two levels must describe the ranks better
  // than a line (a steady creep also gives a large CUSUM, with its peak in the middle), and the
  // shift must be of practical size.
  const size_t min_segment = std::max<size_t>(3, n / 20);
  const auto shift = most_likely_shift(y, min_segment);
  v.step_p = shift.p;
  if (shift.index > 0 && shift.index < n) {
    v.step_t_s = 0.5 * (t[shift.index - 1] + t[shift.index]);
    v.step_before = shift.before;
    v.step_after = shift.after;
    if (shift.p < cfg.alpha) {
      // Two levels must beat the line by BIC, counted with the effective sample size of the
      // two-level residuals (n x variance / long-run variance): with wandering noise a split fits
      // a little better by chance, and each wandering point is worth less than one. On values,
      // not ranks: ranks flatten a jump to the size of the wander around it.
      std::vector<double> resid;
      const double step_sse = two_level_sse(y, shift.index, &resid);
      const double lrv = long_run_variance(resid);
      const double var = step_sse / static_cast<double>(n);
      const double n_eff =
          lrv > 0 ? std::clamp(static_cast<double>(n) * var / lrv, 2.0, static_cast<double>(n))
                  : static_cast<double>(n);
      const double ratio = step_sse / std::max(least_squares(t, y).sse, 1e-300);
      const bool steplike = n_eff * std::log(std::max(ratio, 1e-300)) + std::log(n_eff) < 0;
      const double size = std::fabs(shift.after - shift.before);
      // A step must also stand out of the noise on both sides (twice the robust spread of each
      // segment): slowly wandering noise passes the test now and then, but never this.
      const double spread = std::max(robust_sd(y, 0, shift.index), robust_sd(y, shift.index, n));
      v.has_step =
          steplike && size >= practical_size(shift.before, v.u, cfg, v.kind) && size >= 2 * spread;
    }
  }

  // Time to a limit, along the fitted line from the end of the data.
  if (ctx.limit) {
    v.has_limit = true;
    v.limit_implicit = ctx.limit_implicit;
    v.limit_value = *ctx.limit;
    const double towards = v.limit_value >= v.level_start ? 1.0 : -1.0;  // ceiling or floor
    const double remaining = v.limit_value - v.level_end;
    v.limit_reached = remaining * towards <= 0;
    if (!v.limit_reached && significant && v.slope * towards > 0) {
      v.exhaustion_s = remaining / v.slope;
      const double fast = towards > 0 ? v.slope_upper : v.slope_lower;
      const double slow = towards > 0 ? v.slope_lower : v.slope_upper;
      v.exhaustion_lower_s = fast * towards > 0 ? remaining / fast : inf;
      v.exhaustion_upper_s = slow * towards > 0 ? remaining / slow : inf;
    }
  }

  const double changed_users = ctx.users_max - ctx.users_min;
  if (ctx.load_series && ctx.saturated_share >= cfg.saturated_tolerance) {
    v.reason = "generator saturated " + fixed(100 * ctx.saturated_share, 0) +
               "% of the time: its CPU, not the target, limited the load";
  } else if (ctx.load_series && !ctx.users_periodic &&
             changed_users > cfg.load_tolerance * std::max(ctx.users_max, 1.0)) {
    v.reason = "the offered load changed (users " + fixed(ctx.users_min, 0) + " to " +
               fixed(ctx.users_max, 0) + ")";
  } else if (v.has_step) {
    v.verdict = verdict_kind::step_change;
    v.reason = "level shift";
  } else if (significant && std::fabs(v.change) >= v.practical_change) {
    v.verdict = worse(v.slope) ? verdict_kind::degrading : verdict_kind::improving;
    v.reason = "significant trend of practical size";
  } else if (v.exhaustion_s && *v.exhaustion_s <= std::max(span, 0.0)) {
    v.verdict = verdict_kind::degrading;
    v.reason = "reaches its limit within one more run of this length";
  } else if (v.limit_reached && significant && worse(v.slope)) {
    v.verdict = verdict_kind::degrading;
    v.reason = "past its limit and still moving away";
  } else if (mk.sen.lower_narrow * span > -v.practical_change &&
             mk.sen.upper_narrow * span < v.practical_change) {
    // Equivalence (two one-sided tests): the whole (1 - 2 alpha) interval is within the
    // practical size, so a change that matters is ruled out, not merely unproven.
    v.verdict = verdict_kind::stable;
    v.reason = significant ? "a trend below the practical size" : "no trend";
  } else if (significant) {
    v.reason =
        "a trend whose size may or may not be practical: its interval spans the practical size";
  } else {
    v.reason = "too noisy to rule out a change of practical size";
  }
  return v;
}

run_series coarsen(const run_series& run, size_t max_points) {
  const size_t n = run.windows();
  if (max_points == 0 || n <= max_points) return run;
  const size_t group = (n + max_points - 1) / max_points;
  run_series out;
  out.start_wall_s = run.start_wall_s;
  out.interval_s = run.interval_s;
  out.notes = run.notes;
  out.all.resize(run.all.size());
  for (size_t s = 0; s < run.all.size(); ++s) {
    out.all[s] = run.all[s];
    out.all[s].values.clear();
  }
  for (size_t from = 0; from < n; from += group) {
    const size_t to = std::min(n, from + group);
    double w = 0, tw = 0, uw = 0, sw = 0, umin = inf, umax = -inf;
    for (size_t i = from; i < to; ++i) {
      const double wi = run.width_s[i];
      w += wi;
      tw += run.t_s[i] * wi;
      uw += (i < run.users_mean.size() ? run.users_mean[i] : 0) * wi;
      sw += (i < run.saturated.size() ? run.saturated[i] : 0) * wi;
      if (i < run.users_min.size()) umin = std::min(umin, run.users_min[i]);
      if (i < run.users_max.size()) umax = std::max(umax, run.users_max[i]);
    }
    out.t_s.push_back(w > 0 ? tw / w : run.t_s[from]);
    out.width_s.push_back(w);
    out.users_mean.push_back(w > 0 ? uw / w : 0);
    out.users_min.push_back(std::isfinite(umin) ? umin : 0);
    out.users_max.push_back(std::isfinite(umax) ? umax : 0);
    out.saturated.push_back(w > 0 ? sw / w : 0);
    for (size_t s = 0; s < run.all.size(); ++s) {
      double sum = 0, weight = 0;
      for (size_t i = from; i < to; ++i) {
        const double val = i < run.all[s].values.size() ? run.all[s].values[i] : missing;
        if (std::isnan(val)) continue;
        sum += val * run.width_s[i];
        weight += run.width_s[i];
      }
      out.all[s].values.push_back(weight > 0 ? sum / weight : missing);
    }
  }
  return out;
}

namespace {

// The values of one series over windows [first, n), without the missing ones.
void present(const run_series& run, const series& s, size_t first, std::vector<double>& t,
             std::vector<double>& x) {
  t.clear();
  x.clear();
  for (size_t i = first; i < run.windows() && i < s.values.size(); ++i) {
    if (std::isnan(s.values[i])) continue;
    t.push_back(run.t_s[i]);
    x.push_back(s.values[i]);
  }
}

std::string quantile_name(double q) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "p%g", q * 100);
  return buf;
}

// The limit that applies to a series, if any: the user's, else 0 for a "free" or "available"
// metric falling towards exhaustion.
std::optional<limit> limit_for(const series& s, const verdict_config& cfg, bool& implicit) {
  implicit = false;
  for (const auto& l : cfg.limits) {
    std::string name = l.metric;
    switch (s.kind) {
      case series_kind::target:
        if (name.rfind("target.", 0) == 0) name = name.substr(7);
        if (metric_matches(s.metric, name)) return l;
        break;
      case series_kind::generator:
        if (name.rfind("generator.", 0) == 0 && metric_matches(s.metric, name.substr(10))) return l;
        break;
      case series_kind::latency:
        if (name == quantile_name(s.quantile)) return l;
        break;
      case series_kind::fail_ratio:
        if (name == "fail_ratio" && s.error.empty()) return l;
        break;
      case series_kind::throughput:
        if (name == "rps") return l;
        break;
    }
  }
  if (s.kind == series_kind::target &&
      (s.metric.find("free") != std::string::npos || s.metric.find("avail") != std::string::npos)) {
    implicit = true;
    return limit{s.metric, 0, s.metric + "=0"};
  }
  return std::nullopt;
}

bool is_load(series_kind k) {
  return k == series_kind::latency || k == series_kind::fail_ratio || k == series_kind::throughput;
}

}  // namespace

soak_verdict judge(const run_series& input, const verdict_config& cfg) {
  soak_verdict out;
  out.alpha = cfg.alpha;
  out.start_wall_s = input.start_wall_s;
  run_series run = coarsen(input, cfg.max_points);
  out.notes = run.notes;
  // A last window much shorter than the others (the run stopped inside it) has few samples.
  if (run.windows() >= 3) {
    const double typical = median(run.width_s);
    if (run.width_s.back() < 0.5 * typical) {
      run.t_s.pop_back();
      run.width_s.pop_back();
      if (!run.users_mean.empty()) run.users_mean.pop_back();
      if (!run.users_min.empty()) run.users_min.pop_back();
      if (!run.users_max.empty()) run.users_max.pop_back();
      if (!run.saturated.empty()) run.saturated.pop_back();
      for (auto& s : run.all)
        if (s.values.size() > run.windows()) s.values.resize(run.windows());
    }
  }
  const size_t n = run.windows();
  if (n == 0) {
    out.notes.push_back("no data to analyse");
    return out;
  }
  out.window_s = median(run.width_s);

  // Warm-up: the set one, or the latest start-up end among the reference series (MSER-5) and
  // the end of the ramp to a constant user count.
  size_t first = 0;
  if (cfg.warmup_s) {
    out.warmup_auto = false;
    while (first < n && run.t_s[first] - run.width_s[first] / 2 < *cfg.warmup_s - 1e-9) ++first;
  } else {
    const double per_window = run.interval_s > 0 ? out.window_s / run.interval_s : 1;
    const auto batch =
        static_cast<size_t>(std::max(1.0, std::round(5.0 / std::max(per_window, 1.0))));
    bool any_reference = false;
    for (const auto& s : run.all) any_reference = any_reference || s.warmup_reference;
    std::vector<double> t, x;
    for (const auto& s : run.all) {
      if (any_reference && !s.warmup_reference) continue;
      present(run, s, 0, t, x);
      // MSER on the first part only (its search covers half of what it is given), in batches
      // small enough for four of them to fit (short runs: MSER-1 on single windows).
      const auto head = std::min(t.size(), static_cast<size_t>(2 * cfg.max_warmup_fraction *
                                                               static_cast<double>(t.size())));
      t.resize(head);
      x.resize(head);
      const size_t mser_batch = std::max<size_t>(1, std::min(batch, head / 4));
      const auto cut = mser(t, x, mser_batch);
      if (cut.points == 0 || cut.points >= t.size()) continue;
      // With a handful of batches the minimum lands on the search limit by chance: say it only
      // when there were enough to mean something.
      if (head / mser_batch >= 20) out.warmup_reliable = out.warmup_reliable && cut.reliable;
      size_t index = 0;
      while (index < n && run.t_s[index] < t[cut.points]) ++index;
      first = std::max(first, index);
    }
    // The ramp: the first window entirely at the plateau the second half holds.
    if (run.users_min.size() == n && run.users_max.size() == n && n >= 4) {
      const double plateau = run.users_min[n / 2];
      bool flat = true;
      for (size_t i = n / 2; i < n; ++i)
        flat = flat && run.users_min[i] == plateau && run.users_max[i] == plateau;
      if (flat && plateau > 0) {
        size_t ramp = 0;
        while (ramp < n && run.users_min[ramp] < plateau) ++ramp;
        first = std::max(first, std::min(ramp, n / 2));
      }
    }
  }
  out.warmup_s = first < n ? std::max(0.0, run.t_s[first] - run.width_s[first] / 2) : run.end_s();
  out.windows = first < n ? n - first : 0;
  out.analysed_s = std::max(0.0, run.end_s() - out.warmup_s);

  // The context of load series over the analysed stretch: generator saturation, offered load.
  series_context base;
  base.wall_offset_s = run.start_wall_s;
  double width = 0, saturated = 0;
  base.users_min = inf;
  base.users_max = 0;
  for (size_t i = first; i < n; ++i) {
    width += run.width_s[i];
    if (i < run.saturated.size()) saturated += run.saturated[i] * run.width_s[i];
    if (i < run.users_min.size()) base.users_min = std::min(base.users_min, run.users_min[i]);
    if (i < run.users_max.size()) base.users_max = std::max(base.users_max, run.users_max[i]);
  }
  if (!std::isfinite(base.users_min)) base.users_min = 0;
  base.saturated_share = width > 0 ? saturated / width : 0;
  out.saturated_share = base.saturated_share;
  if (base.users_max - base.users_min > cfg.load_tolerance * std::max(base.users_max, 1.0) &&
      run.users_mean.size() == n) {
    std::vector<double> t(run.t_s.begin() + static_cast<std::ptrdiff_t>(first), run.t_s.end());
    std::vector<double> u(run.users_mean.begin() + static_cast<std::ptrdiff_t>(first),
                          run.users_mean.end());
    // A load that follows a daily shape is judged on the load series with that shape removed.
    base.users_periodic = fit_seasonal(t, u, cfg.periods_s, run.start_wall_s, 0.9).applied;
  }

  std::vector<double> t, x;
  for (const auto& s : run.all) {
    present(run, s, first, t, x);
    series_context ctx = base;
    ctx.load_series = is_load(s.kind);
    if (auto l = limit_for(s, cfg, ctx.limit_implicit)) ctx.limit = l->value;
    out.rows.push_back(judge_series(t, x, s, ctx, cfg));
  }
  if (!out.warmup_reliable)
    out.notes.push_back("the start-up transient may go on past the first " +
                        fixed(100 * cfg.max_warmup_fraction, 0) +
                        "% of the run, where MSER-5 looks for its end: set --warmup if it does");
  return out;
}

}  // namespace endure::analysis
