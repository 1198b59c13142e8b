#include "sinks/html_sink.hpp"

#include "base/log.hpp"
#include "sinks/file_util.hpp"

namespace endure::sinks {

html_sink::html_sink(std::string path, report::html_run_info info, size_t max_points)
    : path_(std::move(path)), info_(std::move(info)), series_(max_points) {}

void html_sink::on_snapshot(const stats::snapshot& s) {
  series_input p;
  p.wall_s = s.wall_s;
  p.interval_s = s.interval_s;
  p.requests = s.aggregated.interval_requests;
  p.failures = s.aggregated.interval_failures;
  p.users = static_cast<double>(s.user_count);
  p.latency = s.interval_latency;
  p.min_us = s.interval_min_us;
  p.max_us = s.interval_max_us;
  series_.add(p);
  // Keep the latest snapshot for write_now() (a copy: rows are bounded by the entry cap).
  last_ = s;
  has_last_ = true;
  if (s.is_final) {
    if (auto r = write_now(); !r) base::log_error("html", r.err().message);
  }
}

base::result<base::unit> html_sink::write_now() const {
  if (!has_last_) return base::make_error("no statistics to write to " + path_ + " yet");
  return write_file_atomic(path_, report::html_report(last_, info_, series_.points()));
}

}  // namespace endure::sinks
