#include "analysis/series_collector.hpp"

#include <algorithm>
#include <cmath>

#include "stats/histogram.hpp"

namespace endure::analysis {

namespace {

constexpr uint32_t coarse_bits = 8;  // 2^7 = 128 sub-buckets per power of two
constexpr uint32_t coarse_exact = 1u << coarse_bits;
constexpr uint32_t coarse_half = coarse_exact / 2;

}  // namespace

uint32_t coarse_index(uint64_t us) {
  const int width = 64 - __builtin_clzll(us | 1);
  const int shift =
      width > static_cast<int>(coarse_bits) ? width - static_cast<int>(coarse_bits) : 0;
  return static_cast<uint32_t>((static_cast<uint64_t>(shift) << (coarse_bits - 1)) + (us >> shift));
}

uint64_t coarse_lower_us(uint32_t index) {
  const uint32_t shift = index < coarse_exact ? 0 : index / coarse_half - 1;
  return static_cast<uint64_t>(index - (shift << (coarse_bits - 1))) << shift;
}

uint64_t coarse_upper_us(uint32_t index) {
  const uint32_t shift = index < coarse_exact ? 0 : index / coarse_half - 1;
  return coarse_lower_us(index) + (uint64_t{1} << shift) - 1;
}

stats::sparse_counts coarsen_histogram(const stats::sparse_counts& fine) {
  stats::sparse_counts out;
  for (const auto& [index, count] : fine) {
    const uint32_t c = coarse_index(stats::histogram::bucket_lower_us(index));
    if (!out.empty() && out.back().first == c)
      out.back().second += count;
    else
      out.emplace_back(c, count);
  }
  return out;
}

double coarse_quantile_us(const stats::sparse_counts& coarse, double q, uint64_t min_us,
                          uint64_t max_us) {
  const uint64_t total = stats::total_count(coarse);
  if (total == 0) return missing;
  if (q <= 0) return static_cast<double>(min_us);
  if (q >= 1) return static_cast<double>(max_us);
  const auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(total)));
  uint64_t seen = 0;
  for (const auto& [index, count] : coarse) {
    seen += count;
    if (seen >= rank) {
      const uint64_t lo = coarse_lower_us(index), hi = coarse_upper_us(index);
      const uint64_t mid = lo + (hi - lo) / 2;
      return static_cast<double>(std::clamp(mid, min_us, std::max(min_us, max_us)));
    }
  }
  return static_cast<double>(max_us);
}

series_collector::series_collector(collector_limits limits) : limits_(limits) {
  limits_.max_windows = std::max<size_t>(4, limits_.max_windows & ~size_t{1});
  reset();
}

void series_collector::reset() {
  stride_ = 1;
  first_id_ = 0;
  started_ = false;
  records_ = 0;
  start_wall_s_ = last_wall_s_ = 0;
  windows_.clear();
  entries_.assign(1, {"", "Aggregated"});
  entry_slots_.clear();
  errors_.clear();
  error_slots_.clear();
  monitors_.clear();
  monitor_slots_.clear();
  untracked_entries_ = untracked_errors_ = untracked_monitors_ = 0;
}

size_t series_collector::entry_slot(const std::string& method, const std::string& name) {
  auto key = std::make_pair(method, name);
  auto it = entry_slots_.find(key);
  if (it != entry_slots_.end()) return it->second;
  if (entries_.size() - 1 >= limits_.max_entries) {
    ++untracked_entries_;
    return 0;
  }
  entries_.push_back(key);
  entry_slots_.emplace(key, entries_.size() - 1);
  return entries_.size() - 1;
}

void series_collector::close(window& w) {
  for (auto& e : w.entries) {
    if (e.open.empty()) continue;
    stats::sparse_counts all;
    stats::unpack(e.packed, all);
    stats::merge_into(all, e.open);
    e.packed = stats::pack(all);
    e.open.clear();
    e.open.shrink_to_fit();
  }
}

void series_collector::combine(window& into, window&& from) {
  if (from.intervals == 0) return;
  if (into.intervals == 0) {
    into = std::move(from);
    return;
  }
  into.start_s = std::min(into.start_s, from.start_s);
  into.end_s = std::max(into.end_s, from.end_s);
  const bool into_users = into.intervals > into.winding_down,
             from_users = from.intervals > from.winding_down;
  if (into_users && from_users) {
    into.users_min = std::min(into.users_min, from.users_min);
    into.users_max = std::max(into.users_max, from.users_max);
  } else if (from_users) {
    into.users_min = from.users_min;
    into.users_max = from.users_max;
  }
  into.winding_down += from.winding_down;
  into.intervals += from.intervals;
  into.users_sum += from.users_sum;
  into.cpu_sum += from.cpu_sum;
  into.lag_sum += from.lag_sum;
  into.rss_sum += from.rss_sum;
  into.saturated += from.saturated;
  if (into.entries.size() < from.entries.size()) into.entries.resize(from.entries.size());
  for (size_t i = 0; i < from.entries.size(); ++i) {
    auto& a = into.entries[i];
    auto& b = from.entries[i];
    if (b.requests != 0) {
      a.min_us = a.requests == 0 ? b.min_us : std::min(a.min_us, b.min_us);
      a.max_us = std::max(a.max_us, b.max_us);
    }
    a.requests += b.requests;
    a.failures += b.failures;
    if (!b.packed.empty()) {
      stats::sparse_counts x, y;
      stats::unpack(a.packed, x);
      stats::unpack(b.packed, y);
      stats::merge_into(x, y);
      a.packed = stats::pack(x);
    }
  }
  if (into.errors.size() < from.errors.size()) into.errors.resize(from.errors.size());
  for (size_t i = 0; i < from.errors.size(); ++i) into.errors[i] += from.errors[i];
  if (into.monitors.size() < from.monitors.size()) into.monitors.resize(from.monitors.size());
  for (size_t i = 0; i < from.monitors.size(); ++i) {
    into.monitors[i].sum += from.monitors[i].sum;
    into.monitors[i].n += from.monitors[i].n;
  }
}

void series_collector::halve() {
  for (auto& w : windows_) close(w);
  size_t out = 0;
  for (size_t i = 0; i < windows_.size(); i += 2) {
    window merged = std::move(windows_[i]);
    if (i + 1 < windows_.size()) combine(merged, std::move(windows_[i + 1]));
    windows_[out++] = std::move(merged);
  }
  windows_.resize(out);
  stride_ *= 2;
}

void series_collector::add(const stats::interval_record& r) {
  if (!started_) {
    started_ = true;
    first_id_ = r.id;
    start_wall_s_ = r.start_wall_s;
    interval_s_ = r.length_ms / 1000.0;
  }
  ++records_;
  last_wall_s_ = std::max(last_wall_s_, r.end_wall_s);
  const uint64_t offset = r.id > first_id_ ? r.id - first_id_ : 0;
  while (offset / stride_ >= limits_.max_windows) halve();
  const size_t index = offset / stride_;
  if (windows_.size() <= index) {
    // Earlier windows are complete: pack them, so only the open one holds unpacked counts.
    for (auto& w : windows_) close(w);
    windows_.resize(index + 1);
  }
  window& w = windows_[index];
  const auto users = static_cast<double>(r.user_count);
  const bool winding_down =
      r.state == stats::run_state::stopping || r.state == stats::run_state::stopped;
  if (w.intervals == 0) {
    w.start_s = r.start_wall_s;
    w.end_s = r.end_wall_s;
  }
  if (!winding_down) {
    if (w.intervals == w.winding_down) w.users_min = w.users_max = users;
    w.users_min = std::min(w.users_min, users);
    w.users_max = std::max(w.users_max, users);
    w.users_sum += users;
  } else {
    ++w.winding_down;
  }
  w.start_s = std::min(w.start_s, r.start_wall_s);
  w.end_s = std::max(w.end_s, r.end_wall_s);
  ++w.intervals;
  w.cpu_sum += r.health.cpu_percent;
  w.lag_sum += r.health.loop_lag_ms;
  w.rss_sum += static_cast<double>(r.health.rss_bytes);
  // The interval's own flag: cpu_saturated says "for 10 s at some point so far" and stays set,
  // so it cannot tell how much of the run was affected.
  w.saturated += r.health.cpu_high ? 1 : 0;

  if (w.entries.empty()) w.entries.resize(1);
  auto add_to = [&](size_t slot, const stats::entry_delta& e, const stats::sparse_counts& coarse) {
    if (w.entries.size() <= slot) w.entries.resize(slot + 1);
    auto& a = w.entries[slot];
    if (e.requests != 0) {
      a.min_us = a.requests == 0 ? e.min_us : std::min(a.min_us, e.min_us);
      a.max_us = std::max(a.max_us, e.max_us);
    }
    a.requests += e.requests;
    a.failures += e.failures;
    stats::merge_into(a.open, coarse);
  };
  for (const auto& e : r.data.entries) {
    const auto coarse = coarsen_histogram(e.latency);
    add_to(0, e, coarse);
    if (const size_t slot = entry_slot(e.method, e.name); slot != 0) add_to(slot, e, coarse);
  }
  for (const auto& f : r.data.failures) {
    auto key = std::make_tuple(f.method, f.name, f.error);
    auto it = error_slots_.find(key);
    size_t slot = 0;
    if (it != error_slots_.end()) {
      slot = it->second;
    } else {
      const auto entry = entry_slots_.find({f.method, f.name});
      if (entry == entry_slots_.end() || errors_.size() >= limits_.max_errors) {
        ++untracked_errors_;
        continue;
      }
      errors_.push_back({entry->second, f.error});
      slot = errors_.size() - 1;
      error_slots_.emplace(key, slot);
    }
    if (w.errors.size() <= slot) w.errors.resize(slot + 1);
    w.errors[slot] += f.count;
  }
  for (const auto& m : r.monitor) {
    auto key = std::make_pair(m.source, m.metric);
    auto it = monitor_slots_.find(key);
    size_t slot = 0;
    if (it != monitor_slots_.end()) {
      slot = it->second;
    } else {
      if (monitors_.size() >= limits_.max_monitors) {
        ++untracked_monitors_;
        continue;
      }
      monitors_.push_back(key);
      slot = monitors_.size() - 1;
      monitor_slots_.emplace(key, slot);
    }
    if (w.monitors.size() <= slot) w.monitors.resize(slot + 1);
    w.monitors[slot].sum += m.value;
    ++w.monitors[slot].n;
  }
}

size_t series_collector::histogram_bytes() const {
  size_t bytes = 0;
  for (const auto& w : windows_)
    for (const auto& e : w.entries)
      bytes += e.packed.capacity() + e.open.capacity() * sizeof(e.open[0]);
  return bytes;
}

namespace {

unit unit_of_metric(const std::string& m) {
  auto ends = [&](const char* suffix) {
    const std::string s(suffix);
    return m.size() >= s.size() && m.compare(m.size() - s.size(), s.size(), s) == 0;
  };
  if (ends("_bytes") || ends("bytes")) return unit::bytes;
  if (ends("_percent") || ends("cpu")) return unit::percent;
  if (ends("_ms")) return unit::ms;
  if (ends("fds") || ends("threads") || ends("_count") || ends("conns") || ends("connections"))
    return unit::count;
  return unit::plain;
}

}  // namespace

run_series series_collector::to_run_series() const {
  run_series run;
  run.start_wall_s = start_wall_s_;
  run.interval_s = interval_s_;
  // The wind-down at the end of a test (users leaving) is not part of the load to judge.
  size_t n = windows_.size();
  while (n > 0 && windows_[n - 1].intervals > 0 &&
         windows_[n - 1].winding_down == windows_[n - 1].intervals)
    --n;
  for (size_t i = 0; i < n; ++i) {
    const auto& w = windows_[i];
    const double width = std::max(w.end_s - w.start_s, 1e-9);
    run.t_s.push_back((w.start_s + w.end_s) / 2 - start_wall_s_);
    run.width_s.push_back(width);
    const auto k = static_cast<double>(std::max<uint64_t>(w.intervals, 1));
    const auto running = static_cast<double>(std::max<uint64_t>(w.intervals - w.winding_down, 1));
    run.users_mean.push_back(w.users_sum / running);
    run.users_min.push_back(w.users_min);
    run.users_max.push_back(w.users_max);
    run.saturated.push_back(static_cast<double>(w.saturated) / k);
  }

  // Per entry: latency percentiles, failure ratio, throughput. A percentile needs enough
  // requests in its window to mean something (1 / (1 - q): 2 for p50, 20 for p95, 100 for p99).
  static constexpr double qs[3] = {0.50, 0.95, 0.99};
  for (size_t slot = 0; slot < entries_.size(); ++slot) {
    const auto& [method, name] = entries_[slot];
    const std::string who = slot == 0 ? "Aggregated" : method + " " + name;
    std::vector<std::vector<double>> lat(3, std::vector<double>(n, missing));
    std::vector<double> ratio(n, missing), rate(n, missing);
    bool any = false;
    for (size_t i = 0; i < n; ++i) {
      const auto& w = windows_[i];
      const entry_acc* e = slot < w.entries.size() ? &w.entries[slot] : nullptr;
      const uint64_t requests = e ? e->requests : 0;
      rate[i] = static_cast<double>(requests) / run.width_s[i];
      if (requests == 0) continue;
      any = true;
      ratio[i] = static_cast<double>(e->failures) / static_cast<double>(requests);
      stats::sparse_counts h;
      stats::unpack(e->packed, h);
      stats::merge_into(h, e->open);
      for (size_t q = 0; q < 3; ++q)
        if (static_cast<double>(requests) >= 1.0 / (1.0 - qs[q]) - 1e-9)
          lat[q][i] = coarse_quantile_us(h, qs[q], e->min_us, e->max_us) / 1000.0;
    }
    if (!any && slot != 0) continue;
    auto make = [&](const std::string& what, series_kind kind, unit u) {
      series s;
      s.key = (slot == 0 ? std::string("Aggregated") : method + " " + name) + "|" + what;
      s.label = who + " " + what;
      s.kind = kind;
      s.u = u;
      s.method = slot == 0 ? "" : method;
      s.name = name;
      return s;
    };
    for (size_t q = 0; q < 3; ++q) {
      auto s = make(q == 0 ? "p50" : q == 1 ? "p95" : "p99", series_kind::latency, unit::ms);
      s.quantile = qs[q];
      s.warmup_reference = slot == 0 && q == 0;
      s.values = std::move(lat[q]);
      run.all.push_back(std::move(s));
    }
    auto f = make("fail ratio", series_kind::fail_ratio, unit::ratio);
    f.values = std::move(ratio);
    run.all.push_back(std::move(f));
    auto t = make("req/s", series_kind::throughput, unit::per_s);
    t.bad = bad_direction::down;
    t.warmup_reference = slot == 0;
    t.values = std::move(rate);
    run.all.push_back(std::move(t));
  }

  // Failure ratio per error kind, for entries with more than one kind (with one, it is the
  // entry's own failure ratio).
  std::map<size_t, size_t> kinds;
  for (const auto& e : errors_) ++kinds[e.entry];
  for (size_t slot = 0; slot < errors_.size(); ++slot) {
    const auto& e = errors_[slot];
    if (kinds[e.entry] < 2) continue;
    series s;
    const auto& [method, name] = entries_[e.entry];
    s.key = method + " " + name + "|fail ratio|" + e.error;
    s.label = method + " " + name + " fail ratio: " + e.error;
    s.kind = series_kind::fail_ratio;
    s.u = unit::ratio;
    s.method = method;
    s.name = name;
    s.error = e.error;
    s.values.assign(n, missing);
    for (size_t i = 0; i < n; ++i) {
      const auto& w = windows_[i];
      const uint64_t requests = e.entry < w.entries.size() ? w.entries[e.entry].requests : 0;
      if (requests == 0) continue;
      const uint64_t count = slot < w.errors.size() ? w.errors[slot] : 0;
      s.values[i] = static_cast<double>(count) / static_cast<double>(requests);
    }
    run.all.push_back(std::move(s));
  }

  // The generator's own health.
  struct health_series {
    const char* key;
    const char* label;
    const char* metric;
    unit u;
    double window::*sum;
  };
  static const health_series health[] = {
      {"generator|cpu", "generator CPU", "cpu_percent", unit::percent, &window::cpu_sum},
      {"generator|loop lag", "generator loop lag", "loop_lag_ms", unit::ms, &window::lag_sum},
      {"generator|rss", "generator RSS", "rss_bytes", unit::bytes, &window::rss_sum},
  };
  for (const auto& h : health) {
    series s;
    s.key = h.key;
    s.label = h.label;
    s.kind = series_kind::generator;
    s.u = h.u;
    s.source = "generator";
    s.metric = h.metric;
    for (size_t i = 0; i < n; ++i)
      s.values.push_back(windows_[i].intervals
                             ? windows_[i].*h.sum / static_cast<double>(windows_[i].intervals)
                             : missing);
    run.all.push_back(std::move(s));
  }

  // Every monitor series, as the mean of its samples in each window.
  for (size_t slot = 0; slot < monitors_.size(); ++slot) {
    const auto& [source, metric] = monitors_[slot];
    series s;
    s.key = "target|" + source + "|" + metric;
    s.label = "target " + source + " " + metric;
    s.kind = series_kind::target;
    s.u = unit_of_metric(metric);
    s.bad = metric.find("free") != std::string::npos || metric.find("avail") != std::string::npos
                ? bad_direction::down
                : bad_direction::up;
    s.source = source;
    s.metric = metric;
    for (size_t i = 0; i < n; ++i) {
      const auto& w = windows_[i];
      const monitor_acc* m = slot < w.monitors.size() ? &w.monitors[slot] : nullptr;
      s.values.push_back(m && m->n ? m->sum / static_cast<double>(m->n) : missing);
    }
    run.all.push_back(std::move(s));
  }

  if (untracked_entries_ > 0)
    run.notes.push_back("names beyond the first " + std::to_string(limits_.max_entries) +
                        " are only in Aggregated");
  if (untracked_errors_ > 0)
    run.notes.push_back("error kinds beyond the first " + std::to_string(limits_.max_errors) +
                        " are only in the failure ratios");
  if (untracked_monitors_ > 0)
    run.notes.push_back("monitor series beyond the first " + std::to_string(limits_.max_monitors) +
                        " are not analysed");
  return run;
}

}  // namespace endure::analysis
