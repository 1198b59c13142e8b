// A full disk, with the endure binary as a subprocess writing its outputs to a tiny tmpfs that
// the test mounts, fills and frees (root only; CI runs as root): held history rows are written
// late and whole, each failing file is logged once and its recovery once, outputs that stay
// unwritten are listed at the end with exit code 4, and a disk full at start leaves no file.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "cli_support.hpp"

namespace fs = std::filesystem;
using namespace endure::test_support;
using namespace std::chrono_literals;

namespace {

const std::string locustfile = ENDURE_SOURCE_DIR "/examples/locustfile.cpp";

// A tmpfs of `size` on `dir`, unmounted (lazily, in case a file is still open) at the end.
class tmpfs_mount {
 public:
  tmpfs_mount(const std::string& dir, const char* size) : dir_(dir) {
    if (::geteuid() != 0) {
      why_not_ = "mounting a tmpfs needs root (CI runs the tests as root)";
      return;
    }
    fs::create_directories(dir);
    const std::string opts = std::string("size=") + size;
    if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, opts.c_str()) != 0) {
      why_not_ = std::string("cannot mount a tmpfs: ") + std::strerror(errno);
      return;
    }
    mounted_ = true;
  }
  ~tmpfs_mount() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  tmpfs_mount(const tmpfs_mount&) = delete;
  tmpfs_mount& operator=(const tmpfs_mount&) = delete;
  // Why the test cannot run ("" when mounted).
  const std::string& why_not() const { return why_not_; }

  // Fills every free block with one file; returns its size.
  size_t fill() const {
    std::FILE* f = std::fopen((dir_ + "/filler").c_str(), "wb");
    if (f == nullptr) return 0;
    const std::string block(4096, 'f');
    size_t n = 0;
    for (int i = 0; i < 100'000; ++i) {  // bounded: far more blocks than the mount has
      if (std::fwrite(block.data(), 1, block.size(), f) != block.size() || std::fflush(f) != 0)
        break;
      n += block.size();
    }
    std::fclose(f);
    return n;
  }
  void free_space() const { fs::remove(dir_ + "/filler"); }

 private:
  std::string dir_, why_not_;
  bool mounted_ = false;
};

bool wait_for_text(const std::string& path, const std::string& needle,
                   std::chrono::milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (read_file(path).find(needle) == std::string::npos) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(50ms);
  }
  return true;
}

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t p = 0; (p = text.find(needle, p)) != std::string::npos; p += needle.size()) ++n;
  return n;
}

size_t columns(const std::string& line) {
  size_t n = 1;
  bool quoted = false;
  for (char c : line) {
    if (c == '"') quoted = !quoted;
    if (c == ',' && !quoted) ++n;
  }
  return n;
}

// The history's records, each checked whole: CRLF-ended, the header's column count, a
// 10-digit timestamp first (a row glued into another fails one of these). Returns the
// Aggregated rows' timestamps.
std::vector<long> whole_history(const std::string& path) {
  const std::string text = read_file(path);
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t p; (p = text.find("\r\n", start)) != std::string::npos; start = p + 2)
    lines.push_back(text.substr(start, p - start));
  EXPECT_EQ(start, text.size()) << path << " ends in a partial row: " << text.substr(start);
  std::vector<long> seconds;
  if (lines.empty()) return seconds;
  EXPECT_EQ(columns(lines[0]), 24u) << lines[0];
  for (size_t i = 1; i < lines.size(); ++i) {
    const auto& l = lines[i];
    EXPECT_EQ(columns(l), 24u) << path << " line " << i + 1 << ": " << l;
    EXPECT_TRUE(l.size() > 11 && l[10] == ',' && l.find_first_not_of("0123456789") == 10)
        << path << " line " << i + 1 << ": " << l;
    if (l.find(",Aggregated,") != std::string::npos) seconds.push_back(std::stol(l.substr(0, 10)));
  }
  return seconds;
}

std::set<std::string> names_in(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

std::vector<std::string> run_args(const std::string& url, const std::string& mnt,
                                  const std::string& log) {
  // --csv-full-history: several rows a second, so the history's block fills within seconds.
  return {endure_bin, "-f", locustfile, "--host", url, "--headless", "-u", "5", "-r", "5",
          "-t", "1h", "--csv", mnt + "/run", "--csv-full-history", "--json-file",
          mnt + "/run.json", "--html", mnt + "/run.html", "--only-summary", "--logfile", log};
}

}  // namespace

TEST(disk_full, rows_held_while_full_are_written_late_and_every_file_recovers) {
  const std::string dir = temp_dir("full_then_freed"), mnt = dir + "/mnt", log = dir + "/log";
  tmpfs_mount disk(mnt, "128k");
  if (!disk.why_not().empty()) GTEST_SKIP() << disk.why_not();
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  run_process({endure_bin, "-f", locustfile, "--list"}, {cache_env}, 180s);  // compile first

  child_process p(run_args(shop.url(), mnt, log), {cache_env});
  ASSERT_TRUE(wait_for_text(mnt + "/run_stats_history.csv", ",Aggregated,", 60s));
  ASSERT_GT(disk.fill(), 0u);
  // The history fails once the block it is in is full (a few seconds of rows).
  ASSERT_TRUE(wait_for_text(log, "cannot write " + mnt + "/run_stats_history.csv", 40s))
      << read_file(log);
  std::this_thread::sleep_for(3s);  // seconds of rows held in memory
  disk.free_space();
  ASSERT_TRUE(wait_for_text(log, mnt + "/run_stats_history.csv: written again", 10s))
      << read_file(log);
  std::this_thread::sleep_for(1500ms);
  p.signal(SIGINT);
  const auto r = p.wait(30s);
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("incomplete"), std::string::npos) << r.err;

  const auto seconds = whole_history(mnt + "/run_stats_history.csv");
  ASSERT_GE(seconds.size(), 8u);
  // One row per interval, each one second after the last: the full disk cost none.
  for (size_t i = 1; i < seconds.size(); ++i)
    EXPECT_EQ(seconds[i], seconds[i - 1] + 1) << "row " << i;

  const std::string text = read_file(log);
  for (const char* f : {"/run_stats.csv", "/run_stats_history.csv"}) {
    EXPECT_EQ(count(text, "cannot write " + mnt + f + ":"), 1u) << f << "\n" << text;
    EXPECT_EQ(count(text, mnt + f + ": written again"), 1u) << f << "\n" << text;
  }
  for (const char* f : {"/run_failures.csv", "/run_exceptions.csv"}) {
    EXPECT_LE(count(text, "cannot write " + mnt + f + ":"), 1u) << f << "\n" << text;
    EXPECT_EQ(count(text, "cannot write " + mnt + f + ":"),
              count(text, mnt + f + ": written again"))
        << f << "\n"
        << text;
  }
  EXPECT_NE(text.find("seconds of rows held meanwhile were written late"), std::string::npos)
      << text;

  // The end files are whole and agree.
  const auto j = nlohmann::json::parse(read_file(mnt + "/run.json"), nullptr, false);
  ASSERT_TRUE(j.is_array()) << "JSON incomplete";
  uint64_t json_total = 0;
  for (const auto& e : j) json_total += e.value("num_requests", uint64_t{0});
  auto stats = read_stats_csv(mnt + "/run_stats.csv");
  EXPECT_EQ(count_of(stats, " Aggregated"), json_total);
  EXPECT_GT(json_total, 0u);
  EXPECT_NE(read_file(mnt + "/run.html").find("</html>"), std::string::npos);
  const std::set<std::string> want = {"run_stats.csv",    "run_stats_history.csv",
                                      "run_failures.csv", "run_exceptions.csv",
                                      "run.json",         "run.html"};
  EXPECT_EQ(names_in(mnt), want);
}

TEST(disk_full, outputs_still_unwritten_at_the_end_are_listed_and_exit_4) {
  const std::string dir = temp_dir("full_at_end"), mnt = dir + "/mnt", log = dir + "/log";
  tmpfs_mount disk(mnt, "128k");
  if (!disk.why_not().empty()) GTEST_SKIP() << disk.why_not();
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  run_process({endure_bin, "-f", locustfile, "--list"}, {cache_env}, 180s);

  child_process p(run_args(shop.url(), mnt, log), {cache_env});
  ASSERT_TRUE(wait_for_text(mnt + "/run_stats_history.csv", ",Aggregated,", 60s));
  ASSERT_GT(disk.fill(), 0u);
  ASSERT_TRUE(wait_for_text(log, "cannot write " + mnt + "/run_stats_history.csv", 40s))
      << read_file(log);
  std::this_thread::sleep_for(1500ms);
  p.signal(SIGINT);
  const auto r = p.wait(30s);
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 4) << r.err;
  // Every file: _failures.csv and _exceptions.csv are rewritten at the end too.
  EXPECT_NE(r.err.find("endure: 6 output files incomplete:\n"), std::string::npos) << r.err;
  for (const char* f :
       {"/run_failures.csv: not updated since ", "/run_exceptions.csv: not updated since "})
    EXPECT_NE(r.err.find("  " + mnt + f), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("  " + mnt + "/run_stats.csv: not updated since "), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("  " + mnt + "/run_stats_history.csv: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(" seconds of rows not written ("), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("  " + mnt + "/run.json: not written: No space left on device\n"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("  " + mnt + "/run.html: not written: No space left on device\n"),
            std::string::npos)
      << r.err;
  // What is on the disk is whole: no partial row, no temporary file, no partial JSON or HTML.
  whole_history(mnt + "/run_stats_history.csv");
  const std::set<std::string> want = {"filler", "run_stats.csv", "run_stats_history.csv",
                                      "run_failures.csv", "run_exceptions.csv"};
  EXPECT_EQ(names_in(mnt), want);
  // The log said it once per file, not once a second.
  EXPECT_EQ(count(read_file(log), "cannot write " + mnt + "/run_stats.csv:"), 1u);
}

TEST(disk_full, a_disk_full_at_start_is_refused_and_leaves_no_file) {
  const std::string dir = temp_dir("full_at_start"), mnt = dir + "/mnt";
  tmpfs_mount disk(mnt, "64k");
  if (!disk.why_not().empty()) GTEST_SKIP() << disk.why_not();
  run_process({endure_bin, "-f", locustfile, "--list"}, {cache_env}, 180s);
  ASSERT_GT(disk.fill(), 0u);
  const auto r = run_process(
      {endure_bin, "-f", locustfile, "--host", "http://127.0.0.1:9", "--headless", "-u", "1", "-t",
       "2s", "--csv", mnt + "/run", "--json-file", mnt + "/run.json", "--html", mnt + "/run.html"},
      {cache_env}, 60s);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("endure: error: cannot write " + mnt + "/run_"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(": No space left on device\n"), std::string::npos) << r.err;
  EXPECT_EQ(names_in(mnt), std::set<std::string>{"filler"});
}

namespace {

// Intervals in the run store so far (0 while it cannot be read).
long store_intervals(const std::string& db) {
  const auto r = run_process({"/usr/bin/sqlite3", "-readonly", db, "SELECT count(*) FROM interval WHERE tier = 0"}, {}, 10s);
  return r.exit_code == 0 && !r.out.empty() ? std::stol(r.out) : 0;
}

bool wait_for_intervals(const std::string& db, long n, std::chrono::milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (store_intervals(db) < n) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(100ms);
  }
  return true;
}

std::vector<std::string> store_args(const std::string& url, const std::string& db, const std::string& log) {
  return {endure_bin, "-f", locustfile, "--host", url, "--headless", "-u", "5", "-r", "5", "-t", "1h",
          "--store", db, "--only-summary", "--logfile", log};
}

}  // namespace

TEST(disk_full, a_full_disk_under_the_run_store_is_one_error_line_the_run_goes_on_and_exit_4) {
  const std::string dir = temp_dir("store_full"), mnt = dir + "/mnt", log = dir + "/log";
  const std::string db = mnt + "/run.db";
  tmpfs_mount disk(mnt, "8m");
  if (!disk.why_not().empty()) GTEST_SKIP() << disk.why_not();
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  run_process({endure_bin, "-f", locustfile, "--list"}, {cache_env}, 180s);

  child_process p(store_args(shop.url(), db, log), {cache_env});
  ASSERT_TRUE(wait_for_intervals(db, 2, 60s)) << read_file(log);
  ASSERT_GT(disk.fill(), 0u);
  ASSERT_TRUE(wait_for_text(log, "cannot write the run store " + db + ": database or disk is full", 40s))
      << read_file(log);
  const long stored = store_intervals(db);
  std::this_thread::sleep_for(2500ms);  // the run goes on; its intervals are held in memory
  p.signal(SIGINT);
  const auto r = p.wait(30s);
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("endure: 1 output file incomplete:\n"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("  " + db + ": "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(" intervals from "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(" not written: database or disk is full"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("Aggregated"), std::string::npos) << "no final summary:\n" << r.out;
  const std::string text = read_file(log);
  EXPECT_EQ(count(text, "cannot write the run store " + db), 1u) << text;

  // What was written before the disk filled is whole and reads as a run that ended abnormally.
  disk.free_space();
  EXPECT_EQ(run_process({"/usr/bin/sqlite3", db, "PRAGMA integrity_check"}, {}, 10s).out, "ok\n");
  EXPECT_GE(store_intervals(db), stored);
  const auto rep = run_process({endure_bin, "report", db}, {}, 60s);
  EXPECT_EQ(rep.exit_code, 0) << rep.err;
  EXPECT_NE(rep.out.find("Ended        abnormally: no end record"), std::string::npos) << rep.out;
}

TEST(disk_full, a_run_store_whose_disk_is_freed_again_writes_the_held_intervals) {
  const std::string dir = temp_dir("store_full_then_freed"), mnt = dir + "/mnt", log = dir + "/log";
  const std::string db = mnt + "/run.db";
  tmpfs_mount disk(mnt, "8m");
  if (!disk.why_not().empty()) GTEST_SKIP() << disk.why_not();
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  run_process({endure_bin, "-f", locustfile, "--list"}, {cache_env}, 180s);

  child_process p(store_args(shop.url(), db, log), {cache_env});
  ASSERT_TRUE(wait_for_intervals(db, 2, 60s)) << read_file(log);
  ASSERT_GT(disk.fill(), 0u);
  ASSERT_TRUE(wait_for_text(log, "cannot write the run store " + db, 40s)) << read_file(log);
  std::this_thread::sleep_for(3s);
  disk.free_space();
  ASSERT_TRUE(wait_for_text(log, db + ": written again after ", 20s)) << read_file(log);
  EXPECT_NE(read_file(log).find(" intervals held meanwhile were written merged"), std::string::npos) << read_file(log);
  std::this_thread::sleep_for(1500ms);
  p.signal(SIGINT);
  const auto r = p.wait(30s);
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.err.find("incomplete"), std::string::npos) << r.err;
  EXPECT_NE(r.exit_code, 4) << r.err;
  const auto rep = run_process({endure_bin, "report", db, "--csv", dir + "/again"}, {}, 60s);
  ASSERT_EQ(rep.exit_code, 0) << rep.err;
  EXPECT_NE(rep.out.find("(signal, exit code "), std::string::npos) << rep.out;
  // The held seconds are one row: the rows' intervals still count every second of the run.
  const auto rows = run_process({"/usr/bin/sqlite3", db, "SELECT count(*) < sum(intervals) FROM interval WHERE tier = 0"}, {}, 10s);
  EXPECT_EQ(rows.out, "1\n");
}
