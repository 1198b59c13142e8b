#include "store/bucket.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <array>

#include "stats/histogram.hpp"

namespace endure::store {

namespace {

constexpr double stored_qs[4] = {0.50, 0.90, 0.95, 0.99};

// Storage resolution: 2^7 groups per power of two.
constexpr int coarse_bits = 7;

uint32_t coarse_index(uint32_t i) {
  using stats::histogram;
  const uint64_t lo = histogram::bucket_lower_us(i);
  if (lo < (uint64_t{1} << coarse_bits)) return i;
  const int e = 63 - __builtin_clzll(lo);  // lo is in [2^e, 2^(e+1))
  const int shift = e - coarse_bits;
  const uint64_t group_lo = (lo >> shift) << shift;
  const uint64_t mid = group_lo + (uint64_t{1} << shift) / 2;
  return histogram::bucket_index(mid);
}

[[noreturn]] void damaged(const char* what) {
  throw sql::failure(SQLITE_CORRUPT, std::string("a stored ") + what + " is damaged");
}

// Adds b into a (exact). An accumulator over many intervals already holds most of a small
// interval's buckets: add those in place, and merge only the new ones (a full merge pass per
// interval made hour-long roll-ups quadratic).
void add_counts(stats::sparse_counts& a, const stats::sparse_counts& b) {
  if (b.empty()) return;
  if (a.size() < 8 * b.size()) {
    stats::merge_into(a, b);
    return;
  }
  stats::sparse_counts fresh;
  auto it = a.begin();
  for (const auto& [i, n] : b) {
    it = std::lower_bound(it, a.end(), i, [](const auto& x, uint32_t v) { return x.first < v; });
    if (it != a.end() && it->first == i)
      it->second += n;
    else
      fresh.emplace_back(i, n);
  }
  stats::merge_into(a, fresh);
}

}  // namespace

void coarsen(stats::sparse_counts& c) {
  size_t out = 0;
  for (size_t i = 0; i < c.size(); ++i) {
    const uint32_t k = coarse_index(c[i].first);
    // Monotonic: equal representatives are adjacent.
    if (out > 0 && c[out - 1].first == k) {
      c[out - 1].second += c[i].second;
    } else {
      c[out++] = {k, c[i].second};
    }
  }
  c.resize(out);
}

entry_acc entry_acc::of(const stats::entry_delta& d) {
  entry_acc e;
  e.requests = d.requests;
  e.failures = d.failures;
  e.sum_us = d.sum_us;
  e.min_us = d.min_us;
  e.max_us = d.max_us;
  e.content_bytes = d.content_bytes;
  e.first_wall_s = d.first_wall_s;
  e.last_wall_s = d.last_wall_s;
  e.intended_min_us = d.intended_min_us;
  e.intended_max_us = d.intended_max_us;
  e.latency = d.latency;
  e.has_intended = !d.intended.empty();
  if (e.has_intended) e.intended = d.intended;
  return e;
}

void entry_acc::add(const entry_acc& o) {
  if (o.requests == 0) return;
  if (requests == 0) {
    *this = o;
    return;
  }
  if (has_intended || o.has_intended) {
    // Intervals without pacing have their intended histogram in `latency`.
    if (!has_intended) {
      intended = latency;
      has_intended = true;
    }
    add_counts(intended, o.has_intended ? o.intended : o.latency);
  }
  add_counts(latency, o.latency);
  min_us = std::min(min_us, o.min_us);
  max_us = std::max(max_us, o.max_us);
  intended_min_us = std::min(intended_min_us, o.intended_min_us);
  intended_max_us = std::max(intended_max_us, o.intended_max_us);
  if (o.first_wall_s > 0)
    first_wall_s = first_wall_s == 0 ? o.first_wall_s : std::min(first_wall_s, o.first_wall_s);
  last_wall_s = std::max(last_wall_s, o.last_wall_s);
  requests += o.requests;
  failures += o.failures;
  sum_us += o.sum_us;
  content_bytes += o.content_bytes;
  stored_pct_us = {};
}

void entry_acc::to_delta(stats::entry_delta& d) const {
  d.requests = requests;
  d.failures = failures;
  d.sum_us = sum_us;
  d.min_us = min_us;
  d.max_us = max_us;
  d.content_bytes = content_bytes;
  d.first_wall_s = first_wall_s;
  d.last_wall_s = last_wall_s;
  d.intended_min_us = intended_min_us;
  d.intended_max_us = intended_max_us;
  d.latency = latency;
  d.intended = has_intended ? intended : stats::sparse_counts{};
}

void interval_acc::add(const interval_acc& o) {
  if (o.intervals == 0) return;
  if (intervals == 0) {
    *this = o;
    return;
  }
  const auto w = static_cast<double>(intervals - stalled),
             ow = static_cast<double>(o.intervals - o.stalled);
  if (w + ow > 0) cpu_percent = (cpu_percent * w + o.cpu_percent * ow) / (w + ow);
  if (o.start_wall_s > 0)
    start_wall_s = start_wall_s == 0 ? o.start_wall_s : std::min(start_wall_s, o.start_wall_s);
  end_wall_s = std::max(end_wall_s, o.end_wall_s);
  intervals += o.intervals;
  stalled += o.stalled;
  if (o.latest_t >= latest_t) {
    latest_t = o.latest_t;
    test = o.test;
    state = o.state;
    user_count = o.user_count;
  }
  is_final = is_final || o.is_final;
  user_count_max = std::max(user_count_max, o.user_count_max);
  rss_bytes = std::max(rss_bytes, o.rss_bytes);
  loop_lag_ms = std::max(loop_lag_ms, o.loop_lag_ms);
  cpu_saturated = cpu_saturated || o.cpu_saturated;
}

void failure_acc::add(const failure_acc& o) {
  if (o.count == 0) return;
  if (count == 0) {
    *this = o;
    return;
  }
  count += o.count;
  if (o.first_wall_s > 0)
    first_wall_s = first_wall_s == 0 ? o.first_wall_s : std::min(first_wall_s, o.first_wall_s);
  last_wall_s = std::max(last_wall_s, o.last_wall_s);
}

void monitor_acc::add(const monitor_acc& o) {
  if (o.samples == 0) return;
  if (samples == 0) {
    *this = o;
    return;
  }
  const auto n = static_cast<double>(samples), on = static_cast<double>(o.samples);
  value = (value * n + o.value * on) / (n + on);
  min = std::min(min, o.min);
  max = std::max(max, o.max);
  if (o.last_t >= last_t) {
    last = o.last;
    last_t = o.last_t;
  }
  samples += o.samples;
}

void users_acc::add(const users_acc& o) {
  if (o.latest_t >= latest_t) {
    users = o.users;
    latest_t = o.latest_t;
  }
  users_max = std::max(users_max, o.users_max);
  dropped_arrivals += o.dropped_arrivals;
  sessions_started += o.sessions_started;
  sessions_ended += o.sessions_ended;
}

void bucket::add(const bucket& o) {
  interval.add(o.interval);
  for (const auto& [id, e] : o.entries) entries[id].add(e);
  for (const auto& [name, u] : o.users) users[name].add(u);
  for (const auto& [k, f] : o.failures) failures[k].add(f);
  for (const auto& [k, n] : o.exceptions) exceptions[k] += n;
  for (const auto& [k, m] : o.monitor) monitor[k].add(m);
}

void bucket::compute_aggregated() {
  // Counters entry by entry; histograms in one sort of every entry's buckets (cheaper than 50
  // successive merges into a growing histogram).
  entry_acc agg;
  stats::sparse_counts all_latency, all_intended;
  bool any_intended = false;
  for (const auto& [id, e] : entries)
    if (id != 0 && e.requests > 0 && e.has_intended) any_intended = true;
  for (const auto& [id, e] : entries) {
    if (id == 0 || e.requests == 0) continue;
    entry_acc counters = e;
    counters.latency.clear();
    counters.intended.clear();
    counters.has_intended = false;
    agg.add(counters);
    all_latency.insert(all_latency.end(), e.latency.begin(), e.latency.end());
    if (any_intended) {
      const auto& i = e.has_intended ? e.intended : e.latency;
      all_intended.insert(all_intended.end(), i.begin(), i.end());
    }
  }
  if (agg.requests == 0) {
    entries.erase(0);
    return;
  }
  auto combine = [](stats::sparse_counts& c) {
    std::sort(c.begin(), c.end());
    size_t out = 0;
    for (size_t i = 0; i < c.size(); ++i) {
      if (out > 0 && c[out - 1].first == c[i].first)
        c[out - 1].second += c[i].second;
      else
        c[out++] = c[i];
    }
    c.resize(out);
  };
  combine(all_latency);
  agg.latency = std::move(all_latency);
  if (any_intended) {
    combine(all_intended);
    agg.intended = std::move(all_intended);
    agg.has_intended = true;
  }
  entries[0] = std::move(agg);
}

bucket_io::bucket_io(sql::database& db)
    : db_(db),
      ins_interval_(db,
                    "INSERT INTO interval (tier, t, segment, test, start_wall_s, end_wall_s, "
                    "intervals, stalled, state, is_final, user_count, user_count_max, "
                    "cpu_percent, rss_bytes, loop_lag_ms, cpu_saturated) VALUES "
                    "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"),
      ins_stats_(db,
                 "INSERT INTO stats (tier, t, segment, entry_id, requests, failures, sum_us, "
                 "min_us, max_us, content_bytes, p50_us, p90_us, p95_us, p99_us, first_wall_s, "
                 "last_wall_s, intended_min_us, intended_max_us, latency, intended) VALUES "
                 "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"),
      ins_users_(db,
                 "INSERT INTO users (tier, t, segment, class_name, users, users_max, "
                 "dropped_arrivals, sessions_started, sessions_ended) VALUES (?,?,?,?,?,?,?,?,?)"),
      ins_failure_(db,
                   "INSERT INTO failures (tier, t, segment, entry_id, error_id, count, "
                   "first_wall_s, last_wall_s) VALUES (?,?,?,?,?,?,?,?)"),
      ins_exception_(db,
                     "INSERT INTO exceptions (tier, t, segment, kind_id, node, count) "
                     "VALUES (?,?,?,?,?,?)"),
      ins_monitor_(db,
                   "INSERT INTO monitor (tier, t, segment, series_id, value, min, max, last, "
                   "samples) VALUES (?,?,?,?,?,?,?,?,?)"),
      has_interval_(db, "SELECT 1 FROM interval WHERE tier = ? AND t = ? AND segment = ?"),
      next_t_(db, "SELECT min(t) FROM interval WHERE tier = ? AND t >= ?") {}

void bucket_io::write(const bucket& b, bool coarse) {
  const auto& iv = b.interval;
  ins_interval_.bind(1, b.tier)
      .bind(2, b.t)
      .bind(3, b.segment)
      .bind(4, iv.test)
      .bind(5, iv.start_wall_s)
      .bind(6, iv.end_wall_s)
      .bind(7, iv.intervals)
      .bind(8, iv.stalled)
      .bind(9, iv.state)
      .bind(10, iv.is_final ? 1 : 0)
      .bind(11, iv.user_count)
      .bind(12, iv.user_count_max)
      .bind(13, iv.cpu_percent)
      .bind(14, iv.rss_bytes)
      .bind(15, iv.loop_lag_ms)
      .bind(16, iv.cpu_saturated ? 1 : 0);
  ins_interval_.run();

  stats::sparse_counts lat, itd;
  for (const auto& [id, e] : b.entries) {
    if (e.requests == 0) continue;
    const stats::sparse_counts* l = &e.latency;
    const stats::sparse_counts* i = &e.intended;
    if (coarse) {
      lat = e.latency;
      coarsen(lat);
      l = &lat;
      if (e.has_intended) {
        itd = e.intended;
        coarsen(itd);
        i = &itd;
      }
    }
    uint64_t p[4];
    stats::sparse_quantiles(*l, e.min_us, e.max_us, stored_qs, 4, p);
    ins_stats_.bind(1, b.tier)
        .bind(2, b.t)
        .bind(3, b.segment)
        .bind(4, id)
        .bind(5, e.requests)
        .bind(6, e.failures)
        .bind(7, e.sum_us)
        .bind(8, e.min_us)
        .bind(9, e.max_us)
        .bind(10, e.content_bytes)
        .bind(11, p[0])
        .bind(12, p[1])
        .bind(13, p[2])
        .bind(14, p[3])
        .bind(15, e.first_wall_s)
        .bind(16, e.last_wall_s)
        .bind(17, e.intended_min_us)
        .bind(18, e.intended_max_us)
        .bind_blob(19, stats::pack(*l));
    if (e.has_intended)
      ins_stats_.bind_blob(20, stats::pack(*i));
    else
      ins_stats_.bind_null(20);
    ins_stats_.run();
  }
  for (const auto& [name, u] : b.users) {
    ins_users_.bind(1, b.tier)
        .bind(2, b.t)
        .bind(3, b.segment)
        .bind(4, name)
        .bind(5, u.users)
        .bind(6, u.users_max)
        .bind(7, u.dropped_arrivals)
        .bind(8, u.sessions_started)
        .bind(9, u.sessions_ended);
    ins_users_.run();
  }
  for (const auto& [k, f] : b.failures) {
    ins_failure_.bind(1, b.tier)
        .bind(2, b.t)
        .bind(3, b.segment)
        .bind(4, k.first)
        .bind(5, k.second)
        .bind(6, f.count)
        .bind(7, f.first_wall_s)
        .bind(8, f.last_wall_s);
    ins_failure_.run();
  }
  for (const auto& [k, n] : b.exceptions) {
    ins_exception_.bind(1, b.tier)
        .bind(2, b.t)
        .bind(3, b.segment)
        .bind(4, k.first)
        .bind(5, k.second)
        .bind(6, n);
    ins_exception_.run();
  }
  for (const auto& [id, m] : b.monitor) {
    ins_monitor_.bind(1, b.tier)
        .bind(2, b.t)
        .bind(3, b.segment)
        .bind(4, id)
        .bind(5, m.value)
        .bind(6, m.min)
        .bind(7, m.max)
        .bind(8, m.last)
        .bind(9, m.samples);
    ins_monitor_.run();
  }
}

namespace {
constexpr std::array<const char*, 6> tables = {"interval", "stats",      "users",
                                               "failures", "exceptions", "monitor"};
}

sql::statement& bucket_io::cached(const std::string& text) {
  auto it = cache_.find(text);
  if (it == cache_.end()) it = cache_.emplace(text, db_.prepare(text)).first;
  it->second.reset();
  return it->second;
}

void bucket_io::erase(int tier, int64_t t, int64_t segment) {
  for (const char* table : tables) {
    auto& st =
        cached(std::string("DELETE FROM ") + table + " WHERE tier = ? AND t = ? AND segment = ?");
    st.bind(1, tier).bind(2, t).bind(3, segment);
    st.run();
  }
}

void bucket_io::prune(int tier, int64_t before) {
  for (const char* table : tables) {
    auto& st = cached(std::string("DELETE FROM ") + table + " WHERE tier = ? AND t < ?");
    st.bind(1, tier).bind(2, before);
    st.run();
  }
}

bool bucket_io::exists(int tier, int64_t t, int64_t segment) {
  has_interval_.bind(1, tier).bind(2, t).bind(3, segment);
  const bool found = has_interval_.step();
  has_interval_.reset();
  return found;
}

std::optional<int64_t> bucket_io::next_t(int tier, int64_t t_lo) {
  next_t_.bind(1, tier).bind(2, t_lo);
  std::optional<int64_t> out;
  if (next_t_.step() && !next_t_.is_null(0)) out = next_t_.int64(0);
  next_t_.reset();
  return out;
}

void bucket_io::scan(int tier, int64_t t_lo, int64_t t_hi, std::optional<int64_t> segment,
                     const std::function<void(bucket&)>& f, const scan_options& o) {
  const bool with_histograms = o.histograms;
  const std::string where =
      " WHERE tier = ?1 AND t >= ?2 AND t < ?3 AND (?4 IS NULL OR segment = ?4) ORDER BY t, "
      "segment";
  struct cursor {
    sql::statement* st = nullptr;
    bool has = false;
  };
  std::array<cursor, 6> c;
  c[0].st = &cached(
      "SELECT t, segment, test, start_wall_s, end_wall_s, intervals, stalled, state, is_final, "
      "user_count, user_count_max, cpu_percent, rss_bytes, loop_lag_ms, cpu_saturated FROM "
      "interval" +
      where);
  c[1].st = &cached(
      std::string("SELECT t, segment, entry_id, requests, failures, sum_us, min_us, max_us, "
                  "content_bytes, p50_us, p90_us, p95_us, p99_us, first_wall_s, last_wall_s, "
                  "intended_min_us, intended_max_us, ") +
      (with_histograms ? "latency, intended" : "NULL, NULL") + " FROM stats" +
      (o.only_entry ? " WHERE entry_id = " + std::to_string(*o.only_entry) + " AND" : " WHERE") +
      where.substr(6) + ", entry_id");
  c[2].st = &cached(
      "SELECT t, segment, class_name, users, users_max, dropped_arrivals, sessions_started, "
      "sessions_ended FROM users" + where);
  c[3].st = &cached(
      "SELECT t, segment, entry_id, error_id, count, first_wall_s, last_wall_s FROM failures" +
      where);
  c[4].st = &cached("SELECT t, segment, kind_id, node, count FROM exceptions" + where);
  c[5].st =
      &cached("SELECT t, segment, series_id, value, min, max, last, samples FROM monitor" + where);
  // A statement left mid-result holds a read snapshot (and the WAL with it): reset them all,
  // whatever happens.
  struct resetter {
    std::array<cursor, 6>& c;
    ~resetter() {
      for (auto& k : c) k.st->reset();
    }
  } reset_all{c};
  for (size_t i = 0; i < c.size(); ++i) {
    auto& k = c[i];
    if (!o.details && i >= 2) continue;  // left without a row
    k.st->bind(1, tier).bind(2, t_lo).bind(3, t_hi);
    if (segment)
      k.st->bind(4, *segment);
    else
      k.st->bind_null(4);
    k.has = k.st->step();
  }
  using key = std::pair<int64_t, int64_t>;
  auto key_of = [](const cursor& k) { return key{k.st->int64(0), k.st->int64(1)}; };
  for (;;) {
    std::optional<key> next;
    for (const auto& k : c)
      if (k.has && (!next || key_of(k) < *next)) next = key_of(k);
    if (!next) break;
    bucket b;
    b.tier = tier;
    b.t = next->first;
    b.segment = next->second;
    for (size_t i = 0; i < c.size(); ++i) {
      auto& k = c[i];
      for (; k.has && key_of(k) == *next; k.has = k.st->step()) {
        const auto& s = *k.st;
        switch (i) {
          case 0: {
            interval_acc iv;
            iv.latest_t = b.t;
            iv.test = s.uint64(2);
            iv.start_wall_s = s.real(3);
            iv.end_wall_s = s.real(4);
            iv.intervals = s.uint64(5);
            iv.stalled = s.uint64(6);
            iv.state = s.text(7);
            iv.is_final = s.int64(8) != 0;
            iv.user_count = s.uint64(9);
            iv.user_count_max = s.uint64(10);
            iv.cpu_percent = s.real(11);
            iv.rss_bytes = s.uint64(12);
            iv.loop_lag_ms = s.real(13);
            iv.cpu_saturated = s.int64(14) != 0;
            b.interval.add(iv);
            break;
          }
          case 1: {
            entry_acc e;
            e.requests = s.uint64(3);
            e.failures = s.uint64(4);
            e.sum_us = s.uint64(5);
            e.min_us = s.uint64(6);
            e.max_us = s.uint64(7);
            e.content_bytes = s.uint64(8);
            e.first_wall_s = s.real(13);
            e.last_wall_s = s.real(14);
            e.intended_min_us = s.uint64(15);
            e.intended_max_us = s.uint64(16);
            if (with_histograms) {
              if (!stats::unpack(s.blob(17), e.latency)) damaged("latency histogram");
              if (!s.is_null(18)) {
                e.has_intended = true;
                if (!stats::unpack(s.blob(18), e.intended)) damaged("intended histogram");
              }
            }
            auto& slot = b.entries[s.int64(2)];
            slot.add(e);
            if (!with_histograms)
              slot.stored_pct_us = {s.uint64(9), s.uint64(10), s.uint64(11), s.uint64(12)};
            break;
          }
          case 2: {
            users_acc u{s.uint64(3), s.uint64(4), b.t, s.uint64(5), s.uint64(6), s.uint64(7)};
            b.users[s.text(2)].add(u);
            break;
          }
          case 3: {
            failure_acc fa{s.uint64(4), s.real(5), s.real(6)};
            b.failures[{s.int64(2), s.int64(3)}].add(fa);
            break;
          }
          case 4:
            b.exceptions[{s.int64(2), s.text(3)}] += s.uint64(4);
            break;
          case 5: {
            monitor_acc m{s.real(3), s.real(4), s.real(5), s.real(6), s.uint64(7), b.t};
            b.monitor[s.int64(2)].add(m);
            break;
          }
          default:
            break;
        }
      }
    }
    f(b);
  }
}

}  // namespace endure::store
