#include "store/writer.hpp"

#include <openssl/evp.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <variant>

#include "base/log.hpp"
#include "store/bucket.hpp"
#include "store/schema.hpp"
#include "store/sqlite.hpp"
#include "store/time_text.hpp"

namespace endure::store {

machine_info this_machine() {
  machine_info m;
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0) m.host_name = host;
  utsname u{};
  if (uname(&u) == 0) m.os = std::string(u.sysname) + " " + u.release + " " + u.machine;
  const long cores = sysconf(_SC_NPROCESSORS_ONLN);
  m.cores = cores > 0 ? static_cast<uint64_t>(cores) : 0;
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  m.memory_bytes =
      pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) : 0;
  return m;
}

namespace {

std::string sha256_hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(data.data(), data.size(), md, &n, EVP_sha256(), nullptr) != 1) return "";
  std::string out;
  char buf[3];
  for (unsigned int i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", md[i]);
    out += buf;
  }
  return out;
}

std::string random_id() {
  std::random_device rd;
  char buf[33];
  for (int i = 0; i < 4; ++i) std::snprintf(buf + 8 * i, 9, "%08x", rd());
  return std::string(buf, 32);
}

int64_t floor_to(int64_t t, int64_t len) {
  const int64_t q = t / len;
  return (t % len != 0 && t < 0 ? q - 1 : q) * len;
}

bool starts_segment(const std::string& kind) {
  return kind == "test_start" || kind == "stats_reset";
}

// A record not written yet, with the number of intervals merged into it (a full disk).
struct held_record {
  stats::interval_record record;
  uint64_t intervals = 1;
};
using pending_item = std::variant<held_record, event_info>;

}  // namespace

struct writer::impl {
  std::string path;
  writer_settings settings;
  sql::database db;
  std::unique_ptr<bucket_io> io;
  sql::statement find_entry, add_entry, find_error, add_error, find_kind, add_kind, find_series,
      add_series, add_event, add_segment, save_tier;

  struct tier_state {
    int64_t first_t = 0;    // rows before this were pruned (0: none yet)
    int64_t rolled_t = -1;  // buckets before this are complete (-1: no data yet)
    bool operator==(const tier_state&) const = default;
  };
  struct state {
    std::array<tier_state, store::tiers.size()> tier{};
    int64_t t_max = -1;
    int64_t segment = 0;
  };
  state now;

  // Dictionary ids (bounded: the engine caps names, errors and exception kinds).
  std::map<std::pair<std::string, std::string>, int64_t> entry_ids, kind_ids, series_ids;
  std::map<std::string, int64_t> error_ids;

  std::deque<pending_item> pending;
  uint64_t held_merged = 0;     // records merged into others while failing
  double held_from_wall_s = 0;  // the first record not written yet
  uint64_t failed_attempts = 0;
  std::string failure;  // why the last attempt failed ("" while writing works)
  bool end_written = false;

  mutable std::mutex status_mutex;
  writer_status status;

  int64_t dict_id(sql::statement& find, sql::statement& add, const std::string& a,
                  const std::string* b) {
    find.bind(1, a);
    if (b != nullptr) find.bind(2, *b);
    int64_t id = -1;
    if (find.step()) id = find.int64(0);
    find.reset();
    if (id >= 0) return id;
    add.bind(1, a);
    if (b != nullptr) add.bind(2, *b);
    add.run();
    return db.last_insert_rowid();
  }
  int64_t entry_id(const std::string& method, const std::string& name) {
    auto [it, fresh] = entry_ids.try_emplace({method, name}, 0);
    if (fresh) it->second = dict_id(find_entry, add_entry, method, &name);
    return it->second;
  }
  int64_t error_id(const std::string& text) {
    auto [it, fresh] = error_ids.try_emplace(text, 0);
    if (fresh) it->second = dict_id(find_error, add_error, text, nullptr);
    return it->second;
  }
  int64_t kind_id(const std::string& message, const std::string& traceback) {
    auto [it, fresh] = kind_ids.try_emplace({message, traceback}, 0);
    if (fresh) it->second = dict_id(find_kind, add_kind, message, &traceback);
    return it->second;
  }
  int64_t series_id(const std::string& source, const std::string& metric) {
    auto [it, fresh] = series_ids.try_emplace({source, metric}, 0);
    if (fresh) it->second = dict_id(find_series, add_series, source, &metric);
    return it->second;
  }

  void prepare() {
    io = std::make_unique<bucket_io>(db);
    find_entry = db.prepare("SELECT entry_id FROM entry WHERE method = ? AND name = ?");
    add_entry = db.prepare("INSERT INTO entry (method, name) VALUES (?, ?)");
    find_error = db.prepare("SELECT error_id FROM error WHERE text = ?");
    add_error = db.prepare("INSERT INTO error (text) VALUES (?)");
    find_kind =
        db.prepare("SELECT kind_id FROM exception_kind WHERE message = ? AND traceback = ?");
    add_kind = db.prepare("INSERT INTO exception_kind (message, traceback) VALUES (?, ?)");
    find_series =
        db.prepare("SELECT series_id FROM monitor_series WHERE source = ? AND metric = ?");
    add_series = db.prepare("INSERT INTO monitor_series (source, metric) VALUES (?, ?)");
    add_event = db.prepare(
        "INSERT INTO event (wall_s, kind, test, user_count, detail) VALUES (?, ?, ?, ?, ?)");
    add_segment =
        db.prepare("INSERT INTO segment (segment, test, kind, start_wall_s) VALUES (?, ?, ?, ?)");
    save_tier = db.prepare("UPDATE tier SET first_t = ?, rolled_t = ? WHERE tier = ?");
  }

  // --- One record in tier 0, its roll-ups and pruning (inside the caller's transaction). ---

  bucket bucket_of(const stats::interval_record& r, int64_t t, uint64_t intervals) {
    bucket b;
    b.tier = 0;
    b.t = t;
    b.segment = now.segment;
    auto& iv = b.interval;
    iv.latest_t = t;
    iv.test = r.test;
    iv.start_wall_s = r.start_wall_s;
    iv.end_wall_s = r.end_wall_s;
    iv.intervals = intervals;
    iv.stalled = r.stalled ? intervals : 0;
    iv.state = stats::to_string(r.state);
    iv.is_final = r.is_final;
    iv.user_count = iv.user_count_max = r.user_count;
    iv.cpu_percent = r.health.cpu_percent;
    iv.rss_bytes = r.health.rss_bytes;
    iv.loop_lag_ms = r.health.loop_lag_ms;
    iv.cpu_saturated = r.health.cpu_saturated;
    for (const auto& d : r.data.entries)
      if (d.requests > 0) b.entries[entry_id(d.method, d.name)].add(entry_acc::of(d));
    b.compute_aggregated();
    for (const auto& [cls, n] : r.users_by_class) b.users[cls].add(users_acc{n, n, t});
    for (const auto& c : r.data.classes) {
      users_acc u;
      u.latest_t = -2;  // counts only: the users of the class come from users_by_class
      u.dropped_arrivals = c.dropped_arrivals;
      u.sessions_started = c.sessions_started;
      u.sessions_ended = c.sessions_ended;
      b.users[c.user_class].add(u);
    }
    for (const auto& f : r.data.failures)
      if (f.count > 0)
        b.failures[{entry_id(f.method, f.name), error_id(f.error)}].add(
            failure_acc{f.count, f.first_wall_s, f.last_wall_s});
    for (const auto& x : r.data.exceptions)
      if (x.count > 0) b.exceptions[{kind_id(x.message, x.traceback), x.node}] += x.count;
    for (const auto& m : r.monitor)
      b.monitor[series_id(m.source, m.metric)].add(
          monitor_acc{m.value, m.value, m.value, m.value, 1, t});
    return b;
  }

  // Adds b into the row set of (tier, t, segment), creating it when absent.
  void merge_into(int tier, int64_t t, const bucket& b, bool coarse) {
    bucket add = b;
    add.tier = tier;
    add.t = t;
    if (!io->exists(tier, t, b.segment)) {
      io->write(add, coarse);
      return;
    }
    bucket old;
    io->scan(tier, t, t + 1, b.segment, [&](bucket& x) { old = std::move(x); });
    old.add(add);
    io->erase(tier, t, b.segment);
    io->write(old, coarse);
  }

  void store_record(const held_record& h) {
    const auto& r = h.record;
    // The interval's start second: one row per second (longer intervals stay whole).
    const auto t = static_cast<int64_t>(r.id * r.length_ms / 1000);
    const bucket b = bucket_of(r, t, h.intervals);
    if (t >= now.tier[0].first_t) merge_into(0, t, b, false);
    // A record for time already rolled up (a late report): into every sealed bucket too.
    for (size_t k = 1; k < tiers.size(); ++k) {
      const auto& spec = tiers[k];
      const int64_t bt = floor_to(t, spec.length_s);
      if (bt < now.tier[k].rolled_t && bt >= now.tier[k].first_t)
        merge_into(spec.tier, bt, b, !spec.full_resolution);
    }
    if (t <= now.t_max) return;
    if (now.t_max < 0)
      for (size_t k = 1; k < tiers.size(); ++k)
        now.tier[k].rolled_t = floor_to(t, tiers[k].length_s);
    now.t_max = t;
    roll_up();
    prune();
  }

  void roll_up() {
    for (size_t k = 1; k < tiers.size(); ++k) {
      const auto& spec = tiers[k];
      const auto src = static_cast<size_t>(spec.source);
      const int64_t sealed = src == 0 ? now.t_max + 1 : now.tier[src].rolled_t;
      auto& st = now.tier[k];
      const int64_t len = spec.length_s;
      while (st.rolled_t >= 0 && st.rolled_t + len <= sealed) {
        const int64_t b0 = st.rolled_t;
        // Skip stretches without data (a pause between tests) in one step.
        const auto next = io->next_t(static_cast<int>(src), b0);
        if (!next || *next >= sealed) {
          st.rolled_t = floor_to(sealed, len);
          break;
        }
        if (*next >= b0 + len) {
          st.rolled_t = floor_to(*next, len);
          continue;
        }
        std::map<int64_t, bucket> out;  // by segment
        io->scan(static_cast<int>(src), b0, b0 + len, std::nullopt, [&](bucket& x) {
          auto& o = out[x.segment];
          o.add(x);
        });
        for (auto& [seg, o] : out) {
          o.tier = spec.tier;
          o.t = b0;
          o.segment = seg;
          io->write(o, !spec.full_resolution);
        }
        st.rolled_t = b0 + len;
      }
    }
  }

  void prune() {
    for (size_t s = 0; s < tiers.size(); ++s) {
      if (tiers[s].keep_s == 0) continue;
      int64_t limit = now.t_max + 1 - tiers[s].keep_s;
      for (const auto& d : tiers)
        if (d.source == static_cast<int>(s))
          limit = std::min(limit, now.tier[static_cast<size_t>(d.tier)].rolled_t);
      const int64_t h = floor_to(limit, prune_grain_s);
      if (h <= now.tier[s].first_t) continue;
      io->prune(static_cast<int>(s), h);
      now.tier[s].first_t = h;
    }
  }

  void save_tiers(const state& before) {
    for (size_t k = 0; k < tiers.size(); ++k) {
      if (now.tier[k] == before.tier[k]) continue;
      save_tier.bind(1, now.tier[k].first_t)
          .bind(2, now.tier[k].rolled_t)
          .bind(3, static_cast<int>(k));
      save_tier.run();
    }
  }

  void store_event(const event_info& e) {
    add_event.bind(1, e.wall_s)
        .bind(2, e.kind)
        .bind(3, e.test)
        .bind(4, e.user_count)
        .bind(5, e.detail);
    add_event.run();
    if (starts_segment(e.kind)) {
      ++now.segment;
      add_segment.bind(1, now.segment).bind(2, e.test).bind(3, e.kind).bind(4, e.wall_s);
      add_segment.run();
    }
  }

  // --- Pending items: written in order, one transaction each. ---

  void hold(pending_item item) {
    if (auto* r = std::get_if<held_record>(&item); r != nullptr && !pending.empty()) {
      // Writing fails: merge into the newest held record of the same test (exact; coarser time).
      if (auto* back = std::get_if<held_record>(&pending.back());
          back != nullptr && back->record.test == r->record.test && !back->record.is_final) {
        stats::merge(back->record, std::move(r->record));
        back->intervals += r->intervals;
        ++held_merged;
        publish();
        return;
      }
    }
    if (pending.empty()) {
      if (const auto* r = std::get_if<held_record>(&item))
        held_from_wall_s = r->record.start_wall_s;
    }
    pending.push_back(std::move(item));
  }

  void flush() {
    while (!pending.empty()) {
      const state before = now;
      try {
        sql::transaction tx(db);
        if (const auto* r = std::get_if<held_record>(&pending.front()))
          store_record(*r);
        else
          store_event(std::get<event_info>(pending.front()));
        save_tiers(before);
        if (settings.before_commit) settings.before_commit();
        tx.commit();
      } catch (const sql::failure& f) {
        now = before;
        // Ids inserted by the rolled-back transaction are gone: look them up again.
        entry_ids.clear();
        error_ids.clear();
        kind_ids.clear();
        series_ids.clear();
        ++failed_attempts;
        if (failure.empty())
          base::log_error("store", "cannot write the run store " + path + ": " + f.what() +
                                       "; intervals are held in memory (merged) and written when "
                                       "it can be written again");
        failure = f.what();
        publish();
        return;
      }
      if (const auto* h = std::get_if<held_record>(&pending.front())) {
        std::lock_guard lock(status_mutex);
        status.records_written += h->intervals;
      }
      pending.pop_front();
      if (!failure.empty() && pending.empty()) {
        base::log_warning("store", path + ": written again after " +
                                       std::to_string(failed_attempts) + " failed writes" +
                                       (held_merged > 0 ? "; " + std::to_string(held_merged + 1) +
                                                              " intervals held meanwhile were "
                                                              "written merged"
                                                        : std::string()));
        failure.clear();
        failed_attempts = 0;
        held_merged = 0;
      }
    }
    publish();
  }

  void publish() {
    std::lock_guard lock(status_mutex);
    uint64_t held = 0;
    for (const auto& p : pending)
      if (const auto* h = std::get_if<held_record>(&p)) held += h->intervals;
    status.records_held = held;
    if (failure.empty() && pending.empty()) {
      status.complete = true;
      status.reason.clear();
      return;
    }
    status.complete = false;
    status.reason = std::to_string(status.records_held) + " intervals" +
                    (held_from_wall_s > 0 ? " from " + iso_utc(held_from_wall_s) : std::string()) +
                    " not written: " + failure;
  }
};

writer::writer(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
writer::~writer() = default;

const std::string& writer::path() const { return impl_->path; }

writer_status writer::status() const {
  std::lock_guard lock(impl_->status_mutex);
  return impl_->status;
}

base::result<std::unique_ptr<writer>> writer::create(const std::string& path, const run_meta& meta,
                                                     writer_settings settings) {
  struct stat sb {};
  if (::stat(path.c_str(), &sb) == 0)
    return base::make_error("the run store " + path +
                            " already exists: name a new file, or a folder for a new file in it");
  auto p = std::make_unique<impl>();
  p->path = path;
  p->settings = std::move(settings);
  auto remove_files = [&path] {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((path + suffix).c_str());
  };
  try {
    p->db = sql::database(path, sql::open_mode::create);
    auto& db = p->db;
    // WAL: a killed process loses nothing committed and readers never block the writer.
    // synchronous=NORMAL: no fsync per interval; a power loss (not a kill) may lose the last ones.
    if (db.query_text("PRAGMA journal_mode = WAL") != "wal")
      throw sql::failure(SQLITE_CANTOPEN, "the file system does not support WAL mode");
    db.exec("PRAGMA synchronous = NORMAL");
    if (p->settings.max_pages > 0)
      db.query_int("PRAGMA max_page_count = " + std::to_string(p->settings.max_pages));
    // The schema and the run record in one transaction: a process killed while creating the
    // store leaves an empty file, never a store without its run.
    sql::transaction tx(db);
    create_or_migrate(db);
    auto run = db.prepare(
        "INSERT INTO run (run_id, start_wall_s, start_utc, endure_version, command_line, host, "
        "interval_ms, node, machine_host, machine_cores, machine_memory_bytes, machine_os) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
    run.bind(1, random_id())
        .bind(2, meta.start_wall_s)
        .bind(3, iso_utc(meta.start_wall_s))
        .bind(4, meta.endure_version)
        .bind(5, nlohmann::json(meta.command_line).dump())
        .bind(6, meta.host)
        .bind(7, static_cast<int64_t>(meta.interval_ms))
        .bind(8, meta.node)
        .bind(9, meta.machine.host_name)
        .bind(10, meta.machine.cores)
        .bind(11, meta.machine.memory_bytes)
        .bind(12, meta.machine.os);
    run.run();
    auto opt = db.prepare("INSERT OR REPLACE INTO option (name, value, source) VALUES (?,?,?)");
    for (const auto& o : meta.options) {
      opt.bind(1, o.name).bind(2, o.value).bind(3, o.source);
      opt.run();
    }
    auto lf =
        db.prepare("INSERT INTO locustfile (path, sha256, size_bytes, content) VALUES (?,?,?,?)");
    for (const auto& f : meta.locustfiles) {
      lf.bind(1, f.path)
          .bind(2, sha256_hex(f.content))
          .bind(3, static_cast<uint64_t>(f.content.size()))
          .bind_blob(4, f.content);
      lf.run();
    }
    auto cls = db.prepare(
        "INSERT INTO user_class (class_index, name, weight, fixed_count) VALUES (?,?,?,?)");
    for (size_t i = 0; i < meta.classes.size(); ++i) {
      cls.bind(1, static_cast<int64_t>(i))
          .bind(2, meta.classes[i].name)
          .bind(3, meta.classes[i].weight)
          .bind(4, meta.classes[i].fixed_count);
      cls.run();
    }
    auto tr = db.prepare(
        "INSERT INTO tier (tier, length_s, keep_s, resolution, source, first_t, rolled_t) "
        "VALUES (?,?,?,?,?,0,-1)");
    for (const auto& t : tiers) {
      tr.bind(1, t.tier)
          .bind(2, t.length_s)
          .bind(3, t.keep_s)
          .bind(4, t.full_resolution ? "full" : "storage")
          .bind(5, t.source);
      tr.run();
    }
    tx.commit();
    p->prepare();
  } catch (const sql::failure& f) {
    p.reset();
    remove_files();
    return base::make_error("cannot create the run store " + path + ": " + f.what());
  }
  return std::unique_ptr<writer>(new writer(std::move(p)));
}

base::result<std::unique_ptr<writer>> writer::resume(const std::string& path, resume_point& at,
                                                     writer_settings settings) {
  struct stat sb {};
  if (::stat(path.c_str(), &sb) != 0)
    return base::make_error("the run store " + path + " does not exist: nothing to resume");
  auto p = std::make_unique<impl>();
  p->path = path;
  p->settings = std::move(settings);
  try {
    p->db = sql::database(path, sql::open_mode::read_write);
    auto& db = p->db;
    if (const std::string why = check_readable(db, path); !why.empty()) return base::make_error(why);
    if (db.query_text("PRAGMA journal_mode = WAL") != "wal")
      throw sql::failure(SQLITE_CANTOPEN, "the file system does not support WAL mode");
    db.exec("PRAGMA synchronous = NORMAL");
    if (p->settings.max_pages > 0)
      db.query_int("PRAGMA max_page_count = " + std::to_string(p->settings.max_pages));
    create_or_migrate(db);
    if (db.query_int("SELECT count(*) FROM run") != 1)
      return base::make_error("the run store " + path + " holds no run: nothing to resume");
    if (db.query_int("SELECT count(*) FROM run_end") != 0)
      return base::make_error("the run recorded in " + path + " has ended (" +
                              db.query_text("SELECT reason FROM run_end") +
                              "): only a run that did not end can be resumed");
    {
      auto st = db.prepare("SELECT start_wall_s FROM run");
      if (st.step()) at.start_wall_s = st.real(0);
    }
    {
      auto st = db.prepare("SELECT tier, first_t, rolled_t FROM tier");
      while (st.step()) {
        const auto k = static_cast<size_t>(st.int64(0));
        if (k < tiers.size()) p->now.tier[k] = {st.int64(1), st.int64(2)};
      }
    }
    {
      auto st = db.prepare(
          "SELECT t, end_wall_s FROM interval WHERE tier = 0 ORDER BY t DESC, end_wall_s DESC "
          "LIMIT 1");
      if (st.step()) {
        at.last_t = st.int64(0);
        at.last_end_wall_s = st.real(1);
      }
    }
    // The last sign of life: the last interval's end, or a later event (none yet: the start).
    at.last_end_wall_s = std::max({at.last_end_wall_s, at.start_wall_s,
                                   static_cast<double>(db.query_int("SELECT coalesce(max(wall_s), 0) FROM event"))});
    p->now.t_max = at.last_t;
    p->now.segment = db.query_int("SELECT coalesce(max(segment), 0) FROM segment");
    at.segment = p->now.segment;
    {
      auto st = db.prepare(
          "SELECT test, wall_s FROM event WHERE kind = 'test_start' ORDER BY wall_s DESC LIMIT 1");
      if (st.step()) {
        at.test = static_cast<uint64_t>(st.int64(0));
        at.test_start_wall_s = st.real(1);
      }
    }
    p->prepare();
  } catch (const sql::failure& f) {
    return base::make_error("cannot resume the run store " + path + ": " + f.what());
  }
  return std::unique_ptr<writer>(new writer(std::move(p)));
}

void writer::write(const stats::interval_record& r) {
  // A record the engine's queue merged (a slow disk) covers several intervals: count them.
  const double len_s = r.length_ms > 0 ? r.length_ms / 1000.0 : 1.0;
  const double spanned = std::ceil((r.end_wall_s - r.start_wall_s) / len_s - 1e-3);
  impl_->hold(held_record{r, spanned > 1 ? static_cast<uint64_t>(spanned) : 1});
  impl_->flush();
}

void writer::write(const event_info& e) {
  impl_->hold(e);
  impl_->flush();
}

bool writer::finish(double end_wall_s, const std::string& reason, int exit_code) {
  auto& m = *impl_;
  m.flush();
  if (!m.pending.empty()) return false;
  try {
    sql::transaction tx(m.db);
    auto st = m.db.prepare(
        "INSERT INTO run_end (end_wall_s, end_utc, reason, exit_code, complete, problems) "
        "VALUES (?,?,?,?,1,'')");
    st.bind(1, end_wall_s).bind(2, iso_utc(end_wall_s)).bind(3, reason).bind(4, exit_code);
    st.run();
    if (m.settings.before_commit) m.settings.before_commit();
    tx.commit();
  } catch (const sql::failure& f) {
    if (m.failure.empty())
      base::log_error("store", "cannot write the end of the run to " + m.path + ": " + f.what());
    m.failure = f.what();
    std::lock_guard lock(m.status_mutex);
    m.status.complete = false;
    m.status.reason =
        std::string("no end record (it reads as a run that ended abnormally): ") + f.what();
    return false;
  }
  m.end_written = true;
  return true;
}

}  // namespace endure::store
