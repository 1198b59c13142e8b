// The output writers on a disk that fills up and frees again (tests/unit/report/fake_disk.hpp):
// no partial line is ever continued, a failing file is logged once and its recovery once, held
// history rows are written late or their loss is stated, and each sink's status names what is
// incomplete and why. Real files with a file-size limit check the POSIX paths the same way.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "base/log.hpp"
#include "report/csv.hpp"
#include "sinks/console_sink.hpp"
#include "sinks/csv_sink.hpp"
#include "sinks/file_util.hpp"
#include "sinks/html_sink.hpp"
#include "sinks/json_sink.hpp"
#include "unit/report/fake_disk.hpp"
#include "unit/report/sample_snapshot.hpp"

namespace endure::sinks {
namespace {

namespace fs = std::filesystem;
using testing::fake_disk;
constexpr int64_t t0 = 1'700'000'000;

class temp_dir {
 public:
  temp_dir() {
    std::string tmpl = (fs::temp_directory_path() / "endure_disk_XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~temp_dir() { fs::remove_all(path_); }
  std::string operator/(const std::string& f) const { return (fs::path(path_) / f).string(); }

 private:
  std::string path_;
};

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The log of one test, in a file of its own.
class log_capture {
 public:
  log_capture() { EXPECT_TRUE(base::set_log_file(dir_ / "log").ok()); }
  std::string text() const { return read(dir_ / "log"); }
  size_t count(const std::string& needle) const {
    const std::string t = text();
    size_t n = 0;
    for (size_t p = 0; (p = t.find(needle, p)) != std::string::npos; p += needle.size()) ++n;
    return n;
  }

 private:
  temp_dir dir_;
};

// Snapshot k of a run: second t0 + k, with `names` entries; the Aggregated count is 10 * k so
// a history row tells which second it came from.
stats::snapshot second(int k, size_t names = 2, bool is_final = false) {
  stats::snapshot s = test::make_snapshot();
  s.sequence = static_cast<uint64_t>(k);
  s.wall_s = static_cast<double>(t0 + k) + 0.25;
  s.is_final = is_final;
  s.rows.clear();
  for (size_t i = 0; i < names; ++i)
    s.rows.push_back(test::make_row("GET", "/item/" + std::to_string(i), 5 + i, 0, 0.5));
  s.aggregated.num_requests = static_cast<uint64_t>(10 * k);
  return s;
}

// Splits a CSV text into records (CRLF), checking that each is whole: the header's column
// count (commas outside quotes) and a record end. Returns the records without the header.
std::vector<std::string> whole_records(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t p; (p = text.find("\r\n", start)) != std::string::npos; start = p + 2)
    lines.push_back(text.substr(start, p - start));
  EXPECT_EQ(start, text.size()) << "a partial last line: " << text.substr(start);
  auto columns = [](const std::string& line) {
    size_t n = 1;
    bool quoted = false;
    for (char c : line) {
      if (c == '"') quoted = !quoted;
      if (c == ',' && !quoted) ++n;
    }
    return n;
  };
  if (lines.empty()) return {};
  for (size_t i = 1; i < lines.size(); ++i)
    EXPECT_EQ(columns(lines[i]), columns(lines[0])) << "line " << i + 1 << ": " << lines[i];
  return {lines.begin() + 1, lines.end()};
}

// The Aggregated rows' timestamps, in file order.
std::vector<int64_t> aggregated_seconds(const std::string& history) {
  std::vector<int64_t> out;
  for (const auto& r : whole_records(history))
    if (r.find(",Aggregated,") != std::string::npos)
      out.push_back(std::stoll(r.substr(0, r.find(','))));
  return out;
}

std::string problems_text(const output_status& st) {
  std::string out;
  for (const auto& p : st.incomplete) out += p.path + ": " + p.reason + "\n";
  return out;
}

const std::string history = "run_stats_history.csv";

// --- csv_sink ---------------------------------------------------------------------------------

TEST(csv_sink_disk, a_refusal_at_start_leaves_no_file_at_every_capacity) {
  // Every capacity from an empty disk to just short of the four files: a failure at each step.
  fake_disk probe;
  ASSERT_TRUE(csv_sink::open("run", {false, 1 << 20, &probe}).ok());
  const size_t needed = probe.used();
  ASSERT_GT(needed, 0u);
  for (size_t cap = 0; cap < needed; ++cap) {
    fake_disk disk(cap);
    auto r = csv_sink::open("run", {false, 1 << 20, &disk});
    ASSERT_FALSE(r.ok()) << cap;
    EXPECT_EQ(r.err().code, 2);
    EXPECT_NE(r.err().message.find("No space left on device"), std::string::npos)
        << r.err().message;
    EXPECT_TRUE(disk.names().empty()) << cap << ": " << *disk.names().begin();
    EXPECT_EQ(disk.open_files(), 0u) << cap;
  }
}

TEST(csv_sink_disk, a_refusal_keeps_an_earlier_runs_files) {
  fake_disk disk;
  disk.put("run_stats.csv", "old stats\r\n");
  disk.set_capacity(disk.used() + 200);  // room for the first files, not for all four
  ASSERT_FALSE(csv_sink::open("run", {false, 1 << 20, &disk}).ok());
  EXPECT_EQ(disk.names(), std::set<std::string>{"run_stats.csv"});
  EXPECT_EQ(disk.read("run_stats.csv"), "old stats\r\n");
}

TEST(csv_sink_disk, a_failed_rename_at_start_removes_the_partial_set) {
  for (int nth = 1; nth <= 4; ++nth) {
    fake_disk disk;
    disk.fail_rename(nth);
    auto r = csv_sink::open("run", {false, 1 << 20, &disk});
    ASSERT_FALSE(r.ok()) << nth;
    EXPECT_NE(r.err().message.find("rename"), std::string::npos) << r.err().message;
    EXPECT_TRUE(disk.names().empty()) << nth << ": " << *disk.names().begin();
  }
}

TEST(csv_sink_disk, history_held_while_full_is_written_late_in_order_and_whole) {
  log_capture log;
  fake_disk disk;
  auto sink = csv_sink::open("run", {false, 1 << 20, &disk});
  ASSERT_TRUE(sink.ok()) << sink.err().message;
  for (int k = 1; k <= 5; ++k) (*sink)->on_snapshot(second(k));
  disk.fill();
  for (int k = 6; k <= 14; ++k) {
    (*sink)->on_snapshot(second(k));
    // Nothing partial is left while full: the file is what it was before the disk filled.
    whole_records(disk.read(history));
  }
  const auto st = (*sink)->status();
  ASSERT_FALSE(st.is_complete());
  const std::string problems = problems_text(st);
  EXPECT_NE(problems.find("run_stats.csv: not updated since 2023-11-14T22:13:25Z: No space left "
                          "on device"),
            std::string::npos)
      << problems;
  EXPECT_NE(
      problems.find("run_stats_history.csv: 9 seconds of rows not written "
                    "(2023-11-14T22:13:26Z to 2023-11-14T22:13:34Z): No space left on device"),
      std::string::npos)
      << problems;
  EXPECT_EQ(aggregated_seconds(disk.read(history)).size(), 5u);

  disk.free_space();
  for (int k = 15; k <= 20; ++k) (*sink)->on_snapshot(second(k, 2, k == 20));
  EXPECT_TRUE((*sink)->status().is_complete()) << problems_text((*sink)->status());
  // Every second once, in order.
  const auto secs = aggregated_seconds(disk.read(history));
  ASSERT_EQ(secs.size(), 20u);
  for (int k = 1; k <= 20; ++k) EXPECT_EQ(secs[static_cast<size_t>(k - 1)], t0 + k);
  EXPECT_EQ(disk.read("run_stats.csv"), report::stats_csv(second(20, 2, true)));
  for (const auto& name : disk.names()) EXPECT_FALSE(name.ends_with(".tmp")) << name;
  // One line when each file starts failing and one when it recovers, not one a second.
  EXPECT_EQ(log.count("cannot write run_stats.csv: No space left on device"), 1u) << log.text();
  EXPECT_EQ(log.count("cannot write run_stats_history.csv: No space left on device"), 1u);
  EXPECT_EQ(log.count("run_stats.csv: written again after 9 failed writes"), 1u) << log.text();
  EXPECT_EQ(log.count("run_stats_history.csv: written again after 9 failed writes; 9 seconds of "
                      "rows held meanwhile were written late"),
            1u)
      << log.text();
  // _failures.csv and _exceptions.csv were due at snapshot 10, then retried every second.
  EXPECT_EQ(log.count("run_failures.csv: written again after 5 failed writes"), 1u);
  EXPECT_EQ(log.count("ERROR"), 4u) << log.text();
  EXPECT_EQ(log.count("WARNING"), 4u) << log.text();
}

TEST(csv_sink_disk, a_partial_append_is_cut_back_to_the_last_whole_row) {
  fake_disk disk;
  auto sink = csv_sink::open("run", {true, 1 << 20, &disk});
  ASSERT_TRUE(sink.ok());
  (*sink)->on_snapshot(second(1, 3));
  const std::string before = disk.read(history);
  // Room for half of the next second's rows: the write lands part-way, then fails (the new
  // _stats.csv, longer than that, does not fit at all and leaves the room to the history).
  const size_t rows = report::history_csv_rows(second(2, 3), true).size();
  ASSERT_GT(report::stats_csv(second(2, 3)).size(), rows / 2);
  disk.set_capacity(disk.used() + rows / 2);
  (*sink)->on_snapshot(second(2, 3));
  EXPECT_EQ(disk.read(history), before);
  disk.free_space();
  (*sink)->on_snapshot(second(3, 3));
  const std::string after = disk.read(history);
  EXPECT_EQ(after, before + report::history_csv_rows(second(2, 3), true) +
                       report::history_csv_rows(second(3, 3), true));
  EXPECT_EQ(whole_records(after).size(), 12u);  // 3 seconds of 3 entries and Aggregated
}

TEST(csv_sink_disk, rows_beyond_the_memory_limit_are_dropped_and_the_gap_stated) {
  log_capture log;
  fake_disk disk;
  const size_t row = report::history_csv_rows(second(13), false).size();
  auto sink = csv_sink::open("run", {false, 3 * row + 2, &disk});  // holds 3 seconds
  ASSERT_TRUE(sink.ok());
  for (int k = 1; k <= 3; ++k) (*sink)->on_snapshot(second(k));
  disk.fill();
  for (int k = 4; k <= 13; ++k) (*sink)->on_snapshot(second(k));  // 10 s full: 7 dropped
  disk.free_space();
  for (int k = 14; k <= 15; ++k) (*sink)->on_snapshot(second(k, 2, k == 15));
  const auto secs = aggregated_seconds(disk.read(history));
  const std::vector<int64_t> want = {t0 + 1,  t0 + 2,  t0 + 3,  t0 + 11,
                                     t0 + 12, t0 + 13, t0 + 14, t0 + 15};
  EXPECT_EQ(secs, want);
  const auto st = (*sink)->status();
  ASSERT_EQ(st.incomplete.size(), 1u) << problems_text(st);
  EXPECT_EQ(st.incomplete[0].path, history);
  EXPECT_EQ(st.incomplete[0].reason,
            "7 seconds of rows lost between 2023-11-14T22:13:24Z and 2023-11-14T22:13:30Z (held "
            "beyond the memory limit while it could not be written: No space left on device)");
  EXPECT_EQ(log.count("7 seconds of rows between 2023-11-14T22:13:24Z and 2023-11-14T22:13:30Z "
                      "were dropped (memory limit)"),
            1u)
      << log.text();
}

TEST(csv_sink_disk, full_until_the_end_names_every_incomplete_file) {
  fake_disk disk;
  auto sink = csv_sink::open("run", {false, 1 << 20, &disk});
  ASSERT_TRUE(sink.ok());
  for (int k = 1; k <= 9; ++k) (*sink)->on_snapshot(second(k));
  disk.fill();
  (*sink)->on_snapshot(second(10));
  (*sink)->on_snapshot(second(11, 2, true));
  const auto st = (*sink)->status();
  ASSERT_EQ(st.incomplete.size(), 4u) << problems_text(st);
  EXPECT_EQ(st.incomplete[0].path, "run_stats.csv");
  EXPECT_EQ(st.incomplete[1].path, history);
  EXPECT_EQ(st.incomplete[1].reason,
            "2 seconds of rows not written (2023-11-14T22:13:30Z to 2023-11-14T22:13:31Z): No "
            "space left on device");
  EXPECT_EQ(st.incomplete[2].path, "run_failures.csv");
  EXPECT_EQ(st.incomplete[2].reason,
            "not updated since the start of the run: No space left on device");
  EXPECT_EQ(st.incomplete[3].path, "run_exceptions.csv");
  whole_records(disk.read(history));
  EXPECT_EQ(
      incomplete_summary({st.incomplete[0], st.incomplete[2]}),
      "endure: 2 output files incomplete:\n"
      "  run_stats.csv: not updated since 2023-11-14T22:13:29Z: No space left on device\n"
      "  run_failures.csv: not updated since the start of the run: No space left on device\n");
  EXPECT_EQ(incomplete_summary({}), "");
}

TEST(csv_sink_disk, a_deleted_history_is_started_again_and_reported) {
  log_capture log;
  fake_disk disk;
  auto sink = csv_sink::open("run", {false, 1 << 20, &disk});
  ASSERT_TRUE(sink.ok());
  for (int k = 1; k <= 3; ++k) (*sink)->on_snapshot(second(k));
  ASSERT_FALSE(disk.remove(history));
  for (int k = 4; k <= 5; ++k) (*sink)->on_snapshot(second(k, 2, k == 5));
  const std::string h = disk.read(history);
  EXPECT_TRUE(h.starts_with(report::history_csv_header())) << h;
  const std::vector<int64_t> want = {t0 + 4, t0 + 5};
  EXPECT_EQ(aggregated_seconds(h), want);
  const auto st = (*sink)->status();
  ASSERT_EQ(st.incomplete.size(), 1u);
  EXPECT_EQ(st.incomplete[0].reason,
            "deleted during the run at 2023-11-14T22:13:24Z: the rows before then are gone");
  EXPECT_EQ(log.count("was deleted during the run"), 1u) << log.text();
  EXPECT_EQ(disk.open_files(), 1u);  // the deleted file's handle was closed
}

TEST(csv_sink_disk, full_history_states_its_cost_per_day_once_the_rate_is_known) {
  log_capture log;
  fake_disk disk;
  auto sink = csv_sink::open("run", {true, 1 << 20, &disk});
  ASSERT_TRUE(sink.ok());
  for (int k = 1; k <= 20; ++k) (*sink)->on_snapshot(second(k, 50));
  EXPECT_FALSE((*sink)->history_bytes_per_day().has_value()) << "stated before 20 s of history";
  (*sink)->on_snapshot(second(21, 50));
  ASSERT_TRUE((*sink)->history_bytes_per_day().has_value());
  const double per_s = static_cast<double>(report::history_csv_rows(second(21, 50), true).size());
  EXPECT_NEAR(*(*sink)->history_bytes_per_day(), per_s * 86400, per_s * 86400 * 0.01);
  EXPECT_EQ(log.count("--csv-full-history: run_stats_history.csv grows about "), 1u) << log.text();
  EXPECT_EQ(log.count("a day at the current 51 rows a second"), 1u) << log.text();
  // The same cost is not said again; a doubling of the names is.
  for (int k = 22; k <= 40; ++k) (*sink)->on_snapshot(second(k, 50));
  EXPECT_EQ(log.count("--csv-full-history: "), 1u);
  for (int k = 41; k <= 60; ++k) (*sink)->on_snapshot(second(k, 150));
  EXPECT_EQ(log.count("--csv-full-history: "), 2u) << log.text();
  EXPECT_EQ(log.count("a day at the current 151 rows a second"), 1u) << log.text();

  fake_disk disk2;
  auto aggregated_only = csv_sink::open("agg", {false, 1 << 20, &disk2});
  ASSERT_TRUE(aggregated_only.ok());
  for (int k = 1; k <= 30; ++k) (*aggregated_only)->on_snapshot(second(k, 50));
  EXPECT_FALSE((*aggregated_only)->history_bytes_per_day().has_value());
}

// --- json_sink and html_sink --------------------------------------------------------------------

TEST(json_sink_disk, not_written_is_incomplete_and_written_later_is_whole) {
  log_capture log;
  fake_disk disk;
  json_sink sink("run.json", json_sink::shape::entries, disk);
  EXPECT_EQ(problems_text(sink.status()),
            "run.json: not written yet: it is written at the end of the run\n");
  disk.fill();
  sink.on_snapshot(second(3, 2, true));
  EXPECT_EQ(problems_text(sink.status()), "run.json: not written: No space left on device\n");
  EXPECT_TRUE(disk.names().empty()) << "no partial file or .tmp left";
  EXPECT_EQ(log.count("cannot write run.json: No space left on device"), 1u) << log.text();
  disk.free_space();
  ASSERT_TRUE(sink.write(second(3, 2, true)).ok());
  EXPECT_TRUE(sink.status().is_complete());
  EXPECT_EQ(nlohmann::json::parse(disk.read("run.json")).size(), 2u);
  EXPECT_EQ(log.count("run.json: written again after 1 failed write"), 1u) << log.text();
}

TEST(html_sink_disk, a_report_that_cannot_be_written_is_named) {
  fake_disk disk;
  html_sink sink("run.html", {}, 100, disk);
  for (int k = 1; k <= 3; ++k) sink.on_snapshot(second(k));
  EXPECT_EQ(problems_text(sink.status()),
            "run.html: not written yet: it is written at the end of the run\n");
  ASSERT_TRUE(sink.write_now().ok());  // on demand: whole, but the final report is still owed
  EXPECT_FALSE(sink.status().is_complete());
  disk.set_capacity(disk.used() + 100);  // the old report stays; the new one does not fit
  sink.on_snapshot(second(4, 2, true));
  EXPECT_EQ(problems_text(sink.status()), "run.html: not written: No space left on device\n");
  EXPECT_EQ(disk.names(), std::set<std::string>{"run.html"});
  EXPECT_NE(disk.read("run.html").find("</html>"), std::string::npos);
  disk.free_space();
  ASSERT_TRUE(sink.write_now().ok());
  EXPECT_TRUE(sink.status().is_complete());
}

// --- console_sink: a stream whose writes fail on demand ---------------------------------------

struct flaky_stream {
  std::string text;
  bool failing = false;
};

std::FILE* open_flaky(flaky_stream& s) {
  cookie_io_functions_t fns{};
  fns.write = [](void* c, const char* buf, size_t n) -> ssize_t {
    auto* st = static_cast<flaky_stream*>(c);
    if (st->failing) {
      errno = ENOSPC;
      return -1;
    }
    st->text.append(buf, n);
    return static_cast<ssize_t>(n);
  };
  return fopencookie(&s, "w", fns);
}

TEST(console_sink_disk, lost_tables_and_a_lost_summary_are_reported) {
  log_capture log;
  flaky_stream out;
  std::FILE* f = open_flaky(out);
  ASSERT_NE(f, nullptr);
  {
    console_sink sink(f, false, true);
    for (int k = 1; k <= 4; ++k) sink.on_snapshot(second(k));  // tables at 2 and 4
    EXPECT_TRUE(sink.status().is_complete());
    out.failing = true;
    for (int k = 5; k <= 8; ++k) sink.on_snapshot(second(k));  // 6 and 8 are lost
    EXPECT_EQ(problems_text(sink.status()),
              "stdout: 2 periodic tables were not printed: No space left on device\n");
    out.failing = false;
    for (int k = 9; k <= 10; ++k) sink.on_snapshot(second(k));
    out.failing = true;
    sink.on_snapshot(second(11, 2, true));
    EXPECT_EQ(problems_text(sink.status()),
              "stdout: the final summary was not printed: No space left on device; 2 periodic "
              "tables were not printed: No space left on device\n");
  }
  std::fclose(f);
  size_t tables = 0;
  for (size_t p = 0; (p = out.text.find("Type     Name", p)) != std::string::npos; ++p) ++tables;
  EXPECT_EQ(tables, 3u);  // seconds 2, 4 and 10
  EXPECT_EQ(log.count("cannot write stdout"), 2u) << log.text();
  EXPECT_EQ(log.count("stdout: written again after 2 failed writes; 2 tables were lost"), 1u)
      << log.text();
}

// --- the real files, filled with a file-size limit (RLIMIT_FSIZE: writes past it fail) -------

class file_size_limit {
 public:
  explicit file_size_limit(rlim_t bytes) {
    getrlimit(RLIMIT_FSIZE, &saved_);
    old_handler_ = signal(SIGXFSZ, SIG_IGN);  // EFBIG instead of the default kill
    rlimit r = saved_;
    r.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &r);
  }
  ~file_size_limit() {
    setrlimit(RLIMIT_FSIZE, &saved_);
    signal(SIGXFSZ, old_handler_);
  }

 private:
  rlimit saved_{};
  sighandler_t old_handler_;
};

TEST(real_files, an_append_past_the_limit_is_cut_back) {
  temp_dir dir;
  file_io& io = real_file_io();
  int h = -1;
  ASSERT_FALSE(io.create(dir / "h.csv", h));
  append_file f(io, h, dir / "h.csv", 0);
  const std::string row(100, 'x');
  {
    file_size_limit limit(250);
    EXPECT_FALSE(f.append(row + "\r\n"));
    EXPECT_FALSE(f.append(row + "\r\n"));
    EXPECT_TRUE(f.append(row + "\r\n"));  // 46 of its bytes land, then EFBIG
    EXPECT_EQ(fs::file_size(dir / "h.csv"), 204u);
  }
  EXPECT_FALSE(f.append("y\r\n"));
  EXPECT_EQ(read(dir / "h.csv"), row + "\r\n" + row + "\r\n" + "y\r\n");
  EXPECT_TRUE(f.is_linked());
  fs::remove(dir / "h.csv");
  EXPECT_FALSE(f.is_linked());
}

TEST(real_files, stdout_redirected_to_a_file_never_keeps_half_a_table) {
  temp_dir dir;
  std::FILE* f = std::fopen((dir / "out.txt").c_str(), "w");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(write_stream_whole(f, "first line\n"), "");
  {
    file_size_limit limit(30);
    EXPECT_EQ(write_stream_whole(f, "a table longer than the limit\n"), "File too large");
  }
  EXPECT_EQ(write_stream_whole(f, "next\n"), "");
  std::fclose(f);
  EXPECT_EQ(read(dir / "out.txt"), "first line\nnext\n");
}

TEST(real_files, the_log_file_keeps_whole_lines_and_counts_the_lost_ones) {
  temp_dir dir;
  ASSERT_TRUE(base::set_log_file(dir / "log").ok());
  base::log_error("test", "before");
  const auto size = fs::file_size(dir / "log");
  {
    file_size_limit limit(size + 20);  // a part of the next line fits
    for (int i = 0; i < 3; ++i) base::log_error("test", "lost while the file is full");
  }
  EXPECT_EQ(fs::file_size(dir / "log"), size) << "a partial line was left";
  auto st = base::log_file_status();
  EXPECT_EQ(st.path, dir / "log");
  EXPECT_EQ(st.lost_lines, 3u);
  EXPECT_EQ(st.last_error, "File too large");
  base::log_error("test", "after");
  const std::string text = read(dir / "log");
  EXPECT_NE(text.find("ERROR [log]: 3 log lines lost before this one: File too large\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("ERROR [test]: after\n"), std::string::npos);
  EXPECT_EQ(text.find("lost while"), std::string::npos);
  EXPECT_EQ(base::log_file_status().lost_lines, 3u) << "the run's total stays";
  const auto files = incomplete_files({});
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].reason, "3 log lines lost: File too large");
}

}  // namespace
}  // namespace endure::sinks
