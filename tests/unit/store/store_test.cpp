// The run store on a simulated clock: records with synthetic ids (seconds) are written and read
// back; the whole run's CSV files regenerated from the store equal those of the same records fed
// to stats::run_totals (as the run itself does), byte for byte, before and after roll-ups; tiers
// are pruned by data age; late records, a full disk and bad files are handled.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include "report/csv.hpp"
#include "stats/histogram.hpp"
#include "stats/run_totals.hpp"
#include "store/bucket.hpp"
#include "store/reader.hpp"
#include "store/schema.hpp"
#include "store/sqlite.hpp"
#include "store/writer.hpp"
#include "support/synthetic_records.hpp"

namespace fs = std::filesystem;
using namespace endure;
using test_support::synthetic_config;
using test_support::synthetic_records;

namespace {

std::string fresh_path(const std::string& name) {
  const auto dir = fs::temp_directory_path() / ("endure-store-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const auto p = dir / (name + ".db");
  for (const char* s : {"", "-wal", "-shm"}) fs::remove(p.string() + s);
  return p.string();
}

store::run_meta meta_at(double start) {
  store::run_meta m;
  m.start_wall_s = start;
  m.endure_version = "test";
  m.command_line = {"endure", "-f", "locustfile.py"};
  m.host = "http://127.0.0.1:1";
  m.classes = {{"Browser", 3, 0}, {"Shopper", 1, 2}};
  m.locustfiles = {{"locustfile.py", "abc"}};
  m.options = {{"users", "10", "command line"}};
  m.machine = store::this_machine();
  return m;
}

// What the run does: the same records and events into run_totals (the totals stage) and the store.
struct run_pair {
  run_pair(const std::string& path, double start, store::writer_settings ws = {}) {
    auto made = store::writer::create(path, meta_at(start), std::move(ws));
    EXPECT_TRUE(made) << (made ? "" : made.err().message);
    if (made) w = std::move(*made);
    event("test_start", start);
  }
  std::unique_ptr<store::writer> w;
  stats::run_totals totals;
  void event(const std::string& kind, double wall, uint64_t test = 1) {
    w->write(store::event_info{wall, kind, test, 0, ""});
    if (kind == "test_start" || kind == "stats_reset") totals.reset(wall);
  }
  void record(const stats::record_ptr& r) {
    w->write(*r);
    totals.add(*r);
  }
};

std::string csv_files(const stats::snapshot& s) {
  return report::stats_csv(s) + report::failures_csv(s) + report::exceptions_csv(s);
}

std::unique_ptr<store::reader> open_reader(const std::string& path) {
  auto r = store::reader::open(path);
  EXPECT_TRUE(r) << (r ? "" : r.err().message);
  return r ? std::move(*r) : nullptr;
}

int64_t count_rows(const std::string& path, const std::string& sql) {
  store::sql::database db(path, store::sql::open_mode::read_only);
  return db.query_int(sql);
}

}  // namespace

TEST(store_coarsen, is_idempotent_exact_to_merge_and_within_half_a_percent) {
  std::mt19937_64 rng(7);
  stats::sparse_counts a, b;
  for (uint32_t i = 0; i < stats::histogram::bucket_total;
       i += 1 + static_cast<uint32_t>(rng() % 97)) {
    (rng() % 2 ? a : b).emplace_back(i, 1 + rng() % 5);
  }
  auto ca = a, cb = b;
  store::coarsen(ca);
  store::coarsen(cb);
  auto twice = ca;
  store::coarsen(twice);
  EXPECT_EQ(twice, ca);
  auto sum = a;
  stats::merge_into(sum, b);
  store::coarsen(sum);
  auto sum_of_coarse = ca;
  stats::merge_into(sum_of_coarse, cb);
  EXPECT_EQ(sum, sum_of_coarse);
  EXPECT_EQ(stats::total_count(ca), stats::total_count(a));
  for (uint32_t i = 200; i < stats::histogram::bucket_total; i += 13) {
    stats::sparse_counts one{{i, 1}};
    store::coarsen(one);
    const double v = static_cast<double>(stats::histogram::bucket_mid_us(i));
    const double c = static_cast<double>(stats::histogram::bucket_mid_us(one[0].first));
    ASSERT_LE(std::abs(c - v) / v, 0.005) << "bucket " << i;
  }
}

TEST(store_round_trip, whole_run_csv_files_equal_the_runs_own) {
  const auto path = fresh_path("round_trip");
  synthetic_records gen({.entries = 8,
                         .requests_per_s = 400,
                         .failure_ratio = 0.02,
                         .exception_every_s = 20,
                         .seed = 11});
  const uint64_t t0 = 1'790'000'000;
  run_pair run(path, t0 - 0.4);
  for (uint64_t id = t0; id < t0 + 600; ++id) {
    auto r = gen.make(id);
    if (id == t0 + 599) {
      auto last = std::make_shared<stats::interval_record>(*r);
      last->is_final = true;
      last->end_wall_s = static_cast<double>(id) + 0.37;
      r = last;
    }
    run.record(r);
  }
  run.event("test_stop", t0 + 600);
  ASSERT_TRUE(run.w->finish(t0 + 600.5, "run time", 1));
  EXPECT_TRUE(run.w->status().complete);
  EXPECT_EQ(run.w->status().records_written, 600u);
  const auto own = run.totals.view({.with_buckets = true});

  auto rd = open_reader(path);
  ASSERT_TRUE(rd);
  auto got = rd->totals();
  ASSERT_TRUE(got) << got.err().message;
  EXPECT_GT(own->aggregated.num_failures, 0u);
  EXPECT_FALSE(own->exceptions.empty());
  EXPECT_EQ(csv_files(**got), csv_files(*own));
  EXPECT_EQ((*got)->aggregated.percentiles_ms, own->aggregated.percentiles_ms);
  EXPECT_EQ((*got)->aggregated.total_rps, own->aggregated.total_rps);
  EXPECT_TRUE((*got)->is_final);

  const auto& info = rd->info();
  EXPECT_TRUE(info.has_end);
  EXPECT_EQ(info.end_reason, "run time");
  EXPECT_EQ(info.exit_code, 1);
  EXPECT_EQ(info.first_data_wall_s, static_cast<double>(t0));
  EXPECT_EQ(info.last_data_wall_s, static_cast<double>(t0 + 599) + 0.37);
  auto sum = rd->summary();
  ASSERT_TRUE(sum);
  EXPECT_EQ(sum->requests, own->aggregated.num_requests);
  EXPECT_EQ(sum->failures, own->aggregated.num_failures);
  EXPECT_EQ(sum->p95_ms, own->aggregated.percentiles_ms[5]);
  auto ev = rd->events();
  ASSERT_TRUE(ev);
  ASSERT_EQ(ev->size(), 2u);
  EXPECT_EQ((*ev)[0].kind, "test_start");
  EXPECT_EQ((*ev)[1].kind, "test_stop");
}

// Dropped arrivals and sessions per class (the open model, session churn) are kept per stretch
// and come back whole: the run's own totals and the store's agree.
TEST(store_round_trip, dropped_arrivals_and_sessions_per_class_come_back) {
  const auto path = fresh_path("classes");
  synthetic_records gen({.entries = 2, .requests_per_s = 50, .seed = 3});
  const uint64_t t0 = 1'790'000'000;
  run_pair run(path, t0);
  for (uint64_t id = t0; id < t0 + 300; ++id) {
    auto r = std::make_shared<stats::interval_record>(*gen.make(id));
    r->users_by_class = {{"Shopper", 7}};
    r->data.classes.push_back({"Shopper", 3, id % 10 == 0 ? 1u : 0u, id % 10 == 5 ? 1u : 0u});
    run.record(r);
  }
  ASSERT_TRUE(run.w->finish(t0 + 301, "run time", 0));
  const auto own = run.totals.view();
  ASSERT_EQ(own->classes.size(), 1u);
  EXPECT_EQ(own->classes[0].dropped_arrivals, 900u);
  auto rd = open_reader(path);
  ASSERT_TRUE(rd);
  auto got = rd->totals();
  ASSERT_TRUE(got) << got.err().message;
  ASSERT_EQ((*got)->classes.size(), 1u);
  EXPECT_EQ((*got)->classes[0].user_class, "Shopper");
  EXPECT_EQ((*got)->classes[0].dropped_arrivals, 900u);
  EXPECT_EQ((*got)->classes[0].sessions_started, 30u);
  EXPECT_EQ((*got)->classes[0].sessions_ended, 30u);
  EXPECT_EQ(count_rows(path, "SELECT sum(dropped_arrivals) FROM users WHERE tier = 0"), 900);
}

// A store of schema version 1 (no per-class counts) is migrated when opened, and reads as before.
TEST(store_versions, a_version_1_store_is_migrated_when_opened) {
  const auto path = fresh_path("v1");
  synthetic_records gen({.entries = 2, .requests_per_s = 50, .seed = 4});
  const uint64_t t0 = 1'790'000'000;
  {
    run_pair run(path, t0);
    for (uint64_t id = t0; id < t0 + 60; ++id) run.record(gen.make(id));
    ASSERT_TRUE(run.w->finish(t0 + 61, "run time", 0));
  }
  {
    // Back to version 1: the users table as it was.
    store::sql::database db(path, store::sql::open_mode::read_write);
    db.exec("ALTER TABLE users DROP COLUMN dropped_arrivals; ALTER TABLE users DROP COLUMN "
            "sessions_started; ALTER TABLE users DROP COLUMN sessions_ended; PRAGMA user_version = 1;");
  }
  auto rd = open_reader(path);
  ASSERT_TRUE(rd);
  auto got = rd->totals();
  ASSERT_TRUE(got) << got.err().message;
  EXPECT_GT((*got)->aggregated.num_requests, 0u);
  EXPECT_EQ(count_rows(path, "PRAGMA user_version"), store::schema_version);
  EXPECT_EQ(count_rows(path, "SELECT count(*) FROM pragma_table_info('users') WHERE name = 'dropped_arrivals'"), 1);
}

TEST(store_round_trip, paced_runs_keep_the_intended_histograms) {
  const auto path = fresh_path("paced");
  synthetic_records gen({.entries = 3, .requests_per_s = 90, .paced = true, .seed = 5});
  const uint64_t t0 = 1'790'000'000;
  run_pair run(path, t0);
  for (uint64_t id = t0; id < t0 + 120; ++id) run.record(gen.make(id));
  ASSERT_TRUE(run.w->finish(t0 + 121, "run time", 0));
  const auto own = run.totals.view();
  auto rd = open_reader(path);
  auto got = rd->totals();
  ASSERT_TRUE(got);
  ASSERT_EQ((*got)->rows.size(), own->rows.size());
  for (size_t i = 0; i < own->rows.size(); ++i) {
    EXPECT_EQ((*got)->rows[i].intended_percentiles_ms, own->rows[i].intended_percentiles_ms);
    EXPECT_NE(own->rows[i].intended_percentiles_ms, own->rows[i].percentiles_ms);
  }
}

TEST(store_round_trip, a_stats_reset_starts_the_run_totals_again_and_a_window_spans_both) {
  const auto path = fresh_path("reset");
  synthetic_records gen({.entries = 4, .requests_per_s = 100, .seed = 3});
  const uint64_t t0 = 1'790'000'000;
  run_pair run(path, t0);
  uint64_t before = 0, all = 0;
  for (uint64_t id = t0; id < t0 + 300; ++id) {
    if (id == t0 + 100) {
      before = all;
      run.event("stats_reset", static_cast<double>(id));
    }
    auto r = gen.make(id);
    for (const auto& e : r->data.entries) all += e.requests;
    run.record(r);
  }
  ASSERT_TRUE(run.w->finish(t0 + 300, "run time", 0));
  auto rd = open_reader(path);
  auto whole = rd->totals();
  ASSERT_TRUE(whole);
  EXPECT_EQ(csv_files(**whole), csv_files(*run.totals.view()));
  EXPECT_EQ((*whole)->aggregated.num_requests, all - before);
  EXPECT_EQ(rd->info().totals_start_wall_s, static_cast<double>(t0 + 100));
  store::window w;
  w.from_wall_s = t0;
  w.to_wall_s = t0 + 300;
  auto span = rd->totals(w);
  ASSERT_TRUE(span);
  EXPECT_EQ((*span)->aggregated.num_requests, all);
}

TEST(store_tiers, four_hours_of_seconds_roll_up_exactly_and_old_seconds_are_pruned) {
  const auto path = fresh_path("four_hours");
  synthetic_records gen({.entries = 3, .requests_per_s = 30, .seed = 9});
  const uint64_t t0 = 1'790'000'000 - 1'790'000'000 % 3600 + 1800;  // half past an hour
  const uint64_t n = 4 * 3600 + 1234;
  run_pair run(path, t0);
  std::map<uint64_t, stats::record_ptr> last_hour;
  for (uint64_t id = t0; id < t0 + n; ++id) {
    auto r = gen.make(id);
    if (id >= t0 + n - 3600) last_hour[id] = r;
    run.record(r);
  }
  ASSERT_TRUE(run.w->finish(static_cast<double>(t0 + n), "run time", 0));
  const int64_t t_max = static_cast<int64_t>(t0 + n - 1);
  // 1 s rows: pruned in whole hours to the last 3 h (and never before the 1 h tier's seal).
  const int64_t first0 = count_rows(path, "SELECT min(t) FROM interval WHERE tier = 0");
  EXPECT_EQ(first0 % 3600, 0);
  EXPECT_LE(first0, t_max + 1 - 3 * 3600);
  EXPECT_GT(first0, t_max + 1 - 4 * 3600);
  EXPECT_EQ(count_rows(path, "SELECT min(t) FROM interval WHERE tier = 1"),
            static_cast<int64_t>(t0));
  EXPECT_EQ(count_rows(path, "SELECT count(*) FROM interval WHERE tier = 4"), 4);  // sealed hours
  EXPECT_EQ(count_rows(path, "SELECT count(*) FROM interval WHERE tier = 1"),
            (t_max + 1 - static_cast<int64_t>(t0)) / 10);
  // Every tier holds the same requests for the stretch it sealed.
  const int64_t sealed4 = count_rows(path, "SELECT rolled_t FROM tier WHERE tier = 4");
  EXPECT_EQ(
      count_rows(path, "SELECT sum(requests) FROM stats WHERE tier = 4 AND entry_id = 0"),
      count_rows(path, "SELECT sum(requests) FROM stats WHERE tier = 1 AND entry_id = 0 AND t < " +
                           std::to_string(sealed4)));

  auto rd = open_reader(path);
  auto whole = rd->totals();
  ASSERT_TRUE(whole);
  EXPECT_EQ(csv_files(**whole), csv_files(*run.totals.view()));

  // The last hour from 1 s rows: exactly the records' own merged histogram.
  store::window w;
  w.from_wall_s = static_cast<double>(last_hour.begin()->first);
  auto hour = rd->totals(w);
  ASSERT_TRUE(hour);
  stats::run_totals direct(w.from_wall_s.value());
  for (const auto& [id, r] : last_hour) direct.add(*r);
  EXPECT_EQ(report::stats_csv(**hour), report::stats_csv(*direct.view()));

  // Series: at most N points; points' requests add up to the whole; a point's percentiles are
  // those of its merged histogram.
  store::series_request req;
  req.max_points = 500;
  req.all_entries = true;
  auto s = rd->series(req);
  ASSERT_TRUE(s) << s.err().message;
  EXPECT_LE(s->aggregated.points.size(), 500u);
  EXPECT_GE(s->aggregated.points.size(), 250u);
  uint64_t sum = 0;
  for (const auto& p : s->aggregated.points) sum += p.requests;
  EXPECT_EQ(sum, (*whole)->aggregated.num_requests);
  ASSERT_EQ(s->entries.size(), 3u);
  ASSERT_EQ(s->run.size(), s->aggregated.points.size());
  EXPECT_EQ(s->monitor.size(), 1u);

  store::series_request recent;
  recent.w.from_wall_s = static_cast<double>(t0 + n - 600);
  recent.max_points = 200;  // 600 s of 1 s rows: 3 s a point
  auto r2 = rd->series(recent);
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->step_s, 3);
  EXPECT_EQ(r2->row_length_s, 1);
  const auto& p = r2->aggregated.points.at(10);
  stats::sparse_counts merged;
  uint64_t lo = UINT64_MAX, hi = 0, req_n = 0;
  for (auto id = static_cast<uint64_t>(p.start_wall_s); id < static_cast<uint64_t>(p.end_wall_s);
       ++id)
    for (const auto& e : last_hour.at(id)->data.entries) {
      stats::merge_into(merged, e.latency);
      lo = std::min(lo, e.min_us);
      hi = std::max(hi, e.max_us);
      req_n += e.requests;
    }
  const double q[2] = {0.95, 0.99};
  uint64_t v[2];
  stats::sparse_quantiles(merged, lo, hi, q, 2, v);
  EXPECT_EQ(p.requests, req_n);
  EXPECT_EQ(p.p95_ms, static_cast<double>(v[0]) / 1000.0);
  EXPECT_EQ(p.p99_ms, static_cast<double>(v[1]) / 1000.0);
}

TEST(store_tiers, five_weeks_of_data_are_pruned_tier_by_tier_and_the_whole_run_stays_exact) {
  const auto path = fresh_path("five_weeks");
  synthetic_records gen({.entries = 2, .requests_per_s = 20, .seed = 4});
  const uint64_t t0 = 1'790'002'000;
  // A record every 10 minutes for 35 days (the store skips the empty stretches in between).
  run_pair run(path, t0);
  uint64_t t = t0;
  for (; t < t0 + 35 * 86400; t += 600) run.record(gen.make(t));
  ASSERT_TRUE(run.w->finish(static_cast<double>(t), "run time", 0));
  const int64_t now = static_cast<int64_t>(t - 600);
  for (const auto& spec : store::tiers) {
    const int64_t first =
        count_rows(path, "SELECT min(t) FROM interval WHERE tier = " + std::to_string(spec.tier));
    if (spec.keep_s == 0) {
      EXPECT_EQ(first, static_cast<int64_t>(t0 - t0 % spec.length_s)) << "tier " << spec.tier;
      continue;
    }
    EXPECT_GE(first, now + 1 - spec.keep_s - store::prune_grain_s) << "tier " << spec.tier;
    EXPECT_LE(first, now + 1 - spec.keep_s + spec.length_s) << "tier " << spec.tier;
  }
  auto rd = open_reader(path);
  auto whole = rd->totals();
  ASSERT_TRUE(whole);
  EXPECT_EQ(csv_files(**whole), csv_files(*run.totals.view()));
  // A 35-day window in at most 2000 points: the 1 h rows (840), one row per point.
  store::series_request req;
  auto s = rd->series(req);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->row_length_s, 3600);
  EXPECT_LE(s->aggregated.points.size(), 2000u);
  EXPECT_GE(s->aggregated.points.size(), 800u);
  // A day in the middle of the run comes from the 10 min rows, still kept for 30 days.
  store::series_request day;
  day.w.from_wall_s = static_cast<double>(t0 + 20 * 86400);
  day.w.to_wall_s = static_cast<double>(t0 + 21 * 86400);
  auto d = rd->series(day);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->row_length_s, 600);
  // t0 is 400 s past a 10 min boundary: the day touches 145 rows.
  EXPECT_EQ(d->aggregated.points.size(), 145u);
}

TEST(store_writer, a_late_record_reaches_every_tier_already_rolled_up) {
  const auto path = fresh_path("late");
  synthetic_records gen({.entries = 2, .requests_per_s = 20, .seed = 8});
  const uint64_t t0 = 1'790'006'400;  // on the hour
  run_pair run(path, t0);
  for (uint64_t id = t0; id < t0 + 3700; ++id)
    if (id != t0 + 15) run.record(gen.make(id));
  auto late = gen.make(t0 + 15);
  run.record(late);  // after its 10 s, 1 min, 10 min and 1 h buckets were rolled up
  ASSERT_TRUE(run.w->finish(t0 + 3700, "run time", 0));
  uint64_t late_requests = 0;
  for (const auto& e : late->data.entries) late_requests += e.requests;
  const auto total = static_cast<int64_t>(run.totals.view()->aggregated.num_requests);
  const std::string first_hour =
      " AND t >= " + std::to_string(t0) + " AND t < " + std::to_string(t0 + 3600);
  const int64_t seconds = count_rows(
      path, "SELECT sum(requests) FROM stats WHERE entry_id = 0 AND tier = 0" + first_hour);
  for (int tier : {1, 2, 3, 4})
    EXPECT_EQ(count_rows(path, "SELECT sum(requests) FROM stats WHERE entry_id = 0 AND tier = " +
                                   std::to_string(tier) + first_hour),
              seconds)
        << "tier " << tier;
  EXPECT_EQ(count_rows(path, "SELECT requests FROM stats WHERE entry_id = 0 AND tier = 0 AND t = " +
                                 std::to_string(t0 + 15)),
            static_cast<int64_t>(late_requests));
  EXPECT_GT(late_requests, 0u);
  auto rd = open_reader(path);
  auto whole = rd->totals();
  ASSERT_TRUE(whole);
  EXPECT_EQ(static_cast<int64_t>((*whole)->aggregated.num_requests), total);
}

TEST(store_writer, a_full_disk_holds_intervals_merged_and_writes_them_when_there_is_room) {
  const auto path = fresh_path("full_then_room");
  synthetic_records gen({.entries = 4, .requests_per_s = 80, .failure_ratio = 0.05, .seed = 2});
  int commits = 0;
  store::writer_settings ws;
  ws.before_commit = [&commits] {
    ++commits;
    if (commits > 30 && commits <= 45)
      throw store::sql::failure(SQLITE_FULL, "database or disk is full");
  };
  const uint64_t t0 = 1'790'000'000;
  run_pair run(path, t0, ws);
  bool seen_incomplete = false;
  for (uint64_t id = t0; id < t0 + 100; ++id) {
    run.record(gen.make(id));
    const auto st = run.w->status();
    if (!st.complete) {
      seen_incomplete = true;
      EXPECT_NE(st.reason.find("not written: database or disk is full"), std::string::npos)
          << st.reason;
      EXPECT_GT(st.records_held, 0u);
    }
  }
  EXPECT_TRUE(seen_incomplete);
  ASSERT_TRUE(run.w->finish(t0 + 100, "run time", 0));
  EXPECT_TRUE(run.w->status().complete) << run.w->status().reason;
  auto rd = open_reader(path);
  auto whole = rd->totals();
  ASSERT_TRUE(whole);
  EXPECT_EQ(csv_files(**whole), csv_files(*run.totals.view()));
  // The seconds held while full are one row (coarser time), not lost.
  EXPECT_LT(count_rows(path, "SELECT count(*) FROM interval WHERE tier = 0"), 100);
  EXPECT_EQ(count_rows(path, "SELECT sum(intervals) FROM interval WHERE tier = 0"), 100);
}

TEST(store_writer, a_disk_full_until_the_end_leaves_what_was_written_and_no_end_record) {
  const auto path = fresh_path("full_at_end");
  synthetic_records gen({.entries = 2, .requests_per_s = 20, .seed = 2});
  int commits = 0;
  store::writer_settings ws;
  ws.before_commit = [&commits] {
    if (++commits > 21) throw store::sql::failure(SQLITE_FULL, "database or disk is full");
  };
  const uint64_t t0 = 1'790'000'000;
  run_pair run(path, t0, ws);  // commit 1: the test_start event
  for (uint64_t id = t0; id < t0 + 50; ++id) run.record(gen.make(id));
  EXPECT_FALSE(run.w->finish(t0 + 50, "run time", 0));
  const auto st = run.w->status();
  EXPECT_FALSE(st.complete);
  EXPECT_NE(st.reason.find("30 intervals from "), std::string::npos) << st.reason;
  run.w.reset();
  auto rd = open_reader(path);
  EXPECT_FALSE(rd->info().has_end);
  EXPECT_EQ(count_rows(path, "SELECT count(*) FROM interval WHERE tier = 0"), 20);
  EXPECT_EQ(rd->info().last_data_wall_s, static_cast<double>(t0 + 20));
}

TEST(store_writer, refuses_an_existing_file_and_a_missing_folder) {
  const auto path = fresh_path("exists");
  { std::ofstream(path) << "x"; }
  auto w = store::writer::create(path, meta_at(1));
  ASSERT_FALSE(w);
  EXPECT_NE(w.err().message.find("already exists"), std::string::npos) << w.err().message;
  auto m = store::writer::create("/nonexistent-dir/x.db", meta_at(1));
  ASSERT_FALSE(m);
  EXPECT_EQ(m.err().message.rfind("cannot create the run store /nonexistent-dir/x.db: ", 0), 0u)
      << m.err().message;
  EXPECT_FALSE(fs::exists("/nonexistent-dir/x.db"));
}

TEST(store_writer, run_metadata_round_trips) {
  const auto path = fresh_path("meta");
  auto w = store::writer::create(path, meta_at(1'790'000'000.25));
  ASSERT_TRUE(w);
  w->reset();
  auto rd = open_reader(path);
  const auto& i = rd->info();
  EXPECT_EQ(i.start_wall_s, 1'790'000'000.25);
  EXPECT_EQ(i.command_line, (std::vector<std::string>{"endure", "-f", "locustfile.py"}));
  ASSERT_EQ(i.classes.size(), 2u);
  EXPECT_EQ(i.classes[1].name, "Shopper");
  EXPECT_EQ(i.classes[1].weight, 1);
  EXPECT_EQ(i.classes[1].fixed_count, 2);
  ASSERT_EQ(i.locustfiles.size(), 1u);
  EXPECT_EQ(i.locustfiles[0].sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(i.locustfile_name(), "locustfile");
  EXPECT_EQ(*rd->locustfile_content("locustfile.py"), "abc");
  ASSERT_EQ(i.options.size(), 1u);
  EXPECT_EQ(i.options[0].value, "10");
  EXPECT_FALSE(i.has_end);
  EXPECT_EQ(i.schema_version, store::schema_version);
  EXPECT_GT(i.machine.cores, 0u);
  EXPECT_EQ(count_rows(path, "PRAGMA application_id"), store::application_id);
  // Nothing recorded yet: empty totals, empty series.
  auto t = rd->totals();
  ASSERT_TRUE(t);
  EXPECT_EQ((*t)->aggregated.num_requests, 0u);
  auto s = rd->series({});
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->aggregated.points.empty());
}

TEST(store_reader, refuses_files_that_are_not_readable_stores_with_one_line) {
  const auto dir = fs::path(fresh_path("bad")).parent_path();
  auto expect_refused = [](const std::string& p, const std::string& want) {
    auto r = store::reader::open(p);
    ASSERT_FALSE(r) << p;
    EXPECT_NE(r.err().message.find(want), std::string::npos) << r.err().message;
    EXPECT_EQ(r.err().message.find('\n'), std::string::npos);
    EXPECT_EQ(r.err().code, 2);
  };
  expect_refused((dir / "missing.db").string(), "no such file");
  const auto text = (dir / "text.db").string();
  { std::ofstream(text) << "Type,Name\r\nGET,/\r\n"; }
  expect_refused(text, "is not an endure run store (not a SQLite database)");
  const auto empty = (dir / "empty.db").string();
  { std::ofstream e(empty); }
  expect_refused(empty, "is not an endure run store (an empty file)");
  const auto other = (dir / "other.db").string();
  fs::remove(other);
  {
    store::sql::database db(other, store::sql::open_mode::create);
    db.exec("CREATE TABLE t (x); INSERT INTO t VALUES (1)");
  }
  expect_refused(other, "is not an endure run store (a SQLite database of something else)");

  // A real store, then a newer-schema copy and a truncated copy of it.
  const auto good = fresh_path("good");
  synthetic_records gen({.entries = 20, .requests_per_s = 2000, .seed = 1});
  {
    run_pair run(good, 1'790'000'000);
    for (uint64_t id = 1'790'000'000; id < 1'790'000'200; ++id) run.record(gen.make(id));
    ASSERT_TRUE(run.w->finish(1'790'000'200, "run time", 0));
  }
  ASSERT_TRUE(store::reader::open(good));
  const auto newer = (dir / "newer.db").string();
  fs::copy_file(good, newer, fs::copy_options::overwrite_existing);
  {
    store::sql::database db(newer, store::sql::open_mode::read_write);
    db.exec("PRAGMA user_version = 99");
  }
  expect_refused(newer, "has store schema version 99, newer than this endure reads (2)");
  const auto cut = (dir / "cut.db").string();
  fs::copy_file(good, cut, fs::copy_options::overwrite_existing);
  fs::resize_file(cut, fs::file_size(cut) / 2);
  expect_refused(cut, "is truncated: ");
}

TEST(store_reader, follows_a_store_still_being_written) {
  const auto path = fresh_path("live");
  synthetic_records gen({.entries = 3, .requests_per_s = 60, .seed = 12});
  const uint64_t t0 = 1'790'000'000;
  run_pair run(path, t0);
  for (uint64_t id = t0; id < t0 + 30; ++id) run.record(gen.make(id));
  auto rd = open_reader(path);  // opened while the writer has the file open
  ASSERT_TRUE(rd);
  EXPECT_FALSE(rd->info().has_end);
  auto first = rd->totals();
  ASSERT_TRUE(first);
  EXPECT_EQ(csv_files(**first), csv_files(*run.totals.view()));
  for (uint64_t id = t0 + 30; id < t0 + 90; ++id) run.record(gen.make(id));
  auto later = rd->totals();  // the same reader sees what was written since
  ASSERT_TRUE(later);
  EXPECT_EQ(csv_files(**later), csv_files(*run.totals.view()));
  EXPECT_EQ(rd->info().last_data_wall_s, static_cast<double>(t0 + 90));
  store::series_request req;
  req.w.from_wall_s = t0;
  req.w.to_wall_s = t0 + 90;
  auto s = rd->series(req);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->aggregated.points.size(), 90u);
  ASSERT_TRUE(run.w->finish(t0 + 90, "run time", 0));
}

// reader::copy_to: a copy of a store still being written (its write-ahead log folded in) reads
// as the original did at that moment; a copy onto an existing file is refused.
TEST(store_reader, a_copy_of_a_live_store_reads_as_the_original_did) {
  const auto path = fresh_path("copy_live");
  const auto copy = fresh_path("copy_live_copy");
  synthetic_records gen({.entries = 3, .requests_per_s = 60, .seed = 21});
  const uint64_t t0 = 1'790'030'000;
  run_pair run(path, t0);
  for (uint64_t id = t0; id < t0 + 120; ++id) run.record(gen.make(id));
  auto rd = open_reader(path);
  auto live = rd->totals();
  ASSERT_TRUE(live) << live.err().message;
  ASSERT_GT((*live)->aggregated.num_requests, 0u);
  auto made = rd->copy_to(copy);
  ASSERT_TRUE(made) << made.err().message;
  ASSERT_TRUE(run.w->finish(static_cast<double>(t0 + 120), "run time", 0));

  auto back = open_reader(copy);
  auto copied = back->totals();
  ASSERT_TRUE(copied) << copied.err().message;
  EXPECT_EQ(csv_files(**copied), csv_files(**live));
  EXPECT_FALSE(back->info().has_end);  // copied before the end record
  EXPECT_TRUE(open_reader(path)->info().has_end);

  auto again = rd->copy_to(copy);
  EXPECT_FALSE(again);
}
