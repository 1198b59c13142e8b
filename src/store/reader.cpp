#include "store/reader.hpp"

#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>

#include "stats/run_totals.hpp"
#include "stats/sparse.hpp"
#include "store/bucket.hpp"
#include "store/schema.hpp"
#include "store/sqlite.hpp"

namespace endure::store {

namespace {

constexpr int64_t no_end = std::numeric_limits<int64_t>::max();
constexpr double qs4[4] = {0.50, 0.90, 0.95, 0.99};

int64_t floor_to(int64_t t, int64_t len) {
  const int64_t q = t / len;
  return (t % len != 0 && t < 0 ? q - 1 : q) * len;
}

double ms(uint64_t us) { return static_cast<double>(us) / 1000.0; }

uint32_t be(const unsigned char* p, int n) {
  uint32_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

// The file-level checks SQLite itself does lazily (a truncated file often opens fine and fails
// on some later page): a missing file, not SQLite, cut short.
std::string check_file(const std::string& path) {
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(st)) return "cannot open " + path + ": no such file";
  if (std::filesystem::is_directory(st)) return path + " is a directory, not a run store";
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return "cannot read " + path + ": " + ec.message();
  if (size == 0) return path + " is not an endure run store (an empty file)";
  std::ifstream in(path, std::ios::binary);
  unsigned char h[100] = {};
  in.read(reinterpret_cast<char*>(h), sizeof h);
  if (!in || std::memcmp(h, "SQLite format 3", 16) != 0)
    return path + " is not an endure run store (not a SQLite database)";
  uint64_t page = be(h + 16, 2);
  if (page == 1) page = 65536;
  const uint64_t pages = be(h + 28, 4);
  const bool pages_valid = be(h + 24, 4) == be(h + 92, 4) && pages > 0;
  if (page < 512 || (page & (page - 1)) != 0)
    return path + " is damaged: a bad page size in its header";
  if (size % page != 0 || (pages_valid && size < pages * page))
    return path + " is truncated: " + std::to_string(size) + " bytes" +
           (pages_valid ? " of " + std::to_string(pages * page) : std::string());
  return {};
}

// The stored run_state text back to the enum (records replayed into stats::run_totals).
stats::run_state state_of(const std::string& s) {
  for (auto st : {stats::run_state::ready, stats::run_state::spawning, stats::run_state::running,
                  stats::run_state::stopping, stats::run_state::stopped})
    if (s == stats::to_string(st)) return st;
  return stats::run_state::running;
}

struct tier_state {
  int64_t first_t = 0, rolled_t = -1;
};

// Rows with lo <= t < hi of one tier.
struct stretch {
  int tier;
  int64_t lo, hi;
};

}  // namespace

std::string run_info::locustfile_name() const {
  if (locustfiles.empty()) return "";
  return std::filesystem::path(locustfiles.front().path).stem().string();
}

struct reader::impl {
  std::string path;
  sql::database db;
  std::unique_ptr<bucket_io> io;
  run_info info;
  int64_t last_segment = 0;
  std::vector<std::pair<int64_t, double>> segments;  // (segment, start wall)
  std::array<tier_state, tiers.size()> tier_now{};

  // Dictionaries, loaded on first use and again when an id is new (a run still being written).
  std::map<int64_t, std::pair<std::string, std::string>> entry_names, kind_texts, series_names;
  std::map<int64_t, std::string> error_texts;

  void load_dicts() {
    entry_names.clear();
    error_texts.clear();
    kind_texts.clear();
    series_names.clear();
    auto e = db.prepare("SELECT entry_id, method, name FROM entry");
    while (e.step()) entry_names[e.int64(0)] = {e.text(1), e.text(2)};
    auto r = db.prepare("SELECT error_id, text FROM error");
    while (r.step()) error_texts[r.int64(0)] = r.text(1);
    auto k = db.prepare("SELECT kind_id, message, traceback FROM exception_kind");
    while (k.step()) kind_texts[k.int64(0)] = {k.text(1), k.text(2)};
    auto m = db.prepare("SELECT series_id, source, metric FROM monitor_series");
    while (m.step()) series_names[m.int64(0)] = {m.text(1), m.text(2)};
  }
  template <class Map>
  const typename Map::mapped_type& lookup(Map& m, int64_t id) {
    auto it = m.find(id);
    if (it == m.end()) {
      load_dicts();
      it = m.find(id);
      if (it == m.end()) throw sql::failure(SQLITE_CORRUPT, "an id without its name in the store");
    }
    return it->second;
  }

  void load_tiers() {
    auto st = db.prepare("SELECT tier, first_t, rolled_t FROM tier");
    while (st.step()) {
      const auto k = static_cast<size_t>(st.int64(0));
      if (k < tier_now.size()) tier_now[k] = {st.int64(1), st.int64(2)};
    }
  }

  void load_info() {
    info.path = path;
    info.schema_version = static_cast<int>(db.query_int("PRAGMA user_version"));
    auto run = db.prepare(
        "SELECT run_id, start_wall_s, endure_version, command_line, host, interval_ms, node, "
        "machine_host, machine_cores, machine_memory_bytes, machine_os FROM run");
    if (!run.step()) throw sql::failure(SQLITE_CORRUPT, "no run record");
    info.run_id = run.text(0);
    info.start_wall_s = run.real(1);
    info.endure_version = run.text(2);
    auto argv = nlohmann::json::parse(run.text(3), nullptr, false);
    if (argv.is_array())
      for (const auto& a : argv)
        if (a.is_string()) info.command_line.push_back(a.get<std::string>());
    info.host = run.text(4);
    info.interval_ms = static_cast<uint32_t>(run.int64(5));
    info.node = run.text(6);
    info.machine = {run.text(7), run.text(10), run.uint64(8), run.uint64(9)};
    auto opt = db.prepare("SELECT name, value, source FROM option ORDER BY name");
    while (opt.step()) info.options.push_back({opt.text(0), opt.text(1), opt.text(2)});
    auto lf = db.prepare("SELECT path, sha256, size_bytes FROM locustfile ORDER BY rowid");
    while (lf.step()) info.locustfiles.push_back({lf.text(0), lf.text(1), lf.uint64(2)});
    auto cls = db.prepare("SELECT name, weight, fixed_count FROM user_class ORDER BY class_index");
    while (cls.step())
      info.classes.push_back(
          {cls.text(0), static_cast<int>(cls.int64(1)), static_cast<int>(cls.int64(2))});
    refresh();
  }

  // What changes while a run is written: its end, its data span, segments, tiers.
  void refresh() {
    auto end = db.prepare("SELECT end_wall_s, reason, exit_code FROM run_end");
    if (end.step()) {
      info.has_end = true;
      info.end_wall_s = end.real(0);
      info.end_reason = end.text(1);
      info.exit_code = static_cast<int>(end.int64(2));
    }
    auto span = db.prepare(
        "SELECT min(start_wall_s), max(end_wall_s), max(user_count_max) FROM interval WHERE "
        "intervals > 0");
    if (span.step() && !span.is_null(0)) {
      info.first_data_wall_s = span.real(0);
      info.last_data_wall_s = span.real(1);
      info.peak_users = span.uint64(2);
    }
    auto seg = db.prepare("SELECT segment, start_wall_s FROM segment ORDER BY segment");
    segments.clear();
    while (seg.step()) segments.emplace_back(seg.int64(0), seg.real(1));
    last_segment = segments.empty() ? 0 : segments.back().first;
    info.totals_start_wall_s = segments.empty() ? info.start_wall_s : segments.back().second;
    load_tiers();
  }

  // Every row of [lo, hi) once, from tier k where it is complete and the finer tiers after it.
  std::vector<stretch> cover(int k, int64_t lo, int64_t hi) const {
    std::vector<stretch> out;
    for (;;) {
      const auto& st = tier_now[static_cast<size_t>(k)];
      const int64_t end = k == 0 ? hi : (st.rolled_t < 0 ? lo : std::min(hi, st.rolled_t));
      if (end > lo) out.push_back({k, lo, end});
      if (k == 0 || end >= hi) break;
      lo = std::max(lo, end);
      k = tiers[static_cast<size_t>(k)].source;
    }
    return out;
  }

  // The finest tier that still holds the rows from t on.
  int finest_from(int64_t t) const {
    for (const auto& spec : tiers)
      if (tier_now[static_cast<size_t>(spec.tier)].first_t <= t) return spec.tier;
    return exact_tier;
  }

  stats::interval_record to_record(const bucket& b) {
    stats::interval_record r;
    r.id = static_cast<uint64_t>(b.t);
    r.length_ms = 1000;
    r.node = info.node;
    const auto& iv = b.interval;
    r.test = iv.test;
    r.start_wall_s = iv.start_wall_s;
    r.end_wall_s = iv.end_wall_s;
    r.state = state_of(iv.state);
    r.stalled = iv.intervals > 0 && iv.stalled == iv.intervals;
    r.is_final = iv.is_final;
    r.user_count = iv.user_count;
    for (const auto& [cls, u] : b.users) {
      r.users_by_class.emplace_back(cls, u.users);
      if (u.dropped_arrivals + u.sessions_started + u.sessions_ended > 0)
        r.data.classes.push_back({cls, u.dropped_arrivals, u.sessions_started, u.sessions_ended});
    }
    r.health = {iv.cpu_percent, iv.rss_bytes, iv.loop_lag_ms, iv.cpu_saturated};
    for (const auto& [id, e] : b.entries) {
      if (id == 0 || e.requests == 0) continue;
      const auto& [method, name] = lookup(entry_names, id);
      stats::entry_delta d;
      d.method = method;
      d.name = name;
      e.to_delta(d);
      r.data.entries.push_back(std::move(d));
    }
    // run_totals and the recorder keep entries sorted by (name, method).
    std::sort(r.data.entries.begin(), r.data.entries.end(), [](const auto& a, const auto& c) {
      return std::tie(a.name, a.method) < std::tie(c.name, c.method);
    });
    for (const auto& [k, f] : b.failures) {
      const auto& [method, name] = lookup(entry_names, k.first);
      r.data.failures.push_back(
          {method, name, lookup(error_texts, k.second), f.count, f.first_wall_s, f.last_wall_s});
    }
    for (const auto& [k, n] : b.exceptions) {
      const auto& [message, traceback] = lookup(kind_texts, k.first);
      r.data.exceptions.push_back({message, traceback, k.second, n});
    }
    for (const auto& [id, m] : b.monitor) {
      const auto& [source, metric] = lookup(series_names, id);
      r.monitor.push_back({source, metric, m.value});
    }
    return r;
  }

  void each_record(const window& w, const std::function<void(const stats::interval_record&)>& f) {
    const double a = w.from_wall_s.value_or(info.start_wall_s);
    const auto at = static_cast<int64_t>(std::floor(a));
    const int k = finest_from(at);
    const int64_t lo = floor_to(at, tiers[static_cast<size_t>(k)].length_s);
    const int64_t hi = w.to_wall_s ? static_cast<int64_t>(std::ceil(*w.to_wall_s)) : no_end;
    each_bucket(cover(k, lo, hi), std::nullopt, [&](bucket& b) {
      // ids stay Unix seconds (the 1 s records' own): a coarser row is one record at its start.
      f(to_record(b));
    });
  }

  // Calls f with each bucket of the stretches in time order; buckets of the same t (several
  // segments, in a window) are merged first.
  void each_bucket(const std::vector<stretch>& parts, std::optional<int64_t> segment,
                   const std::function<void(bucket&)>& f, const scan_options& o = {}) {
    for (const auto& p : parts) {
      bucket held;
      bool has = false;
      io->scan(
          p.tier, p.lo, p.hi, segment,
          [&](bucket& b) {
            if (has && held.t == b.t) {
              held.add(b);
              return;
            }
            if (has) f(held);
            held = std::move(b);
            has = true;
          },
          o);
      if (has) f(held);
    }
  }

  // The rows the run's own totals are made of (the last segment, exact tiers), as records.
  void each_totals_record(const std::function<void(const stats::interval_record&)>& f) {
    const double start = info.totals_start_wall_s;
    const auto parts = cover(
        exact_tier, floor_to(static_cast<int64_t>(std::floor(start)), tiers[exact_tier].length_s),
        no_end);
    each_bucket(parts, last_segment, [&](bucket& b) { f(to_record(b)); });
  }

  stats::snapshot_ptr totals(const window& w, bool with_buckets) {
    std::vector<stretch> parts;
    std::optional<int64_t> segment;
    double start = 0;
    if (w.is_whole_run()) {
      // The run's own totals: the last segment, from the exact tiers only (1 h, then 1 s).
      segment = last_segment;
      start = info.totals_start_wall_s;
      parts = cover(exact_tier,
                    floor_to(static_cast<int64_t>(std::floor(start)), tiers[exact_tier].length_s),
                    no_end);
    } else {
      const double a = w.from_wall_s.value_or(info.start_wall_s);
      const auto at = static_cast<int64_t>(std::floor(a));
      const int k = finest_from(at);
      const int64_t lo = floor_to(at, tiers[static_cast<size_t>(k)].length_s);
      const int64_t hi = w.to_wall_s ? static_cast<int64_t>(std::ceil(*w.to_wall_s)) : no_end;
      parts = cover(k, lo, hi);
      start = std::max(static_cast<double>(lo), info.start_wall_s);
    }
    stats::run_totals totals(start);
    totals.reset(start);
    each_bucket(parts, segment, [&](bucket& b) { totals.add(to_record(b)); });
    stats::run_totals::view_options vo;
    vo.with_buckets = with_buckets;
    auto snap = totals.view(vo);
    if (snap->start_wall_s == 0) {
      auto copy = std::make_shared<stats::snapshot>(*snap);
      copy->start_wall_s = start;
      snap = copy;
    }
    return snap;
  }

  run_summary summary() {
    run_summary s;
    const double start = info.totals_start_wall_s;
    const auto parts = cover(
        exact_tier, floor_to(static_cast<int64_t>(std::floor(start)), tiers[exact_tier].length_s),
        no_end);
    entry_acc agg;
    scan_options o;
    o.only_entry = 0;
    o.details = false;
    each_bucket(
        parts, last_segment,
        [&](bucket& b) {
          if (auto it = b.entries.find(0); it != b.entries.end()) agg.add(it->second);
        },
        o);
    s.requests = agg.requests;
    s.failures = agg.failures;
    const double q3[3] = {0.50, 0.95, 0.99};
    uint64_t v[3] = {};
    stats::sparse_quantiles(agg.latency, agg.min_us, agg.max_us, q3, 3, v);
    s.p50_ms = ms(v[0]);
    s.p95_ms = ms(v[1]);
    s.p99_ms = ms(v[2]);
    const double end = info.has_end ? info.end_wall_s : info.last_data_wall_s;
    s.duration_s = end > info.start_wall_s ? end - info.start_wall_s : 0;
    return s;
  }

  series_set series(const series_request& req) {
    series_set out;
    const double a = req.w.from_wall_s.value_or(info.first_data_wall_s > 0 ? info.first_data_wall_s
                                                                           : info.start_wall_s);
    const double b = req.w.to_wall_s.value_or(std::max(info.last_data_wall_s, a + 1));
    const auto at = static_cast<int64_t>(std::floor(a));
    const auto bt = static_cast<int64_t>(std::ceil(b));
    const int64_t span = std::max<int64_t>(1, bt - at);
    const auto n = static_cast<int64_t>(std::max<size_t>(1, req.max_points));
    // The finest tier that holds the window's start and needs at most 4 rows per point.
    int k = exact_tier;
    for (const auto& spec : tiers) {
      if (tier_now[static_cast<size_t>(spec.tier)].first_t > at) continue;
      if (span / spec.length_s <= 4 * n) {
        k = spec.tier;
        break;
      }
    }
    const int64_t len = tiers[static_cast<size_t>(k)].length_s;
    const int64_t step = len * std::max<int64_t>(1, (span + n * len - 1) / (n * len));
    const int64_t origin = floor_to(at, step);
    out.step_s = static_cast<double>(step);
    out.row_length_s = len;
    out.from_wall_s = static_cast<double>(origin);
    out.to_wall_s = b;

    // Which entries: ids by name.
    load_dicts();
    std::map<int64_t, size_t> wanted;  // entry id -> index in out.entries
    for (const auto& [id, mn] : entry_names) {
      if (id == 0) continue;
      const bool asked = req.all_entries ||
                         std::find(req.entries.begin(), req.entries.end(), mn) != req.entries.end();
      if (!asked) continue;
      wanted[id] = out.entries.size();
      out.entries.push_back({mn.first, mn.second, {}});
    }
    out.aggregated.method = "";
    out.aggregated.name = "Aggregated";

    // Points built from one stored row each use its stored percentiles (no histogram decoding),
    // unless a reset puts two segments' rows at one time.
    bool resets_inside = false;
    for (const auto& [seg, wall] : segments)
      if (seg != segments.front().first && wall >= a - static_cast<double>(span) && wall < b)
        resets_inside = true;

    std::map<std::pair<int64_t, int64_t>, size_t> failure_slots;
    std::map<int64_t, size_t> monitor_slots;

    bucket point;
    int64_t point_index = std::numeric_limits<int64_t>::min();
    auto flush = [&]() {
      if (point_index == std::numeric_limits<int64_t>::min() || point.interval.intervals == 0)
        return;
      const double p0 = static_cast<double>(origin + point_index * step);
      const double p1 = p0 + static_cast<double>(step);
      const auto& iv = point.interval;
      out.run.push_back({p0, p1, iv.user_count, iv.user_count_max, iv.cpu_percent, iv.rss_bytes,
                         iv.loop_lag_ms, iv.cpu_saturated});
      const double covered = iv.end_wall_s - iv.start_wall_s > 0.5 ? iv.end_wall_s - iv.start_wall_s
                                                                   : static_cast<double>(step);
      auto make = [&](const entry_acc& e) {
        series_point sp;
        sp.start_wall_s = p0;
        sp.end_wall_s = p1;
        sp.requests = e.requests;
        sp.failures = e.failures;
        sp.rps = static_cast<double>(e.requests) / covered;
        sp.fail_per_s = static_cast<double>(e.failures) / covered;
        sp.avg_ms = e.requests ? ms(e.sum_us) / static_cast<double>(e.requests) : 0;
        sp.min_ms = ms(e.min_us);
        sp.max_ms = ms(e.max_us);
        std::array<uint64_t, 4> p = e.stored_pct_us;
        if (!e.latency.empty())
          stats::sparse_quantiles(e.latency, e.min_us, e.max_us, qs4, 4, p.data());
        sp.p50_ms = ms(p[0]);
        sp.p90_ms = ms(p[1]);
        sp.p95_ms = ms(p[2]);
        sp.p99_ms = ms(p[3]);
        return sp;
      };
      for (const auto& [id, e] : point.entries) {
        if (e.requests == 0) continue;
        if (id == 0)
          out.aggregated.points.push_back(make(e));
        else if (auto it = wanted.find(id); it != wanted.end())
          out.entries[it->second].points.push_back(make(e));
      }
      if (req.failures) {
        for (const auto& [key, f] : point.failures) {
          auto [it, fresh] = failure_slots.try_emplace(key, out.failures.size());
          if (fresh) {
            const auto& [method, name] = lookup(entry_names, key.first);
            out.failures.push_back({method, name, lookup(error_texts, key.second), {}});
          }
          out.failures[it->second].counts.emplace_back(p0, f.count);
        }
      }
      for (const auto& [id, m] : point.monitor) {
        auto [it, fresh] = monitor_slots.try_emplace(id, out.monitor.size());
        if (fresh) {
          const auto& [source, metric] = lookup(series_names, id);
          out.monitor.push_back({source, metric, {}});
        }
        out.monitor[it->second].points.push_back({p0, m.value, m.min, m.max, m.last, m.samples});
      }
    };

    for (const auto& part : cover(k, floor_to(at, len), bt)) {
      scan_options o;
      o.histograms = resets_inside || tiers[static_cast<size_t>(part.tier)].length_s != step;
      if (wanted.empty()) o.only_entry = 0;  // the Aggregated series alone: skip every entry's rows
      io->scan(
          part.tier, part.lo, part.hi, std::nullopt,
          [&](bucket& row) {
            const int64_t idx = floor_to(row.t - origin, step) / step;
            if (idx != point_index) {
              flush();
              point = bucket{};
              point_index = idx;
            }
            // Entries nobody asked for are not kept (their histograms are the bulk of the work).
            for (auto it = row.entries.begin(); it != row.entries.end();)
              it = it->first != 0 && !wanted.count(it->first) ? row.entries.erase(it)
                                                              : std::next(it);
            if (!req.failures) row.failures.clear();
            point.add(row);  // one row per point without histograms: its stored percentiles stay
          },
          o);
    }
    flush();
    return out;
  }
};

reader::reader(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
reader::~reader() = default;

const run_info& reader::info() const { return impl_->info; }

namespace {
// One read snapshot per query: a store still being written changes between statements, and a
// query must see its tiers, segments and rows as of one moment (WAL readers never block it).
struct read_snapshot {
  sql::database& db;
  explicit read_snapshot(sql::database& d) : db(d) { db.exec("BEGIN"); }
  ~read_snapshot() {
    try {
      db.exec("COMMIT");
    } catch (const sql::failure&) {
    }
  }
};

template <class F>
auto guarded(const std::string& path, F&& f) -> base::result<decltype(f())> {
  try {
    return f();
  } catch (const sql::failure& e) {
    if (e.is_corrupt()) return base::make_error(path + " is damaged: " + e.what());
    return base::make_error("cannot read " + path + ": " + e.what());
  }
}
}  // namespace

base::result<std::unique_ptr<reader>> reader::open(const std::string& path) {
  if (auto why = check_file(path); !why.empty()) return base::make_error(why);
  auto p = std::make_unique<impl>();
  p->path = path;
  try {
    try {
      p->db = sql::database(path, sql::open_mode::read_write);
    } catch (const sql::failure&) {
      p->db = sql::database(path, sql::open_mode::read_only);
    }
    if (auto why = check_readable(p->db, path); !why.empty()) return base::make_error(why);
    if (p->db.query_int("PRAGMA user_version") < schema_version) create_or_migrate(p->db);
    p->io = std::make_unique<bucket_io>(p->db);
    p->load_info();
  } catch (const sql::failure& e) {
    if (e.rc() == SQLITE_NOTADB)
      return base::make_error(path + " is not an endure run store (not a SQLite database)");
    if (e.is_corrupt()) return base::make_error(path + " is damaged: " + e.what());
    return base::make_error("cannot read " + path + ": " + e.what());
  }
  return std::unique_ptr<reader>(new reader(std::move(p)));
}

base::result<stats::snapshot_ptr> reader::totals(const window& w, bool with_buckets) {
  return guarded(impl_->path, [&] {
    read_snapshot snap(impl_->db);
    impl_->refresh();
    return impl_->totals(w, with_buckets);
  });
}

base::result<run_summary> reader::summary() {
  return guarded(impl_->path, [&] {
    read_snapshot snap(impl_->db);
    impl_->refresh();
    return impl_->summary();
  });
}

base::result<series_set> reader::series(const series_request& r) {
  return guarded(impl_->path, [&] {
    read_snapshot snap(impl_->db);
    impl_->refresh();
    return impl_->series(r);
  });
}

base::result<base::unit> reader::each_record(
    const window& w, const std::function<void(const stats::interval_record&)>& f) {
  return guarded(impl_->path, [&] {
    impl_->each_record(w, f);
    return base::unit{};
  });
}

base::result<base::unit> reader::each_totals_record(
    const std::function<void(const stats::interval_record&)>& f) {
  return guarded(impl_->path, [&] {
    read_snapshot snap(impl_->db);
    impl_->refresh();
    impl_->each_totals_record(f);
    return base::unit{};
  });
}

base::result<std::vector<event_row>> reader::events(const window& w) {
  return guarded(impl_->path, [&] {
    auto st = impl_->db.prepare(
        "SELECT wall_s, kind, detail, test, user_count FROM event WHERE wall_s >= ? AND wall_s <= "
        "? "
        "ORDER BY event_id");
    st.bind(1, w.from_wall_s.value_or(0.0)).bind(2, w.to_wall_s.value_or(1e18));
    std::vector<event_row> out;
    while (st.step())
      out.push_back({st.real(0), st.text(1), st.text(2), st.uint64(3), st.uint64(4)});
    return out;
  });
}

base::result<std::string> reader::locustfile_content(const std::string& path) {
  return guarded(impl_->path, [&] {
    auto st = impl_->db.prepare("SELECT content FROM locustfile WHERE path = ?");
    st.bind(1, path);
    return st.step() ? std::string(st.blob(0)) : std::string();
  });
}

base::result<base::unit> reader::copy_to(const std::string& dest) {
  return guarded(impl_->path, [&] {
    auto st = impl_->db.prepare("VACUUM INTO ?");
    st.bind(1, dest);
    st.run();
    return base::unit{};
  });
}

}  // namespace endure::store
