#include "app/verdict_output.hpp"

#include <algorithm>
#include <cstdio>

#include "base/log.hpp"
#include "engine/totals_stage.hpp"
#include "report/verdict.hpp"

namespace endure::app {

namespace {

// Records a lossless queue may hold before it merges them (exactly: coarser time).
constexpr size_t queue_capacity = 600;
// Live judgements: every this many intervals at least, or every window once windows are longer.
constexpr uint64_t live_every = 10;

}  // namespace

base::result<verdict_output::settings> verdict_output::settings_from(const cli::options& o) {
  settings s;
  s.verdict.alpha = o.trend_alpha;
  s.verdict.min_change = o.trend_min_change;
  s.verdict.min_latency_ms = o.trend_min_latency_ms;
  s.verdict.min_fail_ratio = o.trend_min_fail_ratio;
  if (o.warmup) s.verdict.warmup_s = static_cast<double>(o.warmup->count()) / 1000.0;
  for (const auto& text : o.limits) {
    auto l = analysis::parse_limit(text);
    if (!l)
      return base::make_error("invalid value '" + text + "' for --limit: expected " +
                              l.err().message);
    s.verdict.limits.push_back(*l);
  }
  for (const auto& text : o.thresholds) {
    auto t = analysis::parse_threshold(text);
    if (!t)
      return base::make_error("invalid value '" + text + "' for --threshold: expected " +
                              t.err().message);
    s.thresholds.push_back(*t);
  }
  s.abort_on_threshold = o.abort_on_threshold;
  return s;
}

verdict_output::verdict_output(settings s)
    : settings_(std::move(s)), thresholds_(settings_.thresholds) {}

verdict_output::~verdict_output() {
  sub_.reset();
  if (queue_) queue_->stop();
}

void verdict_output::attach(engine::run_bus& bus, std::function<void(const std::string&)> stop) {
  stop_ = std::move(stop);
  queue_ = std::make_unique<engine::async_output<engine::run_item>>(
      "soak verdict", engine::output_policy::lossless, queue_capacity,
      [this](const engine::run_item& item) { consume(item); }, engine::coalesce_records);
  auto* q = queue_.get();
  sub_ = bus.subscribe([q](const engine::run_item& item) { q->push(item); });
}

void verdict_output::seed(const stats::interval_record& r) {
  collector_.add(r);
  thresholds_.add(r);
}

bool verdict_output::drain(std::chrono::milliseconds limit) {
  return queue_ ? queue_->drain(limit) : true;
}

void verdict_output::consume(const engine::run_item& item) {
  if (const auto* rec = std::get_if<stats::record_ptr>(&item)) {
    if (*rec) on_record(**rec);
    return;
  }
  const auto& e = std::get<engine::run_event>(item);
  switch (e.kind) {
    case engine::event_kind::test_start:
    case engine::event_kind::stats_reset: {
      // The verdict covers what the statistics cover: a new test, or after --reset-stats.
      collector_.reset();
      thresholds_.reset();
      since_live_ = 0;
      announced_.clear();
      failed_live_.clear();
      failed_live_order_.clear();
      aborted_by_.clear();
      pending_.clear();
      stopped_ = finished_ = false;
      std::lock_guard lock(mutex_);
      if (e.kind == engine::event_kind::test_start) final_.reset();
      latest_.clear();
      break;
    }
    case engine::event_kind::test_stop:
      if (!finished_) finish();  // a test without a final record still gets its verdict
      break;
    default: break;
  }
}

void verdict_output::on_record(const stats::interval_record& r) {
  collector_.add(r);
  thresholds_.add(r);
  if (r.is_final) {
    finish();
    return;
  }
  const double elapsed = r.end_wall_s - collector_.start_wall_s();
  if (++since_live_ >= std::max(live_every, collector_.stride())) {
    since_live_ = 0;
    live(elapsed);
    return;
  }
  // Plain thresholds every interval (slope ones come with the live judgement above).
  if (!thresholds_.empty() && settings_.abort_on_threshold) {
    static const analysis::run_series none;
    static const analysis::soak_verdict nothing;
    const auto results = thresholds_.evaluate(none, nothing, settings_.verdict);
    for (const auto& t : results) {
      if (t.spec.slope || t.status != analysis::threshold_status::failed) continue;
      live(elapsed);
      return;
    }
  }
}

void verdict_output::live(double elapsed_s) {
  const auto run = collector_.to_run_series();
  const auto verdict = analysis::judge(run, settings_.verdict);
  // Announcing live looks at the data many times, while a daily shape or slowly wandering noise
  // can look like a trend over the hours seen so far. So a first alarm needs alpha / 10, and it is
  // announced once every look up to 1.5 times its elapsed time still sees it (at alpha):
  // bench/verdict_campaign.cpp measures what this leaves (docs/verdict.md has the figures).
  auto strict = settings_.verdict;
  strict.alpha /= 10;
  const auto first_look = analysis::judge(run, strict);
  auto alarmed = [](const analysis::series_verdict& v) {
    return v.verdict == analysis::verdict_kind::degrading ||
           v.verdict == analysis::verdict_kind::step_change;
  };
  for (size_t i = 0; i < verdict.rows.size() && i < first_look.rows.size(); ++i) {
    const auto& row = verdict.rows[i];
    if (announced_.count(row.key)) continue;
    auto pending = pending_.find(row.key);
    if (pending == pending_.end()) {
      if (!alarmed(first_look.rows[i])) continue;
      pending_.emplace(row.key, elapsed_s);
      base::log_debug("soak", report::verdict_line(first_look.rows[i], first_look.analysed_s) +
                                  " (to be confirmed at " + report::format_offset(1.5 * elapsed_s) +
                                  ")");
      continue;
    }
    if (!alarmed(row)) {
      pending_.erase(pending);
      continue;
    }
    if (elapsed_s < 1.5 * pending->second) continue;
    announced_.insert(row.key);
    base::log_warning("soak", report::verdict_line(row, verdict.analysed_s));
  }
  const auto live_thresholds = thresholds_.empty()
                                   ? std::vector<analysis::threshold_result>{}
                                   : thresholds_.evaluate(run, verdict, settings_.verdict);
  publish(verdict, live_thresholds, "live", elapsed_s);
  if (thresholds_.empty()) return;
  // Threshold failures count live once the warm-up (--warmup, else 10 intervals) is over, so
  // that the first slow requests of a cold start do not end a run on their own.
  const double settle_s = std::max(settings_.verdict.warmup_s.value_or(0.0), 10 * run.interval_s);
  if (elapsed_s < settle_s) return;
  for (const auto& t : live_thresholds) {
    if (t.status != analysis::threshold_status::failed) continue;
    if (!failed_live_.insert(t.spec.text).second) continue;
    failed_live_order_.push_back(t.spec.text);
    base::log_warning("soak", "threshold " + report::threshold_line(t));
    if (settings_.abort_on_threshold && !stopped_ && stop_) {
      stopped_ = true;
      aborted_by_ = t.spec.text;
      base::log_warning("soak", "stopping the test (--abort-on-threshold)");
      stop_("threshold");
    }
  }
}

std::vector<engine::run_event> soak_events(const verdict_output::final_state& soak, double wall_s, uint64_t test) {
  std::vector<engine::run_event> out;
  for (const auto& t : soak.thresholds)
    out.push_back(engine::run_event{engine::event_kind::threshold, wall_s, test, 0, report::threshold_line(t)});
  for (const auto& r : soak.verdict.rows)
    if (r.verdict != analysis::verdict_kind::stable && r.verdict != analysis::verdict_kind::inconclusive)
      out.push_back(engine::run_event{engine::event_kind::verdict, wall_s, test, 0,
                                      report::verdict_line(r, soak.verdict.analysed_s)});
  return out;
}

size_t settle_final_thresholds(std::vector<analysis::threshold_result>& results) {
  size_t failed = 0;
  for (auto& t : results) {
    if (t.status == analysis::threshold_status::no_data) t.status = analysis::threshold_status::failed;
    if (t.status == analysis::threshold_status::failed) ++failed;
  }
  return failed;
}

bool report_failed_thresholds(const std::vector<analysis::threshold_result>& results) {
  size_t failed = 0;
  std::string lines;
  for (const auto& t : results)
    if (t.status == analysis::threshold_status::failed) {
      ++failed;
      lines += "  " + report::threshold_line(t, false) + "\n";
    }
  if (failed == 0) return false;
  std::fprintf(stderr, "endure: %zu threshold%s failed:\n%s", failed, failed == 1 ? "" : "s", lines.c_str());
  std::fflush(stderr);
  return true;
}

void verdict_output::finish() {
  finished_ = true;
  final_state f;
  const auto run = collector_.to_run_series();
  f.verdict = analysis::judge(run, settings_.verdict);
  f.thresholds = thresholds_.evaluate(run, f.verdict, settings_.verdict);
  f.failed = settle_final_thresholds(f.thresholds);
  f.failed_live = failed_live_order_;
  f.aborted_by = aborted_by_;
  publish(f.verdict, f.thresholds, "final", run.end_s());
  {
    std::lock_guard lock(mutex_);
    final_ = std::move(f);
  }
  ready_.notify_all();
}

void verdict_output::publish(const analysis::soak_verdict& v,
                             const std::vector<analysis::threshold_result>& t, const char* state,
                             double elapsed_s) {
  report::verdict_table_options table;
  table.min_points = settings_.verdict.min_points;
  nlohmann::json j = {{"state", state},
                      {"at", collector_.start_wall_s() + elapsed_s},
                      {"elapsed_s", elapsed_s},
                      {"table", report::verdict_table(v, t, table)},
                      {"verdict", report::verdict_json(v, t)}};
  std::string text = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::lock_guard lock(mutex_);
  latest_ = std::move(text);
}

std::string verdict_output::latest_json() const {
  std::lock_guard lock(mutex_);
  return latest_.empty() ? std::string(R"({"state":"none"})") : latest_;
}

std::optional<verdict_output::final_state> verdict_output::final_result(
    std::chrono::milliseconds wait) const {
  std::unique_lock lock(mutex_);
  ready_.wait_for(lock, wait, [this] { return final_.has_value(); });
  return final_;
}

sinks::annex_source verdict_output::annex() {
  return [this]() -> std::optional<sinks::final_annex> {
    auto f = final_result(settings_.annex_wait);
    if (!f) {
      base::log_warning(
          "soak", "the soak verdict was not ready in time: the outputs are written without it");
      return std::nullopt;
    }
    sinks::final_annex a;
    report::verdict_table_options table;
    table.min_points = settings_.verdict.min_points;
    a.console = report::verdict_table(f->verdict, f->thresholds, table);
    a.entries = report::entry_verdicts_json(f->verdict);
    a.run = report::verdict_json(f->verdict, f->thresholds);
    a.html = report::verdict_html(f->verdict, f->thresholds);
    return a;
  };
}

}  // namespace endure::app
