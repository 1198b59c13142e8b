#include "sinks/csv_sink.hpp"

#include <fmt/format.h>

#include <cmath>
#include <utility>
#include <vector>

#include "base/log.hpp"
#include "report/csv.hpp"
#include "report/format.hpp"

namespace endure::sinks {

namespace {

constexpr uint64_t failures_every_snapshots = 10;
// The --csv-full-history cost is stated once the run has this much history: by then every
// name the test's first iterations produce has appeared.
constexpr double cost_after_s = 20;

// Decimal units, as disks are sold: 950 B, 12.3 KB, 17.3 MB, 8.6 GB.
std::string format_bytes(double b) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  size_t u = 0;
  while (b >= 1000 && u + 1 < std::size(units)) {
    b /= 1000;
    ++u;
  }
  return fmt::format(
      "{} {}", report::format_number(u == 0 ? std::round(b) : std::round(b * 10) / 10), units[u]);
}

std::string iso(int64_t second) { return report::format_iso8601_utc(static_cast<double>(second)); }

std::string seconds_text(uint64_t n) {
  return std::to_string(n) + (n == 1 ? " second" : " seconds");
}

size_t count_lines(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

}  // namespace

base::result<std::unique_ptr<csv_sink>> csv_sink::open(const std::string& prefix, settings st) {
  file_io& io = st.io != nullptr ? *st.io : real_file_io();
  stats::snapshot empty;
  empty.aggregated.name = "Aggregated";
  const std::string history_path = prefix + "_stats_history.csv";
  const std::vector<std::pair<std::string, std::string>> files = {
      {prefix + "_stats.csv", report::stats_csv(empty)},
      {prefix + "_failures.csv", report::failures_csv(empty)},
      {prefix + "_exceptions.csv", report::exceptions_csv(empty)},
      {history_path, report::history_csv_header()}};
  // All four are written as PATH.tmp first and renamed into place only when every one was
  // written: a refusal (a full disk) leaves nothing behind, not a partial set.
  std::vector<std::string> tmps;
  int history_handle = -1;
  auto refuse = [&](const std::string& path, const std::string& why, size_t renamed) {
    if (history_handle >= 0) io.close(history_handle);
    for (size_t i = 0; i < tmps.size(); ++i) io.remove(i < renamed ? files[i].first : tmps[i]);
    return base::make_error("cannot write " + path + ": " + why);
  };
  for (const auto& [path, content] : files) {
    const std::string tmp = path + ".tmp";
    int h = -1;
    if (auto ec = io.create(tmp, h)) return refuse(path, ec.message(), 0);
    tmps.push_back(tmp);
    size_t written = 0;
    std::error_code ec = io.write_at(h, 0, content, written);
    if (path == history_path && !ec) {
      history_handle = h;  // stays open: rows are appended to it
    } else if (auto closed = io.close(h); !ec) {
      ec = closed;
    }
    if (ec) return refuse(path, ec.message(), 0);
  }
  for (size_t i = 0; i < files.size(); ++i)
    if (auto ec = io.rename(tmps[i], files[i].first))
      return refuse(files[i].first, "rename: " + ec.message(), i);
  append_file history(io, history_handle, history_path, files.back().second.size());
  return std::unique_ptr<csv_sink>(new csv_sink(prefix, st, io, std::move(history)));
}

csv_sink::csv_sink(std::string prefix, settings s, file_io& io, append_file history)
    : prefix_(std::move(prefix)),
      settings_(s),
      io_(io),
      stats_{file_health("csv", prefix_ + "_stats.csv")},
      failures_{file_health("csv", prefix_ + "_failures.csv")},
      exceptions_{file_health("csv", prefix_ + "_exceptions.csv")},
      history_(std::move(history)),
      history_health_("csv", prefix_ + "_stats_history.csv") {
  publish({});
}

void csv_sink::on_snapshot(const stats::snapshot& s) {
  replace(stats_, report::stats_csv(s), s.wall_s);
  const auto second = static_cast<int64_t>(std::floor(s.row_time_s()));
  if (second > last_history_second_ || s.is_final) {
    last_history_second_ = second;
    write_history(s);
  }
  const bool due = s.is_final || ++seen_ % failures_every_snapshots == 0;
  // A failing file is retried every snapshot, so it is current again as soon as there is room.
  if (due || failures_.health.is_failing()) replace(failures_, report::failures_csv(s), s.wall_s);
  if (due || exceptions_.health.is_failing())
    replace(exceptions_, report::exceptions_csv(s), s.wall_s);
  publish_status();
}

void csv_sink::replace(replaced_file& f, const std::string& content, double wall_s) {
  if (auto why = replace_file(io_, f.health.path(), content); !why.empty()) {
    f.health.failed(why, "it keeps its last whole version until it can be written again");
    return;
  }
  f.health.succeeded();
  f.written_wall_s = wall_s;
}

std::error_code csv_sink::open_history(double wall_s) {
  const std::string& path = history_health_.path();
  if (history_.is_open()) {
    if (history_.is_linked()) return {};
    // Deleted under us (a clean-up script): appending to the unlinked file would lose every
    // later row in silence. Its earlier rows are gone; start it again for the rest of the run.
    history_.close();
    if (deleted_at_wall_s_ == 0) deleted_at_wall_s_ = wall_s;
    base::log_error("csv", path +
                               " was deleted during the run: its rows until now are gone; "
                               "it is created again for the rows from now on");
  }
  int h = -1;
  if (auto ec = io_.create(path, h)) return ec;
  const std::string header = report::history_csv_header();
  size_t written = 0;
  if (auto ec = io_.write_at(h, 0, header, written)) {
    io_.close(h);
    io_.remove(path);  // no header-less file: the next attempt starts it whole
    return ec;
  }
  history_ = append_file(io_, h, path, header.size());
  return {};
}

void csv_sink::write_history(const stats::snapshot& s) {
  std::string rows = report::history_csv_rows(s, settings_.full_history);
  if (settings_.full_history) note_history_cost(rows, s.wall_s);
  held_bytes_ += rows.size();
  held_.push_back({static_cast<int64_t>(std::floor(s.wall_s)), std::move(rows)});
  // Oldest first, one second per append: the file stays in time order and every second in it
  // is whole (all of its rows or none).
  std::error_code ec = open_history(s.wall_s);
  size_t written = 0;
  while (!ec && !held_.empty()) {
    ec = history_.append(held_.front().rows);
    if (ec) break;
    held_bytes_ -= held_.front().rows.size();
    held_.pop_front();
    ++written;
  }
  if (!ec) {
    std::string note;
    if (history_health_.is_failing() && written > 1)
      note = seconds_text(written - 1) + " of rows held meanwhile were written late";
    if (history_health_.is_failing() && lost_seconds_ > 0)
      note += (note.empty() ? "" : "; ") + seconds_text(lost_seconds_) + " of rows between " +
              iso(lost_first_) + " and " + iso(lost_last_) + " were dropped (memory limit)";
    history_health_.succeeded(note);
    return;
  }
  history_health_.failed(ec.message(),
                         "its rows are kept in memory (up to " +
                             format_bytes(static_cast<double>(settings_.held_bytes_max)) +
                             ") and written when it can be written again");
  // The newest second always stays held: memory stays bounded by the limit plus one second.
  while (held_bytes_ > settings_.held_bytes_max && held_.size() > 1) {
    if (lost_seconds_++ == 0) lost_first_ = held_.front().second;
    lost_last_ = held_.front().second;
    lost_why_ = ec.message();
    held_bytes_ -= held_.front().rows.size();
    held_.pop_front();
  }
}

void csv_sink::note_history_cost(const std::string& rows, double wall_s) {
  if (history_seconds_++ == 0) first_history_wall_s_ = wall_s;
  recent_bytes_[history_seconds_ % recent_bytes_.size()] = rows.size();
  if (wall_s - first_history_wall_s_ < cost_after_s) return;
  const size_t n = std::min<size_t>(history_seconds_, recent_bytes_.size());
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += static_cast<double>(recent_bytes_[i]);
  const double per_s = sum / static_cast<double>(n);
  history_bytes_per_day_ = per_s * 86400;
  if (*history_bytes_per_day_ < 2 * logged_bytes_per_day_) return;  // said already
  logged_bytes_per_day_ = *history_bytes_per_day_;
  // The Aggregated row is the last line of every second's rows.
  const size_t last_line = rows.rfind('\n', rows.size() >= 2 ? rows.size() - 2 : 0);
  const double aggregated_bytes = static_cast<double>(
      last_line == std::string::npos ? rows.size() : rows.size() - last_line - 1);
  const std::string message = "--csv-full-history: " + history_health_.path() + " grows about " +
                              format_bytes(*history_bytes_per_day_) + " a day at the current " +
                              std::to_string(count_lines(rows)) + " rows a second (" +
                              format_bytes(per_s) +
                              "/s); without --csv-full-history (the Aggregated row only) about " +
                              format_bytes(aggregated_bytes * 86400) + " a day";
  if (*history_bytes_per_day_ >= 1e9)
    base::log_warning("csv", message);
  else
    base::log_info("csv", message);
}

void csv_sink::publish_status() {
  output_status st;
  auto stale = [&](const replaced_file& f) {
    if (!f.health.is_failing()) return;
    st.incomplete.push_back(
        {f.health.path(), "not updated since " +
                              (f.written_wall_s > 0 ? report::format_iso8601_utc(f.written_wall_s)
                                                    : std::string("the start of the run")) +
                              ": " + f.health.why()});
  };
  stale(stats_);
  std::string history;
  auto add = [&history](const std::string& part) {
    history += (history.empty() ? "" : "; ") + part;
  };
  if (!held_.empty() && history_health_.is_failing())
    add(seconds_text(held_.size()) + " of rows not written (" + iso(held_.front().second) + " to " +
        iso(held_.back().second) + "): " + history_health_.why());
  if (lost_seconds_ > 0)
    add(seconds_text(lost_seconds_) + " of rows lost between " + iso(lost_first_) + " and " +
        iso(lost_last_) +
        " (held beyond the memory limit while it could not be written: " + lost_why_ + ")");
  if (deleted_at_wall_s_ > 0)
    add("deleted during the run at " + report::format_iso8601_utc(deleted_at_wall_s_) +
        ": the rows before then are gone");
  if (!history.empty()) st.incomplete.push_back({history_health_.path(), history});
  stale(failures_);
  stale(exceptions_);
  publish(std::move(st));
}

}  // namespace endure::sinks
