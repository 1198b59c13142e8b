// monitor::proc_stats: what /proc says about a process (CPU ticks, RSS,
// threads, open files, I/O bytes) and statvfs about a file system. The parsers
// are pure (text in, figures out) so they are unit-tested on fixed text; the
// readers take the /proc root as a parameter (tests point it at a folder of
// their own). No threads, no clocks.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace endure::monitor {

// From /proc/PID/stat (man 5 proc): the fields that follow "(comm)", which may
// hold spaces and parentheses.
struct proc_stat {
  std::string comm;
  uint64_t utime_ticks = 0,
           stime_ticks = 0; // CPU time in clock ticks (sysconf(_SC_CLK_TCK))
  uint64_t threads = 0;
  uint64_t start_ticks =
      0; // start time after boot: a pid reused by another process differs
  uint64_t rss_pages = 0;
};
std::optional<proc_stat> parse_proc_stat(std::string_view text);

// From /proc/PID/io: storage bytes read and written (read_bytes, write_bytes).
struct proc_io {
  uint64_t read_bytes = 0, write_bytes = 0;
};
std::optional<proc_io> parse_proc_io(std::string_view text);

// One reading of a process. io and fds are nullopt when the kernel refuses them
// (another user's process without the privilege to read its /proc/PID/io or
// fd/).
struct process_reading {
  proc_stat stat;
  std::optional<proc_io> io;
  std::optional<uint64_t> fds;
};
// Reads /proc/PID; an error when the process does not exist (any more).
base::result<process_reading> read_process(const std::string &proc_root,
                                           int pid);

// Processes whose name is `name`: /proc/PID/comm, or the file name of argv[0]
// (comm is cut at 15 characters), excluding `except_pid` (this process). Sorted
// by pid.
std::vector<int> find_processes(const std::string &proc_root,
                                const std::string &name, int except_pid);

// Free space of the file system holding path: what an unprivileged user may
// still write.
struct disk_reading {
  uint64_t free_bytes = 0, total_bytes = 0;
};
base::result<disk_reading> read_disk(const std::string &path);

} // namespace endure::monitor
