// store::writer: records one run in a SQLite file as it goes: the run's metadata at creation, then
// one transaction per interval record (with the roll-ups and pruning it makes due) and per event,
// and the end record. Crash-safe (WAL: a killed run keeps every committed interval) and bounded
// (nothing per interval stays in memory; disk use is bounded by the tiers in schema.hpp). A full
// disk does not stop it: records that cannot be written are merged in memory (exactly, bounded by
// the number of entries) and written when there is room again; what is still missing at the end
// is reported by status(). One thread at a time (the store output's own thread).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "stats/interval_record.hpp"

namespace endure::store {

struct machine_info {
  std::string host_name;
  std::string os;  // "Linux 6.1.0-18-amd64 x86_64"
  uint64_t cores = 0;
  uint64_t memory_bytes = 0;
};
// This machine, from gethostname, uname and sysconf.
machine_info this_machine();

struct option_value {
  std::string name;    // long option name: "users"
  std::string value;   // resolved value as text (secrets masked)
  std::string source;  // "default", "command line", "environment", "config file PATH"
};

struct locustfile_source {
  std::string path;
  std::string content;  // the file as run (its SHA-256 is stored beside it)
};

struct class_info {
  std::string name;
  int weight = 1;
  int fixed_count = 0;
};

// What the run is, written once when the store is created.
struct run_meta {
  double start_wall_s = 0;
  std::string endure_version;
  std::vector<std::string> command_line;  // argv as run (secrets masked)
  std::vector<option_value> options;
  std::string host;
  std::string node = "local";
  uint32_t interval_ms = 1000;
  std::vector<locustfile_source> locustfiles;
  std::vector<class_info> classes;
  machine_info machine;
};

// An event of the run's timeline (engine::run_event, or what later modes add: worker joined...).
// "test_start" and "stats_reset" start a new statistics segment, as they reset the run's totals.
struct event_info {
  double wall_s = 0;
  std::string kind;
  uint64_t test = 0;
  uint64_t user_count = 0;
  std::string detail;
};

struct writer_settings {
  // Test hooks. max_pages > 0 caps the database (PRAGMA max_page_count): a full disk in unit
  // tests. before_commit runs before each transaction's commit (a slow disk in tests).
  uint64_t max_pages = 0;
  std::function<void()> before_commit;
};

// Whether everything handed to the writer is in the file.
struct writer_status {
  bool complete = true;
  std::string reason;  // one line when incomplete
  uint64_t records_written = 0;
  uint64_t records_held = 0;  // handed over but not written yet (merged in memory)
};

// What a resumed store holds so far (writer::resume): where the run carries on from.
struct resume_point {
  double start_wall_s = 0;      // the run's start
  int64_t last_t = -1;          // the last interval second written (-1: none yet)
  double last_end_wall_s = 0;   // the last sign of life: the last interval's end or event
  uint64_t test = 0;            // the last test's number (0: none started)
  double test_start_wall_s = 0; // when it started (its test_start event)
  int64_t segment = 0;          // the statistics segment records go on in
};

class writer {
 public:
  // Creates PATH (it must not exist) with the schema and the run's metadata. An error (exit code
  // 2) when it cannot: the run is refused before it starts.
  static base::result<std::unique_ptr<writer>> create(const std::string& path, const run_meta& meta,
                                                      writer_settings settings = {});
  // Reopens PATH, the store of a run that did not end (a master killed and restarted), to carry
  // on recording that run: its tiers and segment go on where they stopped. An error (exit code 2)
  // when PATH is not an endure run store, or its run has ended.
  static base::result<std::unique_ptr<writer>> resume(const std::string& path, resume_point& at,
                                                      writer_settings settings = {});
  ~writer();
  writer(const writer&) = delete;
  writer& operator=(const writer&) = delete;

  void write(const stats::interval_record& r);
  void write(const event_info& e);
  // The end record (how the run ended) after the last record. False when it could not be
  // written (then the file reads as a run that ended abnormally) or records are still missing.
  bool finish(double end_wall_s, const std::string& reason, int exit_code);

  const std::string& path() const;
  // Thread-safe.
  writer_status status() const;

 private:
  struct impl;
  explicit writer(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace endure::store
