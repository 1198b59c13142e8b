#include "stats/recorder.hpp"

#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <unordered_map>

#include "stats/histogram.hpp"

namespace endure::stats {

const char* to_string(run_state s) {
  switch (s) {
    case run_state::ready: return "ready";
    case run_state::spawning: return "spawning";
    case run_state::running: return "running";
    case run_state::stopping: return "stopping";
    case run_state::stopped: return "stopped";
  }
  return "unknown";
}

namespace {

// Keys join their parts with a unit separator, which never appears in methods or names we
// group by; a name containing it would only risk merging with a look-alike entry.
constexpr char key_sep = '\x1f';

void make_key(std::string& out, std::string_view a, std::string_view b) {
  out.assign(a);
  out.push_back(key_sep);
  out.append(b);
}

void make_key(std::string& out, std::string_view a, std::string_view b, std::string_view c) {
  make_key(out, a, b);
  out.push_back(key_sep);
  out.append(c);
}

struct sv_hash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

template <class V>
using sv_map = std::unordered_map<std::string, V, sv_hash, std::equal_to<>>;

// Intervals an idle recorder entry survives before its histograms are freed.
constexpr uint32_t idle_intervals_before_eviction = 60;
// Beyond max_entries, folded names keep their method; beyond this many extra entries even the
// method is folded, so the bound holds whatever methods arrive.
constexpr size_t extra_fold_entries = 16;
constexpr size_t max_failure_kinds = 1000;
constexpr size_t max_exception_kinds = 500;
constexpr size_t max_nodes_listed = 16;

}  // namespace

// ---------------------------------------------------------------------------------------------
// shard_recorder

struct shard_recorder::impl {
  struct live_entry {
    std::string method, name;
    histogram latency, intended;
    uint64_t requests = 0, failures = 0, sum_us = 0, min_us = 0, max_us = 0, content_bytes = 0;
    uint64_t intended_min_us = 0, intended_max_us = 0;
    double first_wall_s = 0, last_wall_s = 0;
    uint32_t idle_intervals = 0;
  };

  sv_map<live_entry> entries;
  sv_map<failure_delta> failures;
  sv_map<exception_delta> exceptions;
  std::string key_buf;
  live_entry* last = nullptr;  // cache: consecutive samples usually share the key
  size_t named_entries = 0;    // entries other than the folded ones

  live_entry& find_entry(std::string_view method, std::string_view name) {
    if (last != nullptr && last->name == name && last->method == method) return *last;
    make_key(key_buf, method, name);
    auto it = entries.find(std::string_view(key_buf));
    if (it == entries.end()) {
      if ((named_entries >= max_entries && name != other_names_entry) ||
          entries.size() >= max_entries + extra_fold_entries) {
        name = other_names_entry;
        if (entries.size() >= max_entries + extra_fold_entries) method = "";
        make_key(key_buf, method, name);
        it = entries.find(std::string_view(key_buf));
      }
      if (it == entries.end()) {
        it = entries.emplace(key_buf, live_entry{}).first;
        if (name != other_names_entry) ++named_entries;
        it->second.method = method;
        it->second.name = name;
      }
    }
    last = &it->second;
    return it->second;
  }
};

shard_recorder::shard_recorder() : impl_(std::make_unique<impl>()) {}
shard_recorder::~shard_recorder() = default;

void shard_recorder::record(const request_sample& s) {
  auto& e = impl_->find_entry(s.method, s.name);
  const uint64_t lat = s.latency_us > 0 ? static_cast<uint64_t>(s.latency_us) : 0;
  const uint64_t ilat = s.intended_latency_us > s.latency_us
                            ? static_cast<uint64_t>(s.intended_latency_us) : lat;
  if (e.requests == 0) {
    e.min_us = e.max_us = lat;
    e.intended_min_us = e.intended_max_us = ilat;
    e.first_wall_s = s.wall_s;
  } else {
    e.min_us = std::min(e.min_us, lat);
    e.max_us = std::max(e.max_us, lat);
    e.intended_min_us = std::min(e.intended_min_us, ilat);
    e.intended_max_us = std::max(e.intended_max_us, ilat);
  }
  e.latency.record(lat);
  e.intended.record(ilat);
  ++e.requests;
  e.sum_us += lat;
  e.content_bytes += s.content_bytes;
  e.last_wall_s = std::max(e.last_wall_s, s.wall_s);
  if (s.error.empty()) return;

  ++e.failures;
  auto& key = impl_->key_buf;
  make_key(key, e.method, e.name, s.error);
  auto it = impl_->failures.find(std::string_view(key));
  if (it == impl_->failures.end()) {
    failure_delta f;
    f.method = e.method;
    f.name = e.name;
    f.error = s.error;
    f.first_wall_s = s.wall_s;
    it = impl_->failures.emplace(key, std::move(f)).first;
  }
  ++it->second.count;
  it->second.first_wall_s = std::min(it->second.first_wall_s, s.wall_s);
  it->second.last_wall_s = std::max(it->second.last_wall_s, s.wall_s);
}

void shard_recorder::record_exception(std::string_view message, std::string_view traceback) {
  auto& key = impl_->key_buf;
  make_key(key, message, traceback);
  auto it = impl_->exceptions.find(std::string_view(key));
  if (it == impl_->exceptions.end()) {
    exception_delta x;
    x.message = message;
    x.traceback = traceback;
    x.node = "local";
    it = impl_->exceptions.emplace(key, std::move(x)).first;
  }
  ++it->second.count;
}

shard_delta shard_recorder::take_delta() {
  shard_delta d;
  auto& m = *impl_;
  for (auto it = m.entries.begin(); it != m.entries.end();) {
    auto& e = it->second;
    if (e.requests == 0) {
      if (++e.idle_intervals >= idle_intervals_before_eviction) {
        if (m.last == &e) m.last = nullptr;
        if (e.name != other_names_entry) --m.named_entries;
        it = m.entries.erase(it);
        continue;
      }
      ++it;
      continue;
    }
    entry_delta ed;
    ed.method = e.method;
    ed.name = e.name;
    ed.requests = e.requests;
    ed.failures = e.failures;
    ed.sum_us = e.sum_us;
    ed.min_us = e.min_us;
    ed.max_us = e.max_us;
    ed.content_bytes = e.content_bytes;
    ed.latency = e.latency.to_sparse();
    ed.intended = e.intended.to_sparse();
    ed.intended_min_us = e.intended_min_us;
    ed.intended_max_us = e.intended_max_us;
    ed.first_wall_s = e.first_wall_s;
    ed.last_wall_s = e.last_wall_s;
    d.entries.push_back(std::move(ed));
    e.latency.reset();
    e.intended.reset();
    e.requests = e.failures = e.sum_us = e.min_us = e.max_us = e.content_bytes = 0;
    e.intended_min_us = e.intended_max_us = 0;
    e.first_wall_s = e.last_wall_s = 0;
    e.idle_intervals = 0;
    ++it;
  }
  d.failures.reserve(m.failures.size());
  for (auto& [k, f] : m.failures) d.failures.push_back(std::move(f));
  m.failures.clear();
  d.exceptions.reserve(m.exceptions.size());
  for (auto& [k, x] : m.exceptions) d.exceptions.push_back(std::move(x));
  m.exceptions.clear();
  return d;
}

// ---------------------------------------------------------------------------------------------
// aggregator

namespace {

constexpr size_t window_slots = 10;  // 10 intervals of 1 s: Locust's 10 s "current" window

struct agg_entry {
  std::string method, name;
  histogram total, intended, window, interval;
  uint64_t requests = 0, failures = 0, sum_us = 0, min_us = 0, max_us = 0, content_bytes = 0;
  double first_wall_s = 0, last_wall_s = 0;
  // the open interval
  uint64_t iv_requests = 0, iv_failures = 0, iv_min_us = 0, iv_max_us = 0;
  struct slot {
    uint64_t requests = 0, failures = 0, min_us = 0, max_us = 0;
    sparse_counts counts;
  };
  std::array<slot, window_slots> ring;

  void apply(const entry_delta& d) {
    const histogram::exact_totals lat{d.min_us, d.max_us, d.sum_us};
    total.merge_sparse(d.latency, lat);
    interval.merge_sparse(d.latency, lat);
    if (d.intended_max_us != 0) {
      intended.merge_sparse(d.intended, {d.intended_min_us, d.intended_max_us, 0});
    } else {
      intended.merge_sparse(d.intended);
    }
    min_us = requests == 0 ? d.min_us : std::min(min_us, d.min_us);
    max_us = std::max(max_us, d.max_us);
    if (d.first_wall_s > 0)
      first_wall_s = first_wall_s == 0 ? d.first_wall_s : std::min(first_wall_s, d.first_wall_s);
    last_wall_s = std::max(last_wall_s, d.last_wall_s);
    requests += d.requests;
    failures += d.failures;
    sum_us += d.sum_us;
    content_bytes += d.content_bytes;
    iv_min_us = iv_requests == 0 ? d.min_us : std::min(iv_min_us, d.min_us);
    iv_max_us = std::max(iv_max_us, d.max_us);
    iv_requests += d.requests;
    iv_failures += d.failures;
  }
};

double ms(uint64_t us) { return static_cast<double>(us) / 1000.0; }

}  // namespace

struct aggregator::impl {
  double start_wall_s = 0;
  uint64_t sequence = 0;
  std::map<std::pair<std::string, std::string>, agg_entry> entries;  // (name, method): sorted
  agg_entry total;
  size_t ring_pos = 0, ring_filled = 0;
  std::array<double, window_slots> ring_interval_s{};
  std::map<std::string, failure_row> failures;
  struct exception_acc {
    exception_row row;
    std::set<std::string> nodes;
  };
  std::map<std::string, exception_acc> exceptions;
  std::string key_buf;
  size_t named_entries = 0;

  agg_entry& find_entry(const std::string& method, const std::string& name) {
    auto it = entries.find({name, method});
    if (it != entries.end()) return it->second;
    std::pair<std::string, std::string> key{name, method};
    if ((named_entries >= max_entries && name != other_names_entry) ||
        entries.size() >= max_entries + extra_fold_entries) {
      key.first = other_names_entry;
      if (entries.size() >= max_entries + extra_fold_entries && !entries.count(key))
        key.second = "";
    }
    auto [pos, inserted] = entries.try_emplace(key);
    if (inserted) {
      if (key.first != other_names_entry) ++named_entries;
      pos->second.name = key.first;
      pos->second.method = key.second;
    }
    return pos->second;
  }

  void clear(double start) {
    start_wall_s = start;
    entries.clear();
    named_entries = 0;
    total = agg_entry{};
    ring_pos = ring_filled = 0;
    ring_interval_s.fill(0);
    failures.clear();
    exceptions.clear();
  }

  // Rolls an entry's window by one interval; returns nothing, fills the interval fields of r.
  void roll(agg_entry& e, row& r) {
    r.interval_requests = e.iv_requests;
    r.interval_failures = e.iv_failures;
    r.interval_p50_ms = ms(e.interval.value_at_quantile(0.50));
    r.interval_p95_ms = ms(e.interval.value_at_quantile(0.95));
    r.interval_p99_ms = ms(e.interval.value_at_quantile(0.99));
    auto& slot = e.ring[ring_pos];
    if (slot.requests != 0 || e.iv_requests != 0) {
      e.window.subtract_sparse(slot.counts);
      slot.requests = e.iv_requests;
      slot.failures = e.iv_failures;
      slot.min_us = e.iv_min_us;
      slot.max_us = e.iv_max_us;
      slot.counts = e.interval.to_sparse();
      e.window.merge(e.interval);
      e.interval.reset();
    }
    e.iv_requests = e.iv_failures = e.iv_min_us = e.iv_max_us = 0;
  }

  void fill_row(const agg_entry& e, row& r, double window_s, double last_request_wall_s,
                bool with_buckets) {
    r.method = e.method;
    r.name = e.name;
    r.num_requests = e.requests;
    r.num_failures = e.failures;
    r.total_latency_us = e.sum_us;
    r.total_content_bytes = e.content_bytes;
    r.first_request_wall_s = e.first_wall_s;
    r.last_request_wall_s = e.last_wall_s;
    if (e.requests != 0) {
      const auto n = static_cast<double>(e.requests);
      r.avg_ms = ms(e.sum_us) / n;
      r.min_ms = ms(e.min_us);
      r.max_ms = ms(e.max_us);
      r.avg_content_bytes = static_cast<double>(e.content_bytes) / n;
      const double span_s = std::max(1e-9, last_request_wall_s - start_wall_s);
      r.total_rps = n / span_s;
      r.total_fail_per_s = static_cast<double>(e.failures) / span_s;
      std::array<uint64_t, report_percentiles.size()> tot{}, itd{};
      e.total.values_at_quantiles(report_percentiles.data(), tot.size(), tot.data());
      e.intended.values_at_quantiles(report_percentiles.data(), itd.size(), itd.data());
      for (size_t i = 0; i < report_percentiles.size(); ++i) {
        r.percentiles_ms[i] = ms(tot[i]);
        r.intended_percentiles_ms[i] = ms(itd[i]);
      }
      r.median_ms = r.percentiles_ms[0];
      if (with_buckets) r.latency_buckets = e.total.to_sparse();
    }
    uint64_t w_req = 0, w_fail = 0, w_min = 0, w_max = 0;
    for (const auto& s : e.ring) {
      if (s.requests == 0) continue;
      w_min = w_req == 0 ? s.min_us : std::min(w_min, s.min_us);
      w_max = std::max(w_max, s.max_us);
      w_req += s.requests;
      w_fail += s.failures;
    }
    r.current_requests = w_req;
    if (window_s > 0) {
      r.current_rps = static_cast<double>(w_req) / window_s;
      r.current_fail_per_s = static_cast<double>(w_fail) / window_s;
    }
    if (w_req != 0) {
      // The window histogram's own min/max are stale after subtraction: clamp to the slots'.
      std::array<uint64_t, report_percentiles.size()> win{};
      e.window.values_at_quantiles(report_percentiles.data(), win.size(), win.data());
      for (size_t i = 0; i < report_percentiles.size(); ++i) {
        const double q = report_percentiles[i];
        const uint64_t v = q >= 1.0 ? w_max : q <= 0 ? w_min : win[i];
        r.current_percentiles_ms[i] = ms(std::clamp(v, w_min, w_max));
      }
    }
  }
};

aggregator::aggregator(double start_wall_s) : impl_(std::make_unique<impl>()) {
  impl_->start_wall_s = start_wall_s;
}
aggregator::~aggregator() = default;

void aggregator::merge(const shard_delta& d) {
  auto& m = *impl_;
  for (const auto& ed : d.entries) {
    if (ed.requests == 0) continue;
    m.find_entry(ed.method, ed.name).apply(ed);
    m.total.apply(ed);
  }
  for (const auto& f : d.failures) {
    if (f.count == 0) continue;
    make_key(m.key_buf, f.method, f.name, f.error);
    auto it = m.failures.find(m.key_buf);
    if (it == m.failures.end() && m.failures.size() >= max_failure_kinds) {
      make_key(m.key_buf, "", other_names_entry, "(other errors)");
      it = m.failures.find(m.key_buf);
      if (it == m.failures.end()) {
        failure_row r{"", other_names_entry, "(other errors)", 0, f.first_wall_s, f.last_wall_s};
        it = m.failures.emplace(m.key_buf, std::move(r)).first;
      }
    } else if (it == m.failures.end()) {
      failure_row r{f.method, f.name, f.error, 0, f.first_wall_s, f.last_wall_s};
      it = m.failures.emplace(m.key_buf, std::move(r)).first;
    }
    auto& r = it->second;
    r.occurrences += f.count;
    r.first_seen_wall_s = std::min(r.first_seen_wall_s, f.first_wall_s);
    r.last_seen_wall_s = std::max(r.last_seen_wall_s, f.last_wall_s);
  }
  for (const auto& x : d.exceptions) {
    if (x.count == 0) continue;
    make_key(m.key_buf, x.message, x.traceback);
    auto it = m.exceptions.find(m.key_buf);
    if (it == m.exceptions.end()) {
      if (m.exceptions.size() >= max_exception_kinds) {
        make_key(m.key_buf, "(other exceptions)", "");
        it = m.exceptions.find(m.key_buf);
      }
      if (it == m.exceptions.end()) {
        impl::exception_acc acc;
        const bool folded = m.exceptions.size() >= max_exception_kinds;
        acc.row.message = folded ? "(other exceptions)" : x.message;
        acc.row.traceback = folded ? "" : x.traceback;
        it = m.exceptions.emplace(m.key_buf, std::move(acc)).first;
      }
    }
    it->second.row.count += x.count;
    if (it->second.nodes.size() < max_nodes_listed) it->second.nodes.insert(x.node);
  }
}

snapshot_ptr aggregator::close_interval(const interval_info& info) {
  auto& m = *impl_;
  auto snap = std::make_shared<snapshot>();
  snap->sequence = m.sequence++;
  snap->is_final = info.is_final;
  snap->state = info.state;
  snap->wall_s = info.wall_s;
  snap->start_wall_s = m.start_wall_s;
  snap->interval_s = info.interval_s;
  snap->user_count = info.user_count;
  snap->user_count_by_class = info.user_count_by_class;
  snap->generator_cpu_percent = info.generator_cpu_percent;
  snap->generator_cpu_warning = info.generator_cpu_warning;

  snap->rows.resize(m.entries.size());
  size_t i = 0;
  for (auto& [key, e] : m.entries) m.roll(e, snap->rows[i++]);
  m.roll(m.total, snap->aggregated);

  m.ring_interval_s[m.ring_pos] = info.interval_s;
  m.ring_pos = (m.ring_pos + 1) % window_slots;
  m.ring_filled = std::min(m.ring_filled + 1, window_slots);
  double window_s = 0;
  for (size_t k = 0; k < m.ring_filled; ++k) window_s += m.ring_interval_s[k];

  const double last_wall = m.total.last_wall_s;
  i = 0;
  for (auto& [key, e] : m.entries) m.fill_row(e, snap->rows[i++], window_s, last_wall, info.is_final);
  m.fill_row(m.total, snap->aggregated, window_s, last_wall, info.is_final);
  snap->aggregated.method = "";
  snap->aggregated.name = "Aggregated";

  snap->failures.reserve(m.failures.size());
  for (const auto& [k, f] : m.failures) snap->failures.push_back(f);
  std::stable_sort(snap->failures.begin(), snap->failures.end(),
                   [](const failure_row& a, const failure_row& b) {
                     return a.occurrences > b.occurrences;
                   });
  snap->exceptions.reserve(m.exceptions.size());
  for (const auto& [k, x] : m.exceptions) {
    exception_row r = x.row;
    for (const auto& n : x.nodes) {
      if (!r.nodes.empty()) r.nodes += ", ";
      r.nodes += n;
    }
    snap->exceptions.push_back(std::move(r));
  }
  std::stable_sort(snap->exceptions.begin(), snap->exceptions.end(),
                   [](const exception_row& a, const exception_row& b) { return a.count > b.count; });
  return snap;
}

void aggregator::reset(double start_wall_s) { impl_->clear(start_wall_s); }

}  // namespace endure::stats
