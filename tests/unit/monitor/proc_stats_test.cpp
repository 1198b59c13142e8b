// monitor::proc_stats: /proc text parsed exactly (a comm with spaces and
// parentheses), a fake /proc folder read like the real one, this very process
// read from the real /proc.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "monitor/proc_stats.hpp"
#include "monitor/source.hpp"

namespace endure::monitor {
namespace {

namespace fs = std::filesystem;

// proc(5): pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt
// majflt cmajflt utime stime cutime cstime priority nice num_threads
// itrealvalue starttime vsize rss ...
const char *stat_line = "4242 (my (odd) server) S 1 4242 4242 0 -1 4194560 "
                        "1000 0 0 0 250 50 0 0 20 0 7 0 123456 "
                        "104857600 2560 18446744073709551615 1 1 0 0 0 0 0 0 0 "
                        "0 0 0 17 1 0 0 0 0 0\n";

TEST(proc_stats, parses_stat_after_the_last_parenthesis) {
  auto st = parse_proc_stat(stat_line);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->comm, "my (odd) server");
  EXPECT_EQ(st->utime_ticks, 250u);
  EXPECT_EQ(st->stime_ticks, 50u);
  EXPECT_EQ(st->threads, 7u);
  EXPECT_EQ(st->start_ticks, 123456u);
  EXPECT_EQ(st->rss_pages, 2560u);
}

TEST(proc_stats, refuses_truncated_or_garbled_stat) {
  EXPECT_FALSE(parse_proc_stat(""));
  EXPECT_FALSE(parse_proc_stat("4242 (x S 1 2"));
  EXPECT_FALSE(
      parse_proc_stat("4242 (x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250"));
  std::string bad = stat_line;
  bad.replace(bad.find("250"), 3, "2x0");
  EXPECT_FALSE(parse_proc_stat(bad));
}

TEST(proc_stats, parses_io) {
  auto io = parse_proc_io("rchar: 10\nwchar: 20\nsyscr: 1\nsyscw: "
                          "2\nread_bytes: 4096\nwrite_bytes: 8192\n"
                          "cancelled_write_bytes: 0\n");
  ASSERT_TRUE(io);
  EXPECT_EQ(io->read_bytes, 4096u);
  EXPECT_EQ(io->write_bytes, 8192u);
  EXPECT_FALSE(parse_proc_io("rchar: 10\n"));
  EXPECT_FALSE(parse_proc_io("read_bytes: x\nwrite_bytes: 1\n"));
}

struct fake_proc {
  fs::path root = fs::temp_directory_path() /
                  ("endure-fake-proc-" + std::to_string(getpid()));
  fake_proc() { fs::remove_all(root); }
  ~fake_proc() { fs::remove_all(root); }
  void add(int pid, const std::string &comm, const std::string &argv0,
           const std::string &stat, int fds) {
    auto d = root / std::to_string(pid);
    fs::create_directories(d / "fd");
    std::ofstream(d / "comm") << comm << "\n";
    std::ofstream(d / "cmdline")
        << argv0 << std::string(1, '\0') << "--flag" << std::string(1, '\0');
    std::ofstream(d / "stat") << stat;
    std::ofstream(d / "io") << "read_bytes: 100\nwrite_bytes: 200\n";
    for (int i = 0; i < fds; ++i)
      std::ofstream(d / "fd" / std::to_string(i)) << "";
  }
};

TEST(proc_stats, reads_a_fake_proc_and_finds_processes_by_name) {
  fake_proc p;
  p.add(10, "nginx", "/usr/sbin/nginx", stat_line, 3);
  p.add(11, "nginx", "nginx: worker process", stat_line, 5);
  p.add(12, "python3", "/usr/bin/a-very-long-server-name", stat_line, 1);
  p.add(13, "other", "/bin/other", stat_line, 0);
  auto r = read_process(p.root.string(), 11);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->fds, std::optional<uint64_t>(5));
  ASSERT_TRUE(r->io);
  EXPECT_EQ(r->io->write_bytes, 200u);
  EXPECT_FALSE(read_process(p.root.string(), 99));
  EXPECT_EQ(find_processes(p.root.string(), "nginx", 0),
            (std::vector<int>{10, 11}));
  EXPECT_EQ(find_processes(p.root.string(), "nginx", 10),
            (std::vector<int>{11}));
  // comm is cut at 15 characters: argv[0]'s file name finds it.
  EXPECT_EQ(find_processes(p.root.string(), "a-very-long-server-name", 0),
            (std::vector<int>{12}));
  EXPECT_TRUE(find_processes(p.root.string(), "nothing", 0).empty());
}

TEST(proc_stats, process_source_sums_every_process_of_a_name) {
  fake_proc p;
  p.add(10, "nginx", "/usr/sbin/nginx", stat_line, 3);
  p.add(11, "nginx", "/usr/sbin/nginx", stat_line, 5);
  auto src = make_process_source(p.root.string(), "nginx", 0);
  std::atomic<bool> stop{false};
  auto s = src->sample(1.0, stop);
  ASSERT_TRUE(s);
  std::map<std::string, double> by;
  for (auto &m : *s) {
    EXPECT_EQ(m.source, "process nginx");
    by[m.metric] = m.value;
  }
  EXPECT_EQ(by["processes"], 2);
  EXPECT_EQ(by["threads"], 14);
  EXPECT_EQ(by["fds"], 8);
  EXPECT_EQ(by["rss_bytes"],
            2 * 2560.0 * static_cast<double>(sysconf(_SC_PAGESIZE)));
  fs::remove_all(p.root / "10");
  fs::remove_all(p.root / "11");
  auto gone = src->sample(2.0, stop);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.err().message, "no process named nginx is running");
}

TEST(proc_stats,
     pid_source_reads_this_process_and_reports_cpu_after_two_samples) {
  auto src = make_pid_source("/proc", static_cast<int>(getpid()));
  std::atomic<bool> stop{false};
  auto a = src->sample(100.0, stop);
  ASSERT_TRUE(a);
  volatile double x = 0;
  for (int i = 0; i < 20'000'000; ++i)
    x = x + i; // some CPU time between the samples
  auto b = src->sample(100.5, stop);
  ASSERT_TRUE(b);
  std::map<std::string, double> first, second;
  for (auto &m : *a)
    first[m.metric] = m.value;
  for (auto &m : *b)
    second[m.metric] = m.value;
  EXPECT_EQ(first.count("cpu_percent"), 0u); // no rate from one sample
  EXPECT_GT(first["rss_bytes"], 1e6);
  EXPECT_GE(first["threads"], 1);
  EXPECT_GE(first["fds"], 3);
  ASSERT_EQ(second.count("cpu_percent"), 1u);
  EXPECT_GE(second["cpu_percent"], 0);
}

TEST(proc_stats, make_sources_refuses_what_cannot_be_watched) {
  monitor_config c;
  c.pids = {999'999'999};
  auto r = make_sources(c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().message, "invalid value '999999999' for --monitor-pid: no "
                             "process 999999999 is running");
  c = {};
  c.process_names = {"no-such-process-endure-test"};
  ASSERT_FALSE(make_sources(c));
  EXPECT_NE(make_sources(c).err().message.find(
                "no process named no-such-process-endure-test"),
            std::string::npos);
  c = {};
  c.disks = {"/no/such/folder/endure"};
  ASSERT_FALSE(make_sources(c));
  EXPECT_EQ(make_sources(c).err().message,
            "invalid value '/no/such/folder/endure' for --monitor-disk: "
            "/no/such/folder/endure: No such file or directory");
  c = {};
  c.queries = {{"x", "up"}};
  ASSERT_FALSE(make_sources(c));
  EXPECT_EQ(
      make_sources(c).err().message,
      "--monitor-query needs --monitor-prometheus URL (the Prometheus to ask)");
  c = {};
  c.prometheus = "http://127.0.0.1:9";
  EXPECT_FALSE(make_sources(c));
  c = {};
  c.pids = {static_cast<int>(getpid())};
  c.disks = {"/"};
  auto ok = make_sources(c);
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->size(), 2u);
  EXPECT_EQ((*ok)[0]->name(), "pid " + std::to_string(getpid()));
  EXPECT_EQ((*ok)[1]->name(), "disk /");
}

} // namespace
} // namespace endure::monitor
