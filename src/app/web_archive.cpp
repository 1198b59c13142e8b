#include "app/web_archive.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>

namespace endure::app {

namespace fs = std::filesystem;

store_archive::store_archive(std::string folder, std::string current_file) : folder_(std::move(folder)) {
  if (!current_file.empty()) {
    current_path_ = current_file;
    current_id_ = fs::path(current_file).filename().string();
  }
}

store_archive::~store_archive() = default;

// An id is a store's file name: in the folder, or this run's own file (which may lie elsewhere).
base::result<std::string> store_archive::path_of(const std::string& id) const {
  if (!current_id_.empty() && id == current_id_) return current_path_;
  const bool plain = !id.empty() && id.find('/') == std::string::npos && id.find('\\') == std::string::npos &&
                     id.find('\0') == std::string::npos && id.front() != '.' && fs::path(id).extension() == ".db";
  std::error_code ec;
  const fs::path p = fs::path(folder_) / id;
  if (!plain || !fs::is_regular_file(p, ec)) return base::make_error("no run '" + id + "' in " + folder_);
  return p.string();
}

base::result<store::reader*> store_archive::open(const std::string& id) {
  auto path = path_of(id);
  if (!path) return path.err();
  auto it = readers_.find(id);
  if (it != readers_.end()) return it->second.get();
  auto rd = store::reader::open(*path);
  if (!rd) return rd.err();
  // Bounded: this run's reader stays; others are dropped when a fifth is opened.
  if (readers_.size() >= 4)
    for (auto r = readers_.begin(); r != readers_.end(); ++r)
      if (r->first != current_id_) {
        readers_.erase(r);
        break;
      }
  return readers_.emplace(id, std::move(*rd)).first->second.get();
}

std::vector<web::archived_run> store_archive::runs() {
  std::vector<std::string> ids;
  std::error_code ec;
  if (fs::is_directory(folder_, ec))
    for (const auto& e : fs::directory_iterator(folder_, ec))
      if (e.path().extension() == ".db" && e.is_regular_file(ec)) ids.push_back(e.path().filename().string());
  if (!current_id_.empty() && std::find(ids.begin(), ids.end(), current_id_) == ids.end()) ids.push_back(current_id_);
  std::vector<web::archived_run> out;
  std::map<std::string, listed> still;
  for (const auto& id : ids) {
    auto path = path_of(id);
    struct stat st {};
    if (!path || ::stat(path->c_str(), &st) != 0) continue;
    auto cached = listing_.find(id);
    if (cached != listing_.end() && cached->second.mtime == st.st_mtime &&
        cached->second.size == static_cast<uint64_t>(st.st_size)) {
      out.push_back(cached->second.run);
      still.emplace(id, cached->second);
      continue;
    }
    web::archived_run a;
    a.id = id;
    // A short-lived reader for the listing (this run's stays open for its charts).
    std::unique_ptr<store::reader> own;
    store::reader* rd = nullptr;
    if (id == current_id_) {
      auto r = open(id);
      if (r) rd = *r;
      else a.error = r.err().message;
    } else {
      auto r = store::reader::open(*path);
      if (r) {
        own = std::move(*r);
        rd = own.get();
      } else {
        a.error = r.err().message;
      }
    }
    if (rd) {
      auto s = rd->summary();
      if (!s) {
        a.error = s.err().message;
      } else {
        const auto& i = rd->info();
        a.start_s = i.start_wall_s;
        a.first_s = i.first_data_wall_s;
        a.last_s = i.last_data_wall_s;
        a.end_s = i.has_end ? i.end_wall_s : 0;
        a.ended = i.has_end ? i.end_reason : "";
        a.locustfile = i.locustfile_name();
        a.host = i.host;
        a.peak_users = i.peak_users;
        a.requests = s->requests;
        a.failures = s->failures;
        a.p50_ms = s->p50_ms;
        a.p95_ms = s->p95_ms;
        a.p99_ms = s->p99_ms;
      }
    }
    // Finished runs are read once while their file does not change.
    if (a.error.empty() && a.end_s > 0 && id != current_id_)
      still.emplace(id, listed{st.st_mtime, static_cast<uint64_t>(st.st_size), a});
    out.push_back(std::move(a));
  }
  listing_ = std::move(still);
  std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) {
    return x.start_s != y.start_s ? x.start_s > y.start_s : x.id > y.id;
  });
  return out;
}

base::result<web::archive_series> store_archive::series(const std::string& id, double from_s, double to_s,
                                                        size_t max_points, const web::series_options& what) {
  auto rd = open(id);
  if (!rd) return rd.err();
  // A window wider than the run is the run (its start, its last data): the points go where the
  // data is, whatever the page asked for ("the whole run" from 1970, or to a minute from now).
  store::series_request q;
  if (from_s > (*rd)->info().start_wall_s) q.w.from_wall_s = from_s;
  const double now = static_cast<double>(std::time(nullptr));
  const auto& known = (*rd)->info();
  if (to_s < now && !(known.has_end && to_s >= known.last_data_wall_s)) q.w.to_wall_s = to_s;
  q.max_points = std::max<size_t>(1, max_points);
  if (what.entry) q.entries.push_back(*what.entry);
  auto set = (*rd)->series(q);
  if (!set) return set.err();
  web::archive_series out;
  out.step_s = set->step_s;
  out.first_s = (*rd)->info().first_data_wall_s;
  out.last_s = (*rd)->info().last_data_wall_s;
  // One chart point per run point (users), with the Aggregated figures of the same stretch; a
  // stretch without requests has rates 0 and no percentiles.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::map<double, report::chart_point> by_start;
  for (const auto& r : set->run) {
    report::chart_point c;
    c.wall_s = r.end_wall_s;
    c.users = static_cast<double>(r.user_count);
    c.p50_ms = c.p95_ms = c.p99_ms = nan;
    by_start.emplace(r.start_wall_s, c);
  }
  // One endpoint's chart: its own rates and percentiles (none where it had no request).
  const auto& wanted = !what.entry ? set->aggregated.points
                       : set->entries.empty() ? std::vector<store::series_point>{}
                                              : set->entries.front().points;
  for (const auto& a : wanted) {
    auto [it, fresh] = by_start.try_emplace(a.start_wall_s);
    auto& c = it->second;
    if (fresh) c.wall_s = a.end_wall_s;
    c.rps = a.rps;
    c.fail_per_s = a.fail_per_s;
    c.p50_ms = a.p50_ms;
    c.p95_ms = a.p95_ms;
    c.p99_ms = a.p99_ms;
    c.p90_ms = a.p90_ms;  // p99.9: the store keeps p50/p90/p95/p99 per row (NaN: null)
  }
  out.points.reserve(by_start.size());
  for (auto& [start, c] : by_start) out.points.push_back(c);
  for (const auto& m : set->monitor) {
    web::monitor_line line{m.source, m.metric, {}};
    line.points.reserve(m.points.size());
    for (const auto& p : m.points) line.points.emplace_back(p.start_wall_s + set->step_s, p.value);
    out.monitor.push_back(std::move(line));
  }
  return out;
}

base::result<stats::snapshot_ptr> store_archive::totals(const std::string& id) {
  auto rd = open(id);
  if (!rd) return rd.err();
  return (*rd)->totals();
}

base::result<std::string> store_archive::store_bytes(const std::string& id) {
  auto path = path_of(id);
  if (!path) return path.err();
  std::error_code ec;
  uint64_t size = fs::file_size(*path, ec);
  if (auto wal = fs::file_size(*path + "-wal", ec); !ec) size += wal;
  if (size > max_download_bytes)
    return base::make_error("the store is " + std::to_string(size >> 20) + " MiB, more than the UI sends: copy " +
                            *path + " instead");
  auto rd = open(id);
  if (!rd) return rd.err();
  // A consistent copy (a store still being written included), read back and removed.
  const fs::path tmp = fs::temp_directory_path(ec) /
                       ("endure-download-" + std::to_string(::getpid()) + "-" + std::to_string(++downloads_) + ".db");
  fs::remove(tmp, ec);
  auto copied = (*rd)->copy_to(tmp.string());
  if (!copied) {
    fs::remove(tmp, ec);
    return copied.err();
  }
  std::ifstream in(tmp, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const bool ok = in.good() || in.eof();
  in.close();
  fs::remove(tmp, ec);
  if (!ok) return base::make_error("cannot read the copy of " + *path);
  return bytes;
}

}  // namespace endure::app
