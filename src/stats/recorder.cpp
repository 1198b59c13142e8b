#include "stats/recorder.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <unordered_map>

#include "stats/histogram.hpp"

namespace endure::stats {

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

// Intervals an idle recorder entry survives before it is freed.
constexpr uint32_t idle_intervals_before_eviction = 60;
// Beyond max_entries, folded names keep their method; beyond this many extra entries even the
// method is folded, so the bound holds whatever methods arrive.
constexpr size_t extra_fold_entries = 16;
// A light entry logs one bucket index per sample and sorts the log when the interval is taken
// (4 bytes a sample: an entry at 200 req/s holds 800 bytes). Past this many samples in one
// interval it switches to a dense histogram (a few ns a sample, 8 KiB per touched octave), and
// back once an interval stays below it.
constexpr size_t log_limit = 4096;

// The counts per bucket of a light entry's log, ascending by bucket (the log is left in any
// order). One entry's latencies in one interval usually fall in a narrow band of buckets: a
// counting pass over that band (a scratch array of the taking thread) is then several times
// cheaper than sorting the log; a band much wider than the log sorts it instead.
void counts_of_log(std::vector<uint32_t>& log, sparse_counts& out) {
  out.clear();
  if (log.empty()) return;
  const auto [lo_at, hi_at] = std::minmax_element(log.begin(), log.end());
  const uint32_t lo = *lo_at;
  const size_t span = static_cast<size_t>(*hi_at - lo) + 1;
  if (span > 4 * log.size() + 64) {
    std::sort(log.begin(), log.end());
    counts_of_sorted(log.data(), log.size(), out);
    return;
  }
  thread_local std::vector<uint32_t> counts;  // at most 4 * (log_limit + 1) + 64 counters
  counts.assign(span, 0);
  for (uint32_t i : log) ++counts[i - lo];
  out.reserve(std::min(span, log.size()));
  for (size_t k = 0; k < span; ++k)
    if (counts[k] != 0) out.emplace_back(lo + static_cast<uint32_t>(k), counts[k]);
}

}  // namespace

// ---------------------------------------------------------------------------------------------

struct shard_recorder::buffer {
  struct live_entry {
    std::string method, name;
    std::vector<uint32_t> log, ilog;  // light mode: bucket indices (ilog: intended, when differs)
    std::unique_ptr<histogram> dense, idense;  // hot mode
    bool intended_differs = false;
    uint64_t requests = 0, failures = 0, sum_us = 0, min_us = 0, max_us = 0, content_bytes = 0;
    uint64_t intended_min_us = 0, intended_max_us = 0;
    double first_wall_s = 0, last_wall_s = 0;
    uint32_t idle_intervals = 0;
  };

  sv_map<live_entry> entries;
  sv_map<failure_delta> failures;
  sv_map<exception_delta> exceptions;
  sv_map<class_delta> classes;
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

  void record(const request_sample& s) {
    auto& e = find_entry(s.method, s.name);
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
    if (ilat != lat && !e.intended_differs) {
      // From now on this interval keeps its own intended histogram: start it from the samples so
      // far, whose intended latency equalled their latency.
      e.intended_differs = true;
      if (e.dense) {
        e.idense = std::make_unique<histogram>(*e.dense);
      } else {
        e.ilog = e.log;
      }
    }
    if (e.dense) {
      e.dense->record(lat);
      if (e.intended_differs) e.idense->record(ilat);
    } else {
      e.log.push_back(histogram::bucket_index(lat));
      if (e.intended_differs) e.ilog.push_back(histogram::bucket_index(ilat));
      if (e.log.size() > log_limit) to_dense(e);
    }
    ++e.requests;
    e.sum_us += lat;
    e.content_bytes += s.content_bytes;
    e.last_wall_s = std::max(e.last_wall_s, s.wall_s);
    if (s.error.empty()) return;

    ++e.failures;
    make_key(key_buf, e.method, e.name, s.error);
    auto it = failures.find(std::string_view(key_buf));
    if (it == failures.end()) {
      failure_delta f;
      if (failures.size() >= max_failure_kinds) {
        make_key(key_buf, "", other_names_entry, other_errors);
        it = failures.find(std::string_view(key_buf));
        f.name = other_names_entry;
        f.error = other_errors;
      } else {
        f.method = e.method;
        f.name = e.name;
        f.error = s.error;
      }
      if (it == failures.end()) {
        f.first_wall_s = s.wall_s;
        it = failures.emplace(key_buf, std::move(f)).first;
      }
    }
    ++it->second.count;
    it->second.first_wall_s = std::min(it->second.first_wall_s, s.wall_s);
    it->second.last_wall_s = std::max(it->second.last_wall_s, s.wall_s);
  }

  static void to_dense(live_entry& e) {
    e.dense = std::make_unique<histogram>();
    for (uint32_t i : e.log) e.dense->record_n(histogram::bucket_lower_us(i), 1);
    e.log.clear();
    if (e.intended_differs) {
      e.idense = std::make_unique<histogram>();
      for (uint32_t i : e.ilog) e.idense->record_n(histogram::bucket_lower_us(i), 1);
      e.ilog.clear();
    }
  }

  void record_exception(std::string_view message, std::string_view traceback) {
    make_key(key_buf, message, traceback);
    auto it = exceptions.find(std::string_view(key_buf));
    if (it == exceptions.end()) {
      exception_delta x;
      if (exceptions.size() >= max_exception_kinds) {
        make_key(key_buf, other_exceptions, "");
        it = exceptions.find(std::string_view(key_buf));
        x.message = other_exceptions;
      } else {
        x.message = message;
        x.traceback = traceback;
      }
      if (it == exceptions.end()) {
        x.node = "local";
        it = exceptions.emplace(key_buf, std::move(x)).first;
      }
    }
    ++it->second.count;
  }

  // Moves the interval out (on the taking thread, after the swap) and readies the buffer for its
  // next turn. Histograms are rebuilt per interval; light logs keep their capacity.
  void take(shard_delta& d) {
    d.entries.reserve(entries.size());
    for (auto it = entries.begin(); it != entries.end();) {
      auto& e = it->second;
      if (e.requests == 0) {
        if (++e.idle_intervals >= idle_intervals_before_eviction) {
          if (last == &e) last = nullptr;
          if (e.name != other_names_entry) --named_entries;
          it = entries.erase(it);
          continue;
        }
        e.dense.reset();
        e.idense.reset();
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
      ed.intended_min_us = e.intended_min_us;
      ed.intended_max_us = e.intended_max_us;
      ed.first_wall_s = e.first_wall_s;
      ed.last_wall_s = e.last_wall_s;
      if (e.dense) {
        ed.latency = e.dense->to_sparse();
        if (e.intended_differs) ed.intended = e.idense->to_sparse();
        // Still hot: keep the histogram (reset keeps its chunks); else back to a light log.
        if (e.requests > log_limit) {
          e.dense->reset();
          if (e.idense) e.idense->reset();
        } else {
          e.dense.reset();
          e.idense.reset();
        }
      } else {
        counts_of_log(e.log, ed.latency);
        if (e.intended_differs) counts_of_log(e.ilog, ed.intended);
        // A burst may have grown the log: do not keep far more than the next interval needs.
        if (e.log.capacity() > 4 * std::max<size_t>(e.log.size(), 64)) {
          std::vector<uint32_t>().swap(e.log);
        } else {
          e.log.clear();
        }
        std::vector<uint32_t>().swap(e.ilog);
      }
      d.entries.push_back(std::move(ed));
      e.requests = e.failures = e.sum_us = e.min_us = e.max_us = e.content_bytes = 0;
      e.intended_min_us = e.intended_max_us = 0;
      e.first_wall_s = e.last_wall_s = 0;
      e.intended_differs = false;
      e.idle_intervals = 0;
      ++it;
    }
    std::sort(d.entries.begin(), d.entries.end(), [](const entry_delta& a, const entry_delta& b) {
      return a.name != b.name ? a.name < b.name : a.method < b.method;
    });
    d.failures.reserve(failures.size());
    for (auto& [k, f] : failures) d.failures.push_back(std::move(f));
    failures.clear();
    d.exceptions.reserve(exceptions.size());
    for (auto& [k, x] : exceptions) d.exceptions.push_back(std::move(x));
    exceptions.clear();
    for (auto& [k, c] : classes) d.classes.push_back(std::move(c));
    classes.clear();
  }

  void record_class(std::string_view user_class, uint64_t dropped, uint64_t started, uint64_t ended) {
    auto it = classes.find(user_class);
    if (it == classes.end()) {
      class_delta c;
      c.user_class = user_class;
      it = classes.emplace(std::string(user_class), std::move(c)).first;
    }
    it->second.dropped_arrivals += dropped;
    it->second.sessions_started += started;
    it->second.sessions_ended += ended;
  }
};

shard_recorder::shard_recorder()
    : active_(std::make_unique<buffer>()), spare_(std::make_unique<buffer>()) {}
shard_recorder::~shard_recorder() = default;

shard_recorder::buffer& shard_recorder::lock() {
  // Uncontended except for the moment the control thread swaps buffers (a pointer swap).
  while (lock_.exchange(true, std::memory_order_acquire)) {
    while (lock_.load(std::memory_order_relaxed)) std::this_thread::yield();
  }
  return *active_;
}

void shard_recorder::record(const request_sample& s) {
  buffer& b = lock();
  b.record(s);
  unlock();
}

void shard_recorder::record_exception(std::string_view message, std::string_view traceback) {
  buffer& b = lock();
  b.record_exception(message, traceback);
  unlock();
}

void shard_recorder::record_class(std::string_view user_class, uint64_t dropped_arrivals,
                                  uint64_t sessions_started, uint64_t sessions_ended) {
  buffer& b = lock();
  b.record_class(user_class, dropped_arrivals, sessions_started, sessions_ended);
  unlock();
}

shard_delta shard_recorder::take_delta() {
  // Only one taker at a time: the spare buffer is the taker's until the next swap.
  static_cast<void>(lock());
  std::swap(active_, spare_);
  unlock();
  shard_delta d;
  spare_->take(d);
  return d;
}

// ---------------------------------------------------------------------------------------------
// merging deltas

void merge_entry(entry_delta& into, const entry_delta& e) {
  if (e.requests == 0) return;
  if (into.requests == 0) {
    // Keeps into's key when it has one (a folded entry takes in other names).
    std::string method = std::move(into.method), name = std::move(into.name);
    into = e;
    if (!name.empty()) {
      into.method = std::move(method);
      into.name = std::move(name);
    }
    return;
  }
  // Intended histograms: an empty one stands for "same as latency"; materialize when they differ.
  const bool into_same = into.intended.empty(), e_same = e.intended.empty();
  if (!(into_same && e_same)) {
    if (into_same) into.intended = into.latency;
    merge_into(into.intended, e_same ? e.latency : e.intended);
  }
  merge_into(into.latency, e.latency);
  into.min_us = std::min(into.min_us, e.min_us);
  into.max_us = std::max(into.max_us, e.max_us);
  into.intended_min_us = std::min(into.intended_min_us, e.intended_min_us);
  into.intended_max_us = std::max(into.intended_max_us, e.intended_max_us);
  into.requests += e.requests;
  into.failures += e.failures;
  into.sum_us += e.sum_us;
  into.content_bytes += e.content_bytes;
  if (e.first_wall_s > 0)
    into.first_wall_s =
        into.first_wall_s == 0 ? e.first_wall_s : std::min(into.first_wall_s, e.first_wall_s);
  into.last_wall_s = std::max(into.last_wall_s, e.last_wall_s);
}

void merge(shard_delta& into, shard_delta&& from) {
  if (into.empty()) {
    into = std::move(from);
    return;
  }
  {
    // Both sorted by (name, method): merge-join; entries beyond the cap fold as a recorder does.
    std::vector<entry_delta> out;
    out.reserve(into.entries.size() + from.entries.size());
    auto less = [](const entry_delta& a, const entry_delta& b) {
      return a.name != b.name ? a.name < b.name : a.method < b.method;
    };
    size_t i = 0, j = 0;
    while (i < into.entries.size() || j < from.entries.size()) {
      if (j == from.entries.size() ||
          (i < into.entries.size() && less(into.entries[i], from.entries[j]))) {
        out.push_back(std::move(into.entries[i++]));
      } else if (i == into.entries.size() || less(from.entries[j], into.entries[i])) {
        out.push_back(std::move(from.entries[j++]));
      } else {
        merge_entry(into.entries[i], from.entries[j++]);
        out.push_back(std::move(into.entries[i++]));
      }
    }
    if (out.size() > max_entries + extra_fold_entries) {
      // Keep the first max_entries names (sorted order is the same on every node); fold the rest
      // into one "(other names)" entry per method, as a recorder does.
      std::map<std::string, entry_delta> folded;
      std::vector<entry_delta> kept;
      kept.reserve(max_entries + 4);
      size_t named = 0;
      for (auto& e : out) {
        if (e.name != other_names_entry && named < max_entries) {
          ++named;
          kept.push_back(std::move(e));
          continue;
        }
        auto [it, fresh] = folded.try_emplace(e.method);
        if (fresh) {
          it->second.method = e.method;
          it->second.name = other_names_entry;
        }
        merge_entry(it->second, e);
      }
      for (auto& [m, e] : folded) kept.push_back(std::move(e));
      std::sort(kept.begin(), kept.end(), less);
      out.swap(kept);
    }
    into.entries.swap(out);
  }
  {
    std::map<std::string, size_t> at;
    std::string key;
    for (size_t k = 0; k < into.failures.size(); ++k) {
      const auto& f = into.failures[k];
      make_key(key, f.method, f.name, f.error);
      at.emplace(key, k);
    }
    for (auto& f : from.failures) {
      make_key(key, f.method, f.name, f.error);
      auto it = at.find(key);
      if (it == at.end() && into.failures.size() >= max_failure_kinds) {
        make_key(key, "", other_names_entry, other_errors);
        it = at.find(key);
        if (it == at.end()) {
          failure_delta o{"", other_names_entry, other_errors, 0, f.first_wall_s, f.last_wall_s};
          it = at.emplace(key, into.failures.size()).first;
          into.failures.push_back(std::move(o));
        }
      }
      if (it == at.end()) {
        at.emplace(key, into.failures.size());
        into.failures.push_back(std::move(f));
        continue;
      }
      auto& t = into.failures[it->second];
      t.count += f.count;
      t.first_wall_s = std::min(t.first_wall_s, f.first_wall_s);
      t.last_wall_s = std::max(t.last_wall_s, f.last_wall_s);
    }
  }
  {
    std::map<std::string, size_t> at;
    std::string key;
    for (size_t k = 0; k < into.exceptions.size(); ++k) {
      const auto& x = into.exceptions[k];
      make_key(key, x.message, x.traceback, x.node);
      at.emplace(key, k);
    }
    for (auto& x : from.exceptions) {
      make_key(key, x.message, x.traceback, x.node);
      auto it = at.find(key);
      if (it == at.end() && into.exceptions.size() >= max_exception_kinds) {
        make_key(key, other_exceptions, "", x.node);
        it = at.find(key);
        if (it == at.end()) {
          exception_delta o{other_exceptions, "", x.node, 0};
          it = at.emplace(key, into.exceptions.size()).first;
          into.exceptions.push_back(std::move(o));
        }
      }
      if (it == at.end()) {
        at.emplace(key, into.exceptions.size());
        into.exceptions.push_back(std::move(x));
        continue;
      }
      into.exceptions[it->second].count += x.count;
    }
  }
  for (auto& c : from.classes) {
    auto it = std::find_if(into.classes.begin(), into.classes.end(),
                           [&](const class_delta& x) { return x.user_class == c.user_class; });
    if (it == into.classes.end()) {
      into.classes.push_back(std::move(c));
      continue;
    }
    it->dropped_arrivals += c.dropped_arrivals;
    it->sessions_started += c.sessions_started;
    it->sessions_ended += c.sessions_ended;
  }
}

}  // namespace endure::stats
