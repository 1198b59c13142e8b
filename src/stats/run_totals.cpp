#include "stats/run_totals.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <string>

#include "stats/histogram.hpp"
#include "stats/sparse.hpp"

namespace endure::stats {

namespace {

constexpr size_t window_slots = 10;  // 10 intervals of 1 s: Locust's 10 s "current" window
constexpr size_t max_nodes_listed = 16;
constexpr double interval_qs[3] = {0.50, 0.95, 0.99};

double ms(uint64_t us) { return static_cast<double>(us) / 1000.0; }

struct window_slot {
  uint64_t seq = 0;  // the record it holds (0: none)
  uint64_t requests = 0, failures = 0, min_us = 0, max_us = 0;
  std::string packed;  // that interval's latency histogram (stats::pack)
};

struct agg_entry {
  std::string method, name;
  histogram total;
  // Materialized the first time an interval's intended latencies differ from the actual ones
  // (pacing, open model); until then `total` is the intended histogram too.
  std::unique_ptr<histogram> intended;
  uint64_t requests = 0, failures = 0, sum_us = 0, min_us = 0, max_us = 0, content_bytes = 0;
  uint64_t intended_min_us = 0, intended_max_us = 0;
  double first_wall_s = 0, last_wall_s = 0;
  std::array<window_slot, window_slots> ring;
  uint64_t last_seq = 0;  // the last record with data for this entry

  // What the last view computed, reused while nothing it depends on changed.
  row cached;
  uint64_t cached_total_seq = 0;
  std::pair<uint64_t, uint64_t> cached_window{0, 0};  // (oldest, newest) slot seq it covered

  void apply(const entry_delta& d, uint64_t seq, std::string packed) {
    if (!d.intended.empty() && !intended) intended = std::make_unique<histogram>(total);
    const histogram::exact_totals lat{d.min_us, d.max_us, d.sum_us};
    total.merge_sparse(d.latency, lat);
    if (intended)
      intended->merge_sparse(d.intended.empty() ? d.latency : d.intended,
                             {d.intended_min_us, d.intended_max_us, 0});
    add_counters(d);
    auto& slot = ring[seq % window_slots];
    if (slot.seq == seq) {
      // A second delta for the same record (folded names): combine the slot.
      sparse_counts a, b;
      unpack(slot.packed, a);
      unpack(packed, b);
      merge_into(a, b);
      slot.packed = pack(a);
      slot.min_us = std::min(slot.min_us, d.min_us);
      slot.max_us = std::max(slot.max_us, d.max_us);
      slot.requests += d.requests;
      slot.failures += d.failures;
    } else {
      slot.seq = seq;
      slot.requests = d.requests;
      slot.failures = d.failures;
      slot.min_us = d.min_us;
      slot.max_us = d.max_us;
      slot.packed = std::move(packed);
    }
    last_seq = seq;
  }

  void add_counters(const entry_delta& d) {
    min_us = requests == 0 ? d.min_us : std::min(min_us, d.min_us);
    max_us = std::max(max_us, d.max_us);
    intended_min_us = requests == 0 ? d.intended_min_us : std::min(intended_min_us, d.intended_min_us);
    intended_max_us = std::max(intended_max_us, d.intended_max_us);
    if (d.first_wall_s > 0)
      first_wall_s = first_wall_s == 0 ? d.first_wall_s : std::min(first_wall_s, d.first_wall_s);
    last_wall_s = std::max(last_wall_s, d.last_wall_s);
    requests += d.requests;
    failures += d.failures;
    sum_us += d.sum_us;
    content_bytes += d.content_bytes;
  }

  size_t memory_bytes() const {
    size_t n = sizeof(*this) + method.capacity() + name.capacity();
    n += total.bytes_allocated();
    if (intended) n += sizeof(histogram) + intended->bytes_allocated();
    for (const auto& s : ring) n += s.packed.capacity();
    return n;
  }
};

// Chooses the window slots of an entry that lie in the last `window_slots` records up to `seq`.
std::pair<uint64_t, uint64_t> window_of(const agg_entry& e, uint64_t seq) {
  uint64_t oldest = 0, newest = 0;
  for (const auto& s : e.ring) {
    if (s.seq == 0 || s.seq + window_slots <= seq) continue;
    oldest = oldest == 0 ? s.seq : std::min(oldest, s.seq);
    newest = std::max(newest, s.seq);
  }
  return {oldest, newest};
}

}  // namespace

struct run_totals::impl {
  double start_wall_s = 0;
  uint64_t seq = 0;       // records added since the last reset
  uint64_t sequence = 0;  // views taken (snapshot::sequence)
  std::map<std::pair<std::string, std::string>, agg_entry> entries;  // (name, method): sorted
  size_t named_entries = 0;  // entries other than "(other names)" ones
  agg_entry total;
  histogram scratch;      // this record's Aggregated histogram (chunks reused)
  std::array<double, window_slots> covered_s{};  // seconds each recent record covers
  std::map<std::string, failure_row> failures;
  struct exception_acc {
    exception_row row;
    std::set<std::string> nodes;
  };
  std::map<std::string, exception_acc> exceptions;
  std::map<std::string, class_row> classes;
  // The latest record's run-level fields.
  run_state state = run_state::ready;
  double wall_s = 0, interval_s = 1;
  uint64_t user_count = 0;
  uint64_t peak_user_count = 0;  // of the test: clear() keeps it, begin_test() does not
  double test_start_wall_s = 0;
  std::vector<std::pair<std::string, uint64_t>> users_by_class;
  generator_health health;
  bool is_final = false;
  bool cpu_warned = false;
  std::string stage;
  std::vector<monitor_sample> monitor;  // the latest record's
  uint64_t interval_id = 0;
  uint32_t length_ms = 1000;

  agg_entry& find_entry(const std::string& method, const std::string& name) {
    auto it = entries.find({name, method});
    if (it != entries.end()) return it->second;
    std::pair<std::string, std::string> key{name, method};
    if (named_entries >= max_entries && name != other_names_entry) key.first = other_names_entry;
    auto [pos, inserted] = entries.try_emplace(key);
    if (inserted) {
      pos->second.name = key.first;
      pos->second.method = key.second;
      if (key.first != other_names_entry) ++named_entries;
    }
    return pos->second;
  }

  void clear(double start) {
    start_wall_s = start;
    seq = 0;
    entries.clear();
    named_entries = 0;
    total = agg_entry{};
    covered_s.fill(0);
    failures.clear();
    exceptions.clear();
    classes.clear();
    cpu_warned = false;
  }

  void add_failures(const std::vector<failure_delta>& fs) {
    std::string key;
    for (const auto& f : fs) {
      if (f.count == 0) continue;
      key = f.method + '\x1f' + f.name + '\x1f' + f.error;
      auto it = failures.find(key);
      if (it == failures.end() && failures.size() >= max_failure_kinds) {
        key = std::string("\x1f") + other_names_entry + '\x1f' + other_errors;
        it = failures.find(key);
        if (it == failures.end())
          it = failures.emplace(key, failure_row{"", other_names_entry, other_errors, 0,
                                                 f.first_wall_s, f.last_wall_s}).first;
      } else if (it == failures.end()) {
        it = failures.emplace(key, failure_row{f.method, f.name, f.error, 0, f.first_wall_s,
                                               f.last_wall_s}).first;
      }
      auto& r = it->second;
      r.occurrences += f.count;
      r.first_seen_wall_s = std::min(r.first_seen_wall_s, f.first_wall_s);
      r.last_seen_wall_s = std::max(r.last_seen_wall_s, f.last_wall_s);
    }
  }

  void add_exceptions(const std::vector<exception_delta>& xs) {
    std::string key;
    for (const auto& x : xs) {
      if (x.count == 0) continue;
      key = x.message + '\x1f' + x.traceback;
      auto it = exceptions.find(key);
      if (it == exceptions.end()) {
        if (exceptions.size() >= max_exception_kinds) {
          key = std::string(other_exceptions) + '\x1f';
          it = exceptions.find(key);
        }
        if (it == exceptions.end()) {
          exception_acc acc;
          const bool folded = exceptions.size() >= max_exception_kinds;
          acc.row.message = folded ? other_exceptions : x.message;
          acc.row.traceback = folded ? "" : x.traceback;
          it = exceptions.emplace(key, std::move(acc)).first;
        }
      }
      it->second.row.count += x.count;
      if (it->second.nodes.size() < max_nodes_listed) it->second.nodes.insert(x.node);
    }
  }

  // Fills the row's cached figures that depend on the whole run and on the window (its
  // percentiles only when window_percentiles).
  void refresh(agg_entry& e, double window_s, bool with_buckets, bool window_percentiles) {
    row& r = e.cached;
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
      const double span_s = std::max(1e-9, total.last_wall_s - start_wall_s);
      r.total_rps = n / span_s;
      r.total_fail_per_s = static_cast<double>(e.failures) / span_s;
      if (e.cached_total_seq != e.last_seq || e.last_seq == 0) {
        std::array<uint64_t, report_percentiles.size()> tot{}, itd{};
        e.total.values_at_quantiles(report_percentiles.data(), tot.size(), tot.data());
        if (e.intended)
          e.intended->values_at_quantiles(report_percentiles.data(), itd.size(), itd.data());
        else
          itd = tot;
        for (size_t i = 0; i < report_percentiles.size(); ++i) {
          r.percentiles_ms[i] = ms(tot[i]);
          r.intended_percentiles_ms[i] = ms(itd[i]);
        }
        r.median_ms = r.percentiles_ms[0];
        e.cached_total_seq = e.last_seq;
      }
    }
    r.latency_buckets.clear();
    if (with_buckets && e.requests != 0) r.latency_buckets = e.total.to_sparse();

    // This interval's own figures.
    const window_slot& now = e.ring[seq % window_slots];
    if (now.seq == seq && seq != 0) {
      r.interval_requests = now.requests;
      r.interval_failures = now.failures;
      r.interval_latency.clear();
      r.interval_min_us = now.min_us;
      r.interval_max_us = now.max_us;
      if (window_percentiles) {
        unpack(now.packed, r.interval_latency);
        uint64_t v[3];
        sparse_quantiles(r.interval_latency, now.min_us, now.max_us, interval_qs, 3, v);
        r.interval_p50_ms = ms(v[0]);
        r.interval_p95_ms = ms(v[1]);
        r.interval_p99_ms = ms(v[2]);
      }
    } else {
      r.interval_requests = r.interval_failures = 0;
      r.interval_p50_ms = r.interval_p95_ms = r.interval_p99_ms = 0;
      r.interval_latency.clear();
      r.interval_min_us = r.interval_max_us = 0;
    }

    // The 10 s window: rates always (window_s moves), percentiles when its slots changed.
    const auto win = window_of(e, seq);
    uint64_t w_req = 0, w_fail = 0, w_min = 0, w_max = 0;
    const std::string* parts[window_slots];
    size_t k = 0;
    for (const auto& s : e.ring) {
      if (s.seq == 0 || s.seq + window_slots <= seq) continue;
      w_min = w_req == 0 ? s.min_us : std::min(w_min, s.min_us);
      w_max = std::max(w_max, s.max_us);
      w_req += s.requests;
      w_fail += s.failures;
      parts[k++] = &s.packed;
    }
    r.current_requests = w_req;
    r.current_rps = window_s > 0 ? static_cast<double>(w_req) / window_s : 0;
    r.current_fail_per_s = window_s > 0 ? static_cast<double>(w_fail) / window_s : 0;
    if (w_req == 0 || !window_percentiles) {
      r.current_percentiles_ms.fill(0);
      e.cached_window = {0, 0};
    } else if (win != e.cached_window) {
      std::array<uint64_t, report_percentiles.size()> cur{};
      packed_quantiles(parts, k, w_min, w_max, report_percentiles.data(), cur.size(), cur.data());
      for (size_t i = 0; i < cur.size(); ++i) r.current_percentiles_ms[i] = ms(cur[i]);
      e.cached_window = win;
    }
  }
};

run_totals::run_totals(double start_wall_s) : impl_(std::make_unique<impl>()) {
  impl_->start_wall_s = start_wall_s;
}
run_totals::~run_totals() = default;

void run_totals::reset(double start_wall_s) { impl_->clear(start_wall_s); }

void run_totals::begin_test(double start_wall_s) {
  impl_->clear(start_wall_s);
  impl_->test_start_wall_s = start_wall_s;
  impl_->peak_user_count = 0;
}

void run_totals::add(const interval_record& r) {
  auto& m = *impl_;
  if (m.start_wall_s == 0) m.start_wall_s = r.start_wall_s;
  if (m.test_start_wall_s == 0) m.test_start_wall_s = m.start_wall_s;
  const uint64_t seq = ++m.seq;
  m.covered_s[seq % window_slots] = std::max(0.0, r.end_wall_s - r.start_wall_s);
  m.scratch.reset();
  entry_delta agg;  // the Aggregated row's counters for this record
  bool agg_intended = false;
  sparse_counts agg_intended_counts;
  for (const auto& d : r.data.entries) {
    if (d.requests == 0) continue;
    m.find_entry(d.method, d.name).apply(d, seq, pack(d.latency));
    m.scratch.merge_sparse(d.latency, {d.min_us, d.max_us, d.sum_us});
    if (!d.intended.empty()) agg_intended = true;
    merge_entry(agg, [&] {
      entry_delta c;  // counters only: histograms go through `scratch`
      c.requests = d.requests;
      c.failures = d.failures;
      c.sum_us = d.sum_us;
      c.min_us = d.min_us;
      c.max_us = d.max_us;
      c.content_bytes = d.content_bytes;
      c.intended_min_us = d.intended_min_us;
      c.intended_max_us = d.intended_max_us;
      c.first_wall_s = d.first_wall_s;
      c.last_wall_s = d.last_wall_s;
      return c;
    }());
  }
  if (agg.requests != 0) {
    agg.latency = m.scratch.to_sparse();
    if (agg_intended) {
      // Rare (paced users): the Aggregated intended histogram of this record, entry by entry.
      for (const auto& d : r.data.entries)
        if (d.requests != 0) merge_into(agg_intended_counts, d.intended.empty() ? d.latency : d.intended);
      agg.intended = std::move(agg_intended_counts);
    }
    std::string packed = pack(agg.latency);
    m.total.apply(agg, seq, std::move(packed));
  }
  m.add_failures(r.data.failures);
  m.add_exceptions(r.data.exceptions);
  for (auto& [name, c] : m.classes)
    c.interval_dropped_arrivals = c.interval_sessions_started = c.interval_sessions_ended = 0;
  for (const auto& c : r.data.classes) {
    auto& row = m.classes[c.user_class];
    row.user_class = c.user_class;
    row.dropped_arrivals += c.dropped_arrivals;
    row.sessions_started += c.sessions_started;
    row.sessions_ended += c.sessions_ended;
    row.interval_dropped_arrivals = c.dropped_arrivals;
    row.interval_sessions_started = c.sessions_started;
    row.interval_sessions_ended = c.sessions_ended;
  }
  m.stage = r.stage;
  m.state = r.state;
  m.wall_s = r.end_wall_s;
  m.interval_s = std::max(0.0, r.end_wall_s - r.start_wall_s);
  m.user_count = r.user_count;
  m.peak_user_count = std::max({m.peak_user_count, r.peak_user_count, r.user_count});
  m.users_by_class = r.users_by_class;
  m.monitor = r.monitor;
  m.health = r.health;
  m.cpu_warned = m.cpu_warned || r.health.cpu_saturated;
  m.is_final = r.is_final;
  m.interval_id = r.id;
  m.length_ms = r.length_ms;
}

snapshot_ptr run_totals::view(const view_options& o) {
  const bool with_buckets = o.with_buckets;
  auto& m = *impl_;
  auto snap = std::make_shared<snapshot>();
  snap->sequence = m.sequence++;
  snap->is_final = m.is_final;
  snap->state = m.state;
  snap->wall_s = m.wall_s;
  snap->start_wall_s = m.start_wall_s;
  snap->interval_s = m.interval_s;
  snap->interval_id = m.interval_id;
  snap->interval_length_ms = m.length_ms;
  snap->user_count = m.user_count;
  snap->peak_user_count = m.peak_user_count;
  snap->test_start_wall_s = m.test_start_wall_s;
  snap->user_count_by_class = m.users_by_class;
  snap->generator_cpu_percent = m.health.cpu_percent;
  snap->generator_cpu_warning = m.cpu_warned;
  snap->stage = m.stage;
  snap->monitor = m.monitor;
  for (const auto& [name, c] : m.classes) snap->classes.push_back(c);

  double window_s = 0;
  for (size_t k = 0; k < std::min<uint64_t>(m.seq, window_slots); ++k)
    window_s += m.covered_s[(m.seq - k) % window_slots];

  // The rows that get window percentiles: all, or the busiest window_rows (a partial sort of
  // pointers: cheap next to the percentiles it saves).
  std::vector<const agg_entry*> busiest;
  if (!o.window_all_rows && o.window_rows > 0 && o.window_rows < m.entries.size()) {
    busiest.reserve(m.entries.size());
    for (const auto& [key, e] : m.entries) busiest.push_back(&e);
    std::nth_element(busiest.begin(), busiest.begin() + static_cast<std::ptrdiff_t>(o.window_rows) - 1,
                     busiest.end(), [](const agg_entry* a, const agg_entry* b) { return a->requests > b->requests; });
    busiest.resize(o.window_rows);
    std::sort(busiest.begin(), busiest.end());
  }
  const bool all_rows = o.window_all_rows || o.window_rows >= m.entries.size();
  snap->rows.reserve(m.entries.size());
  for (auto& [key, e] : m.entries) {
    const bool window = all_rows || std::binary_search(busiest.begin(), busiest.end(), &e);
    m.refresh(e, window_s, with_buckets, window);
    snap->rows.push_back(e.cached);
  }
  m.refresh(m.total, window_s, with_buckets, true);
  snap->aggregated = m.total.cached;
  if (const auto& now = m.total.ring[m.seq % window_slots]; now.seq == m.seq && m.seq != 0) {
    unpack(now.packed, snap->interval_latency);
    snap->interval_min_us = now.min_us;
    snap->interval_max_us = now.max_us;
  }
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

size_t run_totals::memory_bytes() const {
  size_t n = sizeof(impl) + impl_->total.memory_bytes();
  for (const auto& [k, e] : impl_->entries) n += e.memory_bytes() + k.first.capacity() + k.second.capacity() + 64;
  return n;
}

size_t run_totals::entry_count() const { return impl_->entries.size(); }

}  // namespace endure::stats
