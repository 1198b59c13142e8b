// web::run_archive: the run stores behind the UI, for history older than its in-memory rings, the
// Runs page (the runs recorded in the store's folder, each openable read-only) and the download
// of a run's store file. The web module reads no store itself: app/web_archive.cpp implements
// this with store::reader. Called on the UI's server thread only.
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/result.hpp"
#include "report/html.hpp"
#include "stats/snapshot.hpp"

namespace endure::web {

// A window of a run's chart series, from the store's roll-ups (at most the points asked for;
// percentiles of a coarse point from merged histograms).
// A monitored target's series (--monitor-*): the mean of each point's samples.
struct monitor_line {
  std::string source, metric;                  // "pid 4242", "rss_bytes"
  std::vector<std::pair<double, double>> points;  // (end of the point, Unix s; value)
};

struct archive_series {
  double step_s = 0;                      // the width of a point
  double first_s = 0, last_s = 0;         // the run's data: first and last interval (Unix s)
  std::vector<report::chart_point> points;
  std::vector<monitor_line> monitor;      // the target's samples of the same points
};

// Which series a window is asked for: the Aggregated row (entry empty) or one endpoint's.
struct series_options {
  std::optional<std::pair<std::string, std::string>> entry;  // (method, name)
};

struct archived_run {
  std::string id;  // the store's file name in the folder ("2026-11-30T10-00-00-shop.db")
  double start_s = 0, first_s = 0, last_s = 0, end_s = 0;  // end_s 0: no end record (running or killed)
  std::string ended;      // how it ended ("run time", "signal"...), "" without an end record
  std::string locustfile;
  std::string host;
  uint64_t peak_users = 0, requests = 0, failures = 0;
  double p50_ms = 0, p95_ms = 0, p99_ms = 0;
  std::string error;      // set: the file could not be read (the rest is empty)
};

class run_archive {
 public:
  virtual ~run_archive() = default;
  // The id of this process's own store ("" : it records none).
  virtual std::string current() const = 0;
  // The folder listed.
  virtual std::string folder() const = 0;
  // The runs in the folder, newest first. Unreadable files are listed with their error.
  virtual std::vector<archived_run> runs() = 0;
  // An error (one sentence) for an unknown id: ids are file names in the folder, nothing else.
  virtual base::result<archive_series> series(const std::string& id, double from_s, double to_s, size_t max_points,
                                              const series_options& what) = 0;
  // The run's own totals (the last statistics segment, as the run reported them).
  virtual base::result<stats::snapshot_ptr> totals(const std::string& id) = 0;
  // A consistent copy of the store file's bytes (a live store included).
  virtual base::result<std::string> store_bytes(const std::string& id) = 0;
};

}  // namespace endure::web
