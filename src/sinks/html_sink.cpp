#include "sinks/html_sink.hpp"

#include <algorithm>

namespace endure::sinks {

html_sink::html_sink(std::string path, report::html_run_info info, size_t max_points, file_io& io)
    : path_(std::move(path)),
      info_(std::move(info)),
      series_(max_points),
      endpoints_(2 * charted_endpoints, std::max<size_t>(max_points / 5, 2)),
      io_(io),
      health_("html", path_) {
  info_.endpoints_followed = endpoints_.max_followed();
  publish({{{path_, "not written yet: it is written at the end of the run"}}});
}

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
  endpoints_.add(s);
  track_stage(s);
  // Keep the latest snapshot for write_now() (a copy: rows are bounded by the entry cap).
  last_ = s;
  has_last_ = true;
  if (s.is_final) {
    (void)write_now();  // a failure is logged and published by write_now()
    return;
  }
  // While the test runs: every rewrite_every_s of the run's own time (snapshot times, so a
  // stalled machine does not write twice in a row).
  const double start = s.test_start_wall_s > 0 ? s.test_start_wall_s : s.start_wall_s;
  const double since = s.wall_s - (last_write_wall_s_ > 0 ? last_write_wall_s_ : start);
  if (info_.rewrite_every_s > 0 && since >= info_.rewrite_every_s) {
    last_write_wall_s_ = s.wall_s;
    (void)write_now();
  }
}

void html_sink::track_stage(const stats::snapshot& s) {
  auto& st = info_.stages;
  const double from = s.wall_s - s.interval_s;
  if (s.stage.empty()) return;
  if (!st.empty() && st.back().label == s.stage && from - st.back().to_s < 2 * s.interval_s) {
    st.back().to_s = s.wall_s;
    return;
  }
  st.push_back({from, s.wall_s, s.stage});
  // Bounded: a random shape over a week can change stage thousands of times; the oldest two
  // merge into one band named after both (the charts are downsampled to a few hundred points
  // anyway).
  if (st.size() > max_stage_bands) {
    st[0].to_s = st[1].to_s;
    if (st[0].label != st[1].label && st[0].label.find(" ...") == std::string::npos)
      st[0].label += " ...";
    st.erase(st.begin() + 1);
  }
}

base::result<base::unit> html_sink::write_now() {
  if (!has_last_) return base::make_error("no statistics to write to " + path_ + " yet");
  std::string section;
  if (annex_ && last_.is_final)
    if (auto a = annex_()) section = a->html;
  const std::string why =
      replace_file(io_, path_,
                   report::html_report(last_, info_, series_.points(),
                                       endpoints_.charts(charted_endpoints), section));
  if (!why.empty()) {
    health_.failed(why, "the HTML report is not written");
    publish({{{path_, "not written: " + why}}});
    return base::make_error("cannot write " + path_ + ": " + why,
                            base::exit_code::outputs_incomplete);
  }
  health_.succeeded();
  // Written on demand mid-run, the report is whole but not final: the final one is still owed.
  if (last_.is_final) publish({});
  return base::unit{};
}

}  // namespace endure::sinks
