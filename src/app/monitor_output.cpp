#include "app/monitor_output.hpp"

#include <unistd.h>

#include <cmath>

#include "base/log.hpp"
#include "engine/totals_stage.hpp"
#include "report/monitor.hpp"

namespace endure::app {
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

void monitor_output::consume(const engine::run_item &item) {
  if (const auto *rec = std::get_if<stats::record_ptr>(&item)) {
    if (!*rec)
      return;
    const auto &r = **rec;
    std::lock_guard lock(mutex_);
    if (start_s_ == 0)
      start_s_ = r.start_wall_s;
    for (const auto &m : r.monitor)
      series_.add(m.source, m.metric, r.end_wall_s, m.value);
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

monitor_output::summary_state
monitor_output::summary(std::chrono::milliseconds wait) const {
  summary_state out;
  {
    std::unique_lock lock(mutex_);
    ready_.wait_for(lock, wait, [this] { return final_seen_; });
    out.start_s = start_s_;
    out.rows = series_.summaries();
  }
  for (const auto &st : sampler_->status())
    if (st.failures > 0)
      out.problems.push_back(st.name + ": " + std::to_string(st.failures) +
                             " failed sample" + (st.failures == 1 ? "" : "s") +
                             " (last: " + st.last_error + ")");
  return out;
}

sinks::annex_source monitor_output::annex(sinks::annex_source inner) {
  return [this, inner]() -> std::optional<sinks::final_annex> {
    std::optional<sinks::final_annex> out = inner ? inner() : std::nullopt;
    const auto s = summary(std::chrono::seconds(30));
    if (!out)
      out.emplace();
    out->console = report::monitor_table(s.rows, s.problems) +
                   (out->console.empty() ? "" : "\n" + out->console);
    out->html = report::monitor_html(s.rows, s.problems, s.start_s) + out->html;
    return out;
  };
}

} // namespace endure::app
