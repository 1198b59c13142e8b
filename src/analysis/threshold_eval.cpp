#include "analysis/threshold_eval.hpp"

#include <algorithm>
#include <cmath>

namespace endure::analysis {

const char* to_string(threshold_status s) {
  switch (s) {
    case threshold_status::passed: return "passed";
    case threshold_status::failed: return "FAILED";
    case threshold_status::no_data: return "no data";
  }
  return "no data";
}

namespace {

// Trailing windows are held as this many slots at most (a window of 2 h: one slot a minute).
constexpr double slots_per_window = 120;

bool lower_is_better(const threshold& t) {
  return t.op == comparison::lt || t.op == comparison::le;
}

bool in_scope(const threshold& t, const std::string& method, const std::string& name) {
  if (t.aggregated) return true;
  return name == t.name && (t.method.empty() || method == t.method);
}

}  // namespace

threshold_evaluator::threshold_evaluator(std::vector<threshold> list) : list_(std::move(list)) {
  reset();
}

void threshold_evaluator::reset() { states_.assign(list_.size(), state{}); }

void threshold_evaluator::add_to(const threshold& t, const stats::interval_record& r,
                                 acc& a) const {
  if (!a.has_time) {
    a.start_s = r.start_wall_s;
    a.has_time = true;
  }
  a.start_s = std::min(a.start_s, r.start_wall_s);
  a.end_s = std::max(a.end_s, r.end_wall_s);
  auto worst = [&](double v, const std::string& where) {
    if (!a.has_worst || (lower_is_better(t) ? v > a.worst : v < a.worst)) {
      a.worst = v;
      a.worst_where = where;
      a.has_worst = true;
    }
  };
  switch (t.metric) {
    case threshold_metric::target:
      for (const auto& m : r.monitor)
        if (metric_matches(m.metric, t.sub_metric)) worst(m.value, m.source + " " + m.metric);
      return;
    case threshold_metric::generator:
      if (t.sub_metric == "cpu")
        worst(r.health.cpu_percent, "");
      else if (t.sub_metric == "lag")
        worst(r.health.loop_lag_ms, "");
      else
        worst(static_cast<double>(r.health.rss_bytes), "");
      return;
    default: break;
  }
  for (const auto& e : r.data.entries) {
    if (!in_scope(t, e.method, e.name)) continue;
    if (e.requests != 0) {
      a.min_us = a.requests == 0 ? e.min_us : std::min(a.min_us, e.min_us);
      a.max_us = std::max(a.max_us, e.max_us);
    }
    a.requests += e.requests;
    a.failures += e.failures;
    a.sum_us += e.sum_us;
    if (t.metric == threshold_metric::quantile) stats::merge_into(a.latency, e.latency);
  }
}

void threshold_evaluator::combine(acc& into, const acc& from, const threshold& t) {
  if (from.has_time) {
    into.start_s = into.has_time ? std::min(into.start_s, from.start_s) : from.start_s;
    into.end_s = std::max(into.end_s, from.end_s);
    into.has_time = true;
  }
  if (from.requests != 0) {
    into.min_us = into.requests == 0 ? from.min_us : std::min(into.min_us, from.min_us);
    into.max_us = std::max(into.max_us, from.max_us);
  }
  into.requests += from.requests;
  into.failures += from.failures;
  into.sum_us += from.sum_us;
  stats::merge_into(into.latency, from.latency);
  if (from.has_worst && (!into.has_worst || (lower_is_better(t) ? from.worst > into.worst
                                                                : from.worst < into.worst))) {
    into.worst = from.worst;
    into.worst_where = from.worst_where;
    into.has_worst = true;
  }
}

void threshold_evaluator::add(const stats::interval_record& r) {
  for (size_t i = 0; i < list_.size(); ++i) {
    const threshold& t = list_[i];
    if (t.slope) continue;  // judged on the verdict's series
    state& s = states_[i];
    add_to(t, r, s.whole);
    if (!t.window_s) continue;
    s.slot_s = std::max(r.length_ms / 1000.0, *t.window_s / slots_per_window);
    const auto id = static_cast<int64_t>(std::floor(r.end_wall_s / s.slot_s - 1e-9));
    if (s.trail.empty() || s.trail.back().id != id) s.trail.push_back({id, acc{}});
    add_to(t, r, s.trail.back().data);
    // Keep the slots that overlap the window ending now (rounded out to whole slots).
    const auto keep = static_cast<int64_t>(std::ceil(*t.window_s / s.slot_s - 1e-9));
    while (!s.trail.empty() && s.trail.front().id <= id - keep) s.trail.pop_front();
  }
}

threshold_result threshold_evaluator::plain(const threshold& t, const acc& a) const {
  threshold_result out;
  out.spec = t;
  double v = missing;
  const bool latency = t.metric == threshold_metric::quantile ||
                       t.metric == threshold_metric::avg || t.metric == threshold_metric::min ||
                       t.metric == threshold_metric::max;
  const double span = a.has_time ? a.end_s - a.start_s : 0;
  switch (t.metric) {
    case threshold_metric::quantile:
      if (a.requests > 0) {
        uint64_t us = 0;
        stats::sparse_quantiles(a.latency, a.min_us, a.max_us, &t.quantile, 1, &us);
        v = static_cast<double>(us) / 1000.0;
      }
      break;
    case threshold_metric::avg:
      if (a.requests > 0)
        v = static_cast<double>(a.sum_us) / static_cast<double>(a.requests) / 1000.0;
      break;
    case threshold_metric::min:
      if (a.requests > 0) v = static_cast<double>(a.min_us) / 1000.0;
      break;
    case threshold_metric::max:
      if (a.requests > 0) v = static_cast<double>(a.max_us) / 1000.0;
      break;
    case threshold_metric::fail_ratio:
      if (a.requests > 0) v = static_cast<double>(a.failures) / static_cast<double>(a.requests);
      break;
    case threshold_metric::failures:
      if (a.has_time) v = static_cast<double>(a.failures);
      break;
    case threshold_metric::requests:
      if (a.has_time) v = static_cast<double>(a.requests);
      break;
    case threshold_metric::rps:
      if (span > 0) v = static_cast<double>(a.requests) / span;
      break;
    case threshold_metric::fail_per_s:
      if (span > 0) v = static_cast<double>(a.failures) / span;
      break;
    case threshold_metric::target:
    case threshold_metric::generator:
      if (a.has_worst) v = a.worst;
      out.where = a.worst_where;
      break;
  }
  out.value = v;
  if (std::isnan(v)) {
    out.note = latency || t.metric == threshold_metric::fail_ratio ? "no request matched"
               : t.metric == threshold_metric::target              ? "no monitor sample matched"
                                                                   : "no interval yet";
    return out;
  }
  out.status = satisfies(t, v) ? threshold_status::passed : threshold_status::failed;
  return out;
}

threshold_result threshold_evaluator::sloped(const threshold& t, const run_series& run,
                                             const soak_verdict& whole,
                                             const verdict_config& cfg) const {
  threshold_result out;
  out.spec = t;
  // The series the threshold reads (several: every method of a name, every source of a target
  // metric; each must pass).
  std::vector<const series*> matched;
  std::string what;
  switch (t.metric) {
    case threshold_metric::quantile: {
      char buf[16];
      std::snprintf(buf, sizeof buf, "p%g", t.quantile * 100);
      what = buf;
      break;
    }
    case threshold_metric::fail_ratio: what = "fail ratio"; break;
    case threshold_metric::rps: what = "req/s"; break;
    default: break;
  }
  for (const auto& s : run.all) {
    bool match = false;
    if (t.metric == threshold_metric::target) {
      match = s.kind == series_kind::target && metric_matches(s.metric, t.sub_metric);
    } else if (t.metric == threshold_metric::generator) {
      match = s.kind == series_kind::generator &&
              s.key == (t.sub_metric == "lag" ? "generator|loop lag" : "generator|" + t.sub_metric);
    } else if (s.kind != series_kind::generator && s.kind != series_kind::target &&
               s.error.empty()) {
      const std::string suffix = "|" + what;
      const bool right_metric =
          s.key.size() > suffix.size() &&
          s.key.compare(s.key.size() - suffix.size(), suffix.size(), suffix) == 0;
      match = right_metric && (t.aggregated ? s.name == "Aggregated" && s.method.empty()
                                            : s.name == t.name && !s.method.empty() &&
                                                  (t.method.empty() || s.method == t.method));
    }
    if (match) matched.push_back(&s);
  }
  if (matched.empty()) {
    out.note =
        t.metric == threshold_metric::target ? "no monitor series matched" : "no request matched";
    return out;
  }

  // Over a trailing window: the windows whose middle lies in it, judged without a warm-up.
  soak_verdict windowed;
  const soak_verdict* verdict = &whole;
  if (t.window_s) {
    run_series part;
    part.start_wall_s = run.start_wall_s;
    part.interval_s = run.interval_s;
    const double from = run.end_s() - *t.window_s;
    std::vector<size_t> keep;
    for (size_t i = 0; i < run.windows(); ++i)
      if (run.t_s[i] >= from) keep.push_back(i);
    auto pick = [&](const std::vector<double>& v) {
      std::vector<double> out_v;
      for (size_t i : keep) out_v.push_back(i < v.size() ? v[i] : missing);
      return out_v;
    };
    part.t_s = pick(run.t_s);
    part.width_s = pick(run.width_s);
    part.users_mean = pick(run.users_mean);
    part.users_min = pick(run.users_min);
    part.users_max = pick(run.users_max);
    part.saturated = pick(run.saturated);
    for (const auto* s : matched) {
      series copy = *s;
      copy.values = pick(s->values);
      part.all.push_back(std::move(copy));
    }
    verdict_config c = cfg;
    c.warmup_s = 0;
    windowed = judge(part, c);
    verdict = &windowed;
  }

  // A failing series decides, else the worst one; a slope past the limit fails only when the
  // trend is significant (otherwise the estimate is noise and says nothing about the limit).
  const series_verdict* shown = nullptr;
  const series* shown_series = nullptr;
  bool failed = false;
  for (const auto* s : matched) {
    const series_verdict* v = verdict->find(s->key);
    if (!v || v->points < std::max<size_t>(cfg.min_points, 3)) {
      if (out.note.empty()) out.note = v ? v->reason : "no data";
      continue;
    }
    const bool counts = !satisfies(t, v->slope) && v->p < cfg.alpha;
    const bool worse =
        !shown || (lower_is_better(t) ? v->slope > shown->slope : v->slope < shown->slope);
    if ((counts && !failed) || (!failed && worse)) {
      shown = v;
      shown_series = s;
    }
    failed = failed || counts;
  }
  if (!shown) return out;
  out.note.clear();
  out.value = shown->slope;
  if (matched.size() > 1) out.where = shown_series->label;
  if (!satisfies(t, shown->slope) && !failed) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "not significant (p %.3g)", shown->p);
    out.note = buf;
  }
  out.status = failed ? threshold_status::failed : threshold_status::passed;
  return out;
}

std::vector<threshold_result> threshold_evaluator::evaluate(const run_series& run,
                                                            const soak_verdict& whole,
                                                            const verdict_config& cfg) const {
  std::vector<threshold_result> out;
  for (size_t i = 0; i < list_.size(); ++i) {
    const threshold& t = list_[i];
    if (t.slope) {
      out.push_back(sloped(t, run, whole, cfg));
      continue;
    }
    const state& s = states_[i];
    if (!t.window_s) {
      out.push_back(plain(t, s.whole));
      continue;
    }
    acc merged;
    for (const auto& sl : s.trail) combine(merged, sl.data, t);
    out.push_back(plain(t, merged));
  }
  return out;
}

}  // namespace endure::analysis
