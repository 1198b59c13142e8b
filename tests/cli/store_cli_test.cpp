// The run store as a user meets it, with the endure binary as a subprocess against the demo shop:
// on by default in ./runs with its path printed, `endure report` regenerating the run's own CSV
// files byte for byte, `endure runs`, `endure compare --fail-on`, bad files and paths refused with
// one line and exit code 2, and SIGKILL at 20 random moments leaving a sound store that holds every
// completed second and reports that the run ended abnormally.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "cli_support.hpp"
#include "store/sqlite.hpp"

namespace fs = std::filesystem;
using namespace endure::test_support;
using namespace std::chrono_literals;
namespace sql = endure::store::sql;

namespace {

const std::string mix = ENDURE_SOURCE_DIR "/tests/cli/locustfiles/store_mix.cpp";

void compile_once() {
  static bool done = false;
  if (done) return;
  run_process({endure_bin, "-f", mix, "--list"}, {cache_env}, 180s);
  done = true;
}

std::vector<std::string> run_args(const std::string& url, const std::string& time,
                                  std::vector<std::string> extra) {
  std::vector<std::string> a = {endure_bin, "-f", mix,   "--host", url,  "--headless",    "-u",
                                "6",        "-r", "100", "-t",     time, "--only-summary"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

std::string query(const std::string& db_path, const std::string& q) {
  sql::database db(db_path, sql::open_mode::read_only);
  return db.query_text(q);
}

std::vector<std::string> db_files(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".db") out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

double now_s() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

bool wait_for_file(const std::string& path, std::chrono::milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (!fs::exists(path)) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

}  // namespace

TEST(store_cli, report_regenerates_the_runs_csv_files_byte_for_byte) {
  const std::string dir = temp_dir("store_report");
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  compile_once();
  const auto run =
      run_process(run_args(shop.url(), "3s", {"--csv", dir + "/run", "--store", dir + "/run.db"}),
                  {cache_env}, 120s);
  ASSERT_EQ(run.exit_code, 1) << run.err;  // 404s and exceptions on purpose
  EXPECT_NE(run.err.find("Recording the run in " + dir + "/run.db"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("The run is recorded in " + dir + "/run.db"), std::string::npos)
      << run.err;

  const auto rep = run_process({endure_bin, "report", dir + "/run.db", "--csv", dir + "/again",
                                "--json", dir + "/again.json", "--html", dir + "/again.html"},
                               {}, 60s);
  ASSERT_EQ(rep.exit_code, 0) << rep.err;
  for (const char* f : {"_stats.csv", "_failures.csv", "_exceptions.csv"}) {
    const std::string own = read_file(dir + "/run" + f), again = read_file(dir + "/again" + f);
    EXPECT_EQ(again, own) << f;
    EXPECT_GE(split(own, '\n').size(), 2u) << f << " has no rows:\n" << own;
  }
  EXPECT_NE(read_file(dir + "/run_exceptions.csv").find("out of stock"), std::string::npos);
  EXPECT_NE(read_file(dir + "/run_failures.csv").find("/no/such/page"), std::string::npos);
  EXPECT_NE(rep.out.find("Ended        "), std::string::npos) << rep.out;
  EXPECT_NE(rep.out.find("(run time, exit code 1)"), std::string::npos) << rep.out;
  EXPECT_NE(rep.out.find("Aggregated"), std::string::npos);
  auto stats = read_stats_csv(dir + "/run_stats.csv");
  const auto j = nlohmann::json::parse(read_file(dir + "/again.json"), nullptr, false);
  ASSERT_TRUE(j.is_array());
  uint64_t json_total = 0;
  for (const auto& e : j) json_total += e.value("num_requests", uint64_t{0});
  EXPECT_EQ(json_total, count_of(stats, " Aggregated"));
  const std::string html = read_file(dir + "/again.html");
  EXPECT_NE(html.find("</html>"), std::string::npos);
  EXPECT_NE(html.find("<polyline"), std::string::npos);
  EXPECT_EQ(html.find("ended abnormally"), std::string::npos);

  // What the run is, recorded.
  const std::string db = dir + "/run.db";
  EXPECT_EQ(query(db, "SELECT value || ' ' || source FROM option WHERE name = 'users'"),
            "6 command line");
  EXPECT_EQ(query(db, "SELECT value FROM option WHERE name = 'store'"), db);
  EXPECT_EQ(query(db, "SELECT group_concat(name || ':' || weight, ',') FROM user_class"),
            "Shopper:1,Browser:2");
  EXPECT_EQ(query(db, "SELECT content FROM locustfile"), read_file(mix));
  EXPECT_EQ(query(db, "SELECT reason || ' ' || exit_code FROM run_end"), "run time 1");
  EXPECT_EQ(query(db, "SELECT count(*) FROM event WHERE kind = 'test_start'"), "1");
  EXPECT_EQ(query(db, "SELECT json_extract(command_line, '$[0]') FROM run"), "endure");
  // Every interval once, one second apart, and their requests add up to the run's.
  EXPECT_EQ(query(db, "SELECT max(t) - min(t) + 1 = count(*) FROM interval WHERE tier = 0"), "1");
  EXPECT_EQ(query(db, "SELECT sum(requests) FROM stats WHERE tier = 0 AND entry_id = 0"),
            std::to_string(count_of(stats, " Aggregated")));

  // A window: the first two seconds of the run hold fewer requests than the whole.
  const auto win = run_process(
      {endure_bin, "report", db, "--from", "0s", "--to", "2s", "--csv", dir + "/win"}, {}, 60s);
  ASSERT_EQ(win.exit_code, 0) << win.err;
  auto part = read_stats_csv(dir + "/win_stats.csv");
  EXPECT_GT(count_of(part, " Aggregated"), 0u);
  EXPECT_LE(count_of(part, " Aggregated"), count_of(stats, " Aggregated"));
  // Exactly the 1 s rows from the start's second up to the one holding start + 2 s (a window's
  // edges are rounded to the rows stored); a busy machine may have stalled the run's last second,
  // so "fewer than the whole run" alone could fail.
  EXPECT_EQ(std::to_string(count_of(part, " Aggregated")),
            query(db, "SELECT sum(requests) FROM stats, run WHERE tier = 0 AND entry_id = 0 AND "
                      "t >= CAST(start_wall_s AS INTEGER) AND t < CAST(start_wall_s + 2 AS INTEGER) + "
                      "(start_wall_s + 2 > CAST(start_wall_s + 2 AS INTEGER))"));
  EXPECT_NE(win.out.find("Window       "), std::string::npos);
}

TEST(store_cli, on_by_default_in_runs_listed_by_endure_runs_and_switched_off_anywhere) {
  const std::string dir = temp_dir("store_default");
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  compile_once();
  auto r = run_process(run_args(shop.url(), "2s", {}), {cache_env}, 120s, dir);
  ASSERT_EQ(r.exit_code, 1) << r.err;
  auto files = db_files(dir + "/runs");
  ASSERT_EQ(files.size(), 1u);
  EXPECT_TRUE(files[0].ends_with("Z-store_mix.db")) << files[0];
  EXPECT_EQ(files[0].size(), std::string("2026-12-01T09-00-00Z-store_mix.db").size()) << files[0];
  EXPECT_NE(r.err.find("Recording the run in runs/" + files[0]), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("The run is recorded in runs/" + files[0]), std::string::npos) << r.err;

  const auto list = run_process({endure_bin, "runs"}, {}, 60s, dir);
  ASSERT_EQ(list.exit_code, 0) << list.err;
  const auto lines = split(list.out, '\n');
  ASSERT_GE(lines.size(), 2u) << list.out;
  EXPECT_EQ(lines[0].rfind("File", 0), 0u) << list.out;
  EXPECT_NE(lines[1].find(files[0]), std::string::npos) << list.out;
  EXPECT_NE(lines[1].find("run time"), std::string::npos) << list.out;
  EXPECT_NE(lines[1].find("store_mix"), std::string::npos) << list.out;

  // --no-store, ENDURE_NO_STORE and a config file's no-store: no new file.
  EXPECT_EQ(
      run_process(run_args(shop.url(), "1s", {"--no-store"}), {cache_env}, 120s, dir).exit_code, 1);
  EXPECT_EQ(
      run_process(run_args(shop.url(), "1s", {}), {cache_env, "ENDURE_NO_STORE=true"}, 120s, dir)
          .exit_code,
      1);
  { std::ofstream(dir + "/endure.conf") << "no-store = true\n"; }
  EXPECT_EQ(run_process(run_args(shop.url(), "1s", {}), {cache_env}, 120s, dir).exit_code, 1);
  EXPECT_EQ(db_files(dir + "/runs").size(), 1u);
  // store = PATH in a config file.
  { std::ofstream(dir + "/endure.conf") << "store = from-config.db\n"; }
  EXPECT_EQ(run_process(run_args(shop.url(), "1s", {}), {cache_env}, 120s, dir).exit_code, 1);
  EXPECT_TRUE(fs::exists(dir + "/from-config.db"));
  // ENDURE_STORE naming a folder.
  fs::create_directories(dir + "/elsewhere");
  EXPECT_EQ(
      run_process(run_args(shop.url(), "1s", {}), {cache_env, "ENDURE_STORE=elsewhere/"}, 120s, dir)
          .exit_code,
      1);
  EXPECT_EQ(db_files(dir + "/elsewhere").size(), 1u);
}

TEST(store_cli, a_store_path_that_cannot_be_written_is_refused_before_the_run) {
  const std::string dir = temp_dir("store_refused");
  compile_once();
  auto refused = [&](const std::string& store, const std::string& want) {
    const auto r = run_process(run_args("http://127.0.0.1:9", "5s", {"--store", store}),
                               {cache_env}, 60s, dir);
    EXPECT_EQ(r.exit_code, 2) << store << ": " << r.err;
    EXPECT_NE(r.err.find("endure: error: " + want), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.out.find("Aggregated"), std::string::npos) << "the test ran:\n" << r.out;
  };
  refused(dir + "/missing/",
          "cannot write the run store in '" + dir + "/missing/': the folder does not exist");
  refused(dir + "/missing/run.db", "cannot write the run store '" + dir +
                                       "/missing/run.db': folder '" + dir +
                                       "/missing' does not exist");
  { std::ofstream(dir + "/taken.db") << "x"; }
  refused(dir + "/taken.db", "the run store " + dir + "/taken.db already exists");
  // A folder the process may not write: a read-only mount as root (root ignores mode bits).
  const std::string ro = dir + "/ro";
  fs::create_directories(ro);
  bool mounted = false;
  if (::geteuid() == 0) {
    mounted = ::mount("tmpfs", ro.c_str(), "tmpfs", MS_RDONLY, "size=64k") == 0;
    if (!mounted) GTEST_SKIP() << "cannot mount a read-only tmpfs: " << std::strerror(errno);
  } else {
    fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec);
  }
  refused(ro + "/", "cannot write the run store in '" + ro + "/': the folder is not writable");
  if (mounted)
    ::umount2(ro.c_str(), MNT_DETACH);
  else
    fs::permissions(ro, fs::perms::owner_all);
}

TEST(store_cli, report_refuses_what_it_cannot_read_with_one_line_and_exit_2) {
  const std::string dir = temp_dir("store_bad");
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  compile_once();
  const std::string good = dir + "/good.db";
  ASSERT_EQ(run_process(run_args(shop.url(), "2s", {"--store", good}), {cache_env}, 120s).exit_code,
            1);
  auto refused = [&](std::vector<std::string> argv, const std::string& want) {
    argv.insert(argv.begin(), endure_bin);
    const auto r = run_process(argv, {}, 60s);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("endure: error: " + want), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  };
  { std::ofstream(dir + "/stats.csv") << "Type,Name\r\nGET,/\r\n"; }
  refused({"report", dir + "/stats.csv"},
          dir + "/stats.csv is not an endure run store (not a SQLite database)");
  fs::copy_file(good, dir + "/cut.db");
  fs::resize_file(dir + "/cut.db", fs::file_size(good) / 2);
  refused({"report", dir + "/cut.db"}, dir + "/cut.db is truncated: ");
  fs::copy_file(good, dir + "/newer.db");
  {
    sql::database db(dir + "/newer.db", sql::open_mode::read_write);
    db.exec("PRAGMA user_version = 7");
  }
  refused({"report", dir + "/newer.db"}, dir +
                                             "/newer.db has store schema version 7, newer than "
                                             "this endure reads (2): use a newer endure");
  refused({"report", dir + "/none.db"}, "cannot open " + dir + "/none.db: no such file");
  refused({"report", dir}, dir + " is a directory, not a run store");
  refused({"report"}, "endure report needs a run store: endure report RUN.db");
  refused({"report", good, "--bogus"}, "unknown option '--bogus' for endure report");
  refused({"report", good, "--from", "7x"}, "--from: invalid time '7x'");
  refused({"report", good, "--from", "2s", "--to", "1s"}, "--to must be after --from");
  refused({"report", good, "--csv", dir + "/nodir/x"},
          "cannot write --csv '" + dir + "/nodir/x_stats.csv'");
  refused({"runs", dir + "/nodir"}, "cannot list runs in '" + dir + "/nodir': no such folder");
  refused({"compare", good}, "endure compare needs two run stores");
  refused({"compare", good, good, "--fail-on", "p95>>3"}, "invalid --fail-on 'p95>>3'");
  refused({"compare", good, good, "--fail-on", "latency>+3%"},
          "invalid --fail-on 'latency>+3%': unknown metric 'latency'");
  // `endure runs` lists an unreadable file with its reason and the readable ones as usual.
  const auto list = run_process({endure_bin, "runs", dir}, {}, 60s);
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_NE(list.out.find("cut.db"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("(not readable: "), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("good.db"), std::string::npos) << list.out;
}

TEST(store_cli, compare_shows_per_endpoint_changes_and_fail_on_exits_3) {
  const std::string dir = temp_dir("store_compare");
  compile_once();
  {
    demo_shop fast;
    ASSERT_FALSE(fast.url().empty());
    ASSERT_EQ(
        run_process(run_args(fast.url(), "2s", {"--store", dir + "/base.db"}), {cache_env}, 120s)
            .exit_code,
        1);
  }
  {
    // 200 ms more per answer: far beyond what a busy test machine adds to the base run.
    demo_shop slow({"--latency-ms", "200"});
    ASSERT_FALSE(slow.url().empty());
    ASSERT_EQ(
        run_process(run_args(slow.url(), "3s", {"--store", dir + "/new.db"}), {cache_env}, 120s)
            .exit_code,
        1);
  }
  const std::string base = dir + "/base.db", now = dir + "/new.db";
  const auto table = run_process({endure_bin, "compare", base, now}, {}, 60s);
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("GET      /products "), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("Aggregated"), std::string::npos) << table.out;

  const auto hit =
      run_process({endure_bin, "compare", base, now, "--fail-on", "p50>+50%"}, {}, 60s);
  EXPECT_EQ(hit.exit_code, 3) << hit.err;
  EXPECT_NE(hit.err.find("endure: compare: GET /products p50 "), std::string::npos) << hit.err;
  EXPECT_NE(hit.err.find("matches 'p50>+50%'"), std::string::npos) << hit.err;
  const auto miss = run_process({endure_bin, "compare", base, now, "--fail-on",
                                 "Aggregated: p50>+1000s", "--fail-on", "p50<-50%"},
                                {}, 60s);
  EXPECT_EQ(miss.exit_code, 0) << miss.err;
  const auto faster = run_process(
      {endure_bin, "compare", now, base, "--fail-on", "GET /products: p50<-50%"}, {}, 60s);
  EXPECT_EQ(faster.exit_code, 3) << faster.err;

  const auto js =
      run_process({endure_bin, "compare", base, now, "--json", "--fail-on", "p50>+100ms"}, {}, 60s);
  EXPECT_EQ(js.exit_code, 3);
  const auto j = nlohmann::json::parse(js.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << js.out;
  EXPECT_EQ(j["base"]["path"], base);
  bool found = false;
  for (const auto& e : j["entries"])
    if (e["name"] == "/products" && e["method"] == "GET") {
      found = true;
      EXPECT_GT(e["new"]["p50"].get<double>(), e["base"]["p50"].get<double>() + 150);
      EXPECT_GT(e["change"]["p50_pct"].get<double>(), 50);
    }
  EXPECT_TRUE(found) << js.out;
  EXPECT_FALSE(j["failed_conditions"].empty());
}

// The events timeline of a real run: a shape's stages (targets_changed "stage: ..."), the spawn
// and the stop sequence; an open-model run keeps its dropped arrivals per class; compare takes
// a window of both runs.
TEST(store_cli, the_timeline_keeps_stages_and_the_stop_and_the_users_table_dropped_arrivals) {
  const std::string dir = temp_dir("store_timeline");
  demo_shop shop({"--latency-ms", "100"});
  ASSERT_FALSE(shop.url().empty());
  compile_once();
  const std::string shaped = dir + "/shaped.db", open = dir + "/open.db";
  auto a = run_process({endure_bin, "-f", mix, "--host", shop.url(), "--headless", "--shape", "steps:2,4@1s",
                        "-r", "100", "-t", "3s", "--only-summary", "--store", shaped, "--threshold", "p95<0.001ms"},
                       {cache_env}, 120s);
  ASSERT_EQ(a.exit_code, 3) << a.err;
  EXPECT_EQ(query(shaped, "SELECT detail FROM event WHERE kind = 'threshold'").rfind("FAILED  p95<0.001ms", 0), 0u)
      << query(shaped, "SELECT detail FROM event WHERE kind = 'threshold'");
  EXPECT_EQ(query(shaped, "SELECT exit_code FROM run_end"), "3");
  EXPECT_EQ(query(shaped, "SELECT group_concat(detail, '|') FROM (SELECT detail FROM event WHERE "
                          "kind = 'targets_changed' AND detail LIKE 'stage:%' ORDER BY wall_s)"),
            "stage: steps 1/2|stage: steps 2/2");
  for (const char* kind : {"test_start", "spawning_complete", "test_stopping", "test_stop"})
    EXPECT_EQ(query(shaped, std::string("SELECT count(*) > 0 FROM event WHERE kind = '") + kind + "'"), "1")
        << kind;
  auto b = run_process({endure_bin, "-f", mix, "--host", shop.url(), "--headless", "--arrival-rate", "60/s",
                        "--max-users", "2", "-t", "3s", "--only-summary", "--store", open},
                       {cache_env}, 120s);
  ASSERT_NE(b.exit_code, 2) << b.err;
  EXPECT_EQ(query(open, "SELECT sum(dropped_arrivals) > 60 FROM users WHERE tier = 0"), "1")
      << query(open, "SELECT sum(dropped_arrivals) FROM users WHERE tier = 0");
  // The verdict and thresholds, judged again from the store: a threshold no run meets fails (3).
  const auto judged = run_process({endure_bin, "report", shaped, "--threshold", "p95<0.001ms",
                                   "--threshold", "fail_ratio<100%", "--warmup", "0"},
                                  {}, 60s);
  EXPECT_EQ(judged.exit_code, 3) << judged.err;
  EXPECT_NE(judged.out.find("Soak verdict"), std::string::npos) << judged.out;
  EXPECT_NE(judged.out.find("FAILED  p95<0.001ms"), std::string::npos) << judged.out;
  EXPECT_NE(judged.out.find("passed  fail_ratio<100%"), std::string::npos) << judged.out;
  EXPECT_NE(judged.err.find("endure: 1 threshold failed:"), std::string::npos) << judged.err;
  const auto bad = run_process({endure_bin, "report", shaped, "--threshold", "p95<<1"}, {}, 60s);
  EXPECT_EQ(bad.exit_code, 2);
  const auto cmp = run_process({endure_bin, "compare", shaped, open, "--from", "1s", "--to", "2s"}, {}, 60s);
  EXPECT_EQ(cmp.exit_code, 0) << cmp.err;
  EXPECT_NE(cmp.out.find("Aggregated"), std::string::npos) << cmp.out;
}

TEST(store_cli, sigkill_at_20_random_moments_leaves_a_sound_store_with_every_completed_second) {
  const std::string dir = temp_dir("store_kill");
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  compile_once();
  const auto seed = static_cast<unsigned>(std::random_device{}());
  std::mt19937 rng(seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::uniform_int_distribution<int> wait_ms(0, 5000);
  int bounded = 0;  // kills late enough to check the last interval's end
  for (int i = 0; i < 20; ++i) {
    const std::string db = dir + "/kill" + std::to_string(i) + ".db";
    child_process p(run_args(shop.url(), "1h", {"--store", db}), {cache_env});
    // A moment of the run: the store exists once the run is about to start; then 0 to 5 s.
    ASSERT_TRUE(wait_for_file(db, 60s)) << i;
    std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms(rng)));
    const double killed_at = now_s();
    p.signal(SIGKILL);
    const auto r = p.wait(30s);
    ASSERT_EQ(r.exit_code, 128 + SIGKILL) << i;

    EXPECT_EQ(query(db, "PRAGMA integrity_check"), "ok") << i;
    const auto rep = run_process({endure_bin, "report", db}, {}, 60s);
    EXPECT_EQ(rep.exit_code, 0) << i << ": " << rep.err;
    EXPECT_NE(rep.out.find("Ended        abnormally: no end record"), std::string::npos)
        << i << ": " << rep.out;
    // Every interval from the first on, none missing; the last one ended at most 1.5 s before
    // the kill (the second before the kill had ended and been written), unless the test had not
    // been running that long.
    const std::string started =
        query(db, "SELECT min(wall_s) FROM event WHERE kind = 'test_start'");
    if (started.empty()) continue;  // killed before the test started: an empty run, still sound
    EXPECT_EQ(
        query(db,
              "SELECT coalesce(max(t) - min(t) + 1 = count(*), 1) FROM interval WHERE tier = 0"),
        "1")
        << i;
    const std::string last = query(db, "SELECT max(end_wall_s) FROM interval WHERE tier = 0");
    const double first_second_end = std::floor(std::stod(started)) + 1;
    if (killed_at - first_second_end > 1.5) {
      ASSERT_FALSE(last.empty()) << i;
      EXPECT_GE(std::stod(last), killed_at - 1.5)
          << i << ": killed " << killed_at - first_second_end << " s after the first second ended";
      EXPECT_NE(rep.out.find("the last interval recorded ended at "), std::string::npos) << rep.out;
      ++bounded;
    }
  }
  EXPECT_GE(bounded, 3) << "too few kills came late enough to check the last interval";
}
