#include "app/monitor_output.hpp"

#include <unistd.h>

#include <cmath>

#include "base/log.hpp"
#include "engine/totals_stage.hpp"
#include "report/monitor.hpp"

namespace endure::app {
namespace {

constexpr size_t max_series =
    200; // series summarised (every one still goes to the store)
constexpr size_t max_chart_points = 400; // per series; even

} // namespace

base::result<std::unique_ptr<monitor_output>>
monitor_output::open(const cli::options &o,
                     std::chrono::milliseconds interval) {
  monitor::monitor_config cfg;
  for (const auto &p : o.monitor_pids)
    cfg.pids.push_back(std::stoi(p)); // checked when read
  cfg.process_names = o.monitor_processes;
  cfg.disks = o.monitor_disks;
  cfg.node_exporters = o.monitor_node_exporters;
  cfg.prometheus = o.monitor_prometheus;
  for (const auto &q : o.monitor_queries) {
    const auto eq = q.find('=');
    cfg.queries.emplace_back(q.substr(0, eq), q.substr(eq + 1));
  }
  cfg.self_pid = static_cast<int>(getpid());
  // A scrape or query may take most of an interval, not more: the next one is
  // due then.
  cfg.http_timeout =
      std::max(std::chrono::milliseconds(500), interval * 9 / 10);
  if (cfg.empty() && cfg.prometheus.empty())
    return std::unique_ptr<monitor_output>();
  auto sources = monitor::make_sources(cfg);
  if (!sources)
    return sources.err();
  std::string names;
  for (const auto &s : *sources)
    names += (names.empty() ? "" : ", ") + s->name();
  base::log_info("monitor", "Watching " + names);
  return std::unique_ptr<monitor_output>(new monitor_output(
      std::make_unique<monitor::sampler>(std::move(*sources), interval)));
}

monitor_output::monitor_output(std::unique_ptr<monitor::sampler> s)
    : sampler_(std::move(s)) {}

monitor_output::~monitor_output() {
  sub_.reset();
  sampler_->stop();
  if (queue_)
    queue_->stop();
}

std::function<std::vector<stats::monitor_sample>()> monitor_output::feed() {
  auto *s = sampler_.get();
  return [s] { return s->take(); };
}

void monitor_output::attach(engine::run_bus &bus) {
  queue_ = std::make_unique<engine::async_output<engine::run_item>>(
      "monitor summary", engine::output_policy::lossless, 600,
      [this](const engine::run_item &item) { consume(item); },
      engine::coalesce_records);
  auto *q = queue_.get();
  sub_ = bus.subscribe([q](const engine::run_item &item) { q->push(item); });
}

bool monitor_output::drain(std::chrono::milliseconds limit) {
  sampler_->stop();
  return queue_ ? queue_->drain(limit) : true;
}

void monitor_output::add(const std::string &source, const std::string &metric,
                         double t, double v) {
  auto key = std::make_pair(source, metric);
  auto it = series_.find(key);
  if (it == series_.end()) {
    if (series_.size() >= max_series || !std::isfinite(v))
      return;
    it = series_.emplace(key, series_acc{}).first;
  }
  auto &a = it->second;
  if (!std::isfinite(v))
    return;
  if (a.n == 0) {
    a.first = a.min = a.max = v;
    a.t0 = t;
  }
  ++a.n;
  a.last = v;
  a.min = std::min(a.min, v);
  a.max = std::max(a.max, v);
  const double x = t - a.t0;
  a.st += x;
  a.sv += v;
  a.stt += x * x;
  a.stv += x * v;
  a.pend_t += t;
  a.pend_v += v;
  if (++a.pend_n >= a.stride) {
    a.t.push_back(a.pend_t / static_cast<double>(a.pend_n));
    a.v.push_back(a.pend_v / static_cast<double>(a.pend_n));
    a.pend_t = a.pend_v = 0;
    a.pend_n = 0;
    if (a.t.size() >= max_chart_points) {
      // Full: neighbours merge, each point now covers twice as many samples.
      for (size_t i = 0; i + 1 < a.t.size(); i += 2) {
        a.t[i / 2] = (a.t[i] + a.t[i + 1]) / 2;
        a.v[i / 2] = (a.v[i] + a.v[i + 1]) / 2;
      }
      a.t.resize(a.t.size() / 2);
      a.v.resize(a.v.size() / 2);
      a.stride *= 2;
    }
  }
}

void monitor_output::consume(const engine::run_item &item) {
  if (const auto *rec = std::get_if<stats::record_ptr>(&item)) {
    if (!*rec)
      return;
    const auto &r = **rec;
    std::lock_guard lock(mutex_);
    if (start_s_ == 0)
      start_s_ = r.start_wall_s;
    for (const auto &m : r.monitor)
      add(m.source, m.metric, r.end_wall_s, m.value);
    if (r.is_final) {
      final_seen_ = true;
      ready_.notify_all();
    }
    return;
  }
  const auto &e = std::get<engine::run_event>(item);
  if (e.kind == engine::event_kind::test_stop) {
    std::lock_guard lock(mutex_);
    final_seen_ = true;
    ready_.notify_all();
  }
}

sinks::annex_source monitor_output::annex(sinks::annex_source inner) {
  return [this, inner]() -> std::optional<sinks::final_annex> {
    std::optional<sinks::final_annex> out = inner ? inner() : std::nullopt;
    std::vector<report::monitor_summary> rows;
    double start_s = 0;
    {
      std::unique_lock lock(mutex_);
      ready_.wait_for(lock, std::chrono::seconds(30),
                      [this] { return final_seen_; });
      start_s = start_s_;
      for (const auto &[key, a] : series_) {
        report::monitor_summary s;
        s.source = key.first;
        s.metric = key.second;
        s.samples = a.n;
        s.first = a.first;
        s.last = a.last;
        s.min = a.min;
        s.max = a.max;
        const double n = static_cast<double>(a.n);
        const double den = n * a.stt - a.st * a.st;
        s.slope_per_s =
            a.n >= 2 && den > 0 ? (n * a.stv - a.st * a.sv) / den : 0;
        s.t_s = a.t;
        s.values = a.v;
        if (a.pend_n > 0) {
          s.t_s.push_back(a.pend_t / static_cast<double>(a.pend_n));
          s.values.push_back(a.pend_v / static_cast<double>(a.pend_n));
        }
        rows.push_back(std::move(s));
      }
    }
    std::vector<std::string> problems;
    for (const auto &st : sampler_->status())
      if (st.failures > 0)
        problems.push_back(st.name + ": " + std::to_string(st.failures) +
                           " failed sample" + (st.failures == 1 ? "" : "s") +
                           " (last: " + st.last_error + ")");
    if (!out)
      out.emplace();
    out->console = report::monitor_table(rows, problems) +
                   (out->console.empty() ? "" : "\n" + out->console);
    out->html = report::monitor_html(rows, problems, start_s) + out->html;
    return out;
  };
}

} // namespace endure::app
