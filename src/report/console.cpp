#include "report/console.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "report/format.hpp"

namespace endure::report {

namespace {

constexpr int type_width = 8;  // Locust's STATS_TYPE_WIDTH

std::string dashes(int n) { return std::string(static_cast<size_t>(n > 0 ? n : 0), '-'); }

// The current (10 s window) median and p95 of a row: "N/A" when the window holds no request.
std::string window_cells(const stats::row& r) {
  if (r.current_requests == 0) return fmt::format(" {:>7} {:>7} |", "N/A", "N/A");
  return fmt::format(" {:>7} {:>7} |", format_ms(r.current_percentiles_ms[0]),
                     format_ms(r.current_percentiles_ms[5]));
}

std::string stats_line(const stats::row& r, rate_kind rates, int name_col, bool window) {
  const double fail_pct = r.num_requests
                              ? 100.0 * static_cast<double>(r.num_failures) /
                                    static_cast<double>(r.num_requests)
                              : 0.0;
  const double rps = rates == rate_kind::current ? r.current_rps : r.total_rps;
  const double fps = rates == rate_kind::current ? r.current_fail_per_s : r.total_fail_per_s;
  return fmt::format("{:<{}} {:<{}} {:>7} {:>12} |{:>7} {:>7} {:>7}{:>7} |{} {:>7} {:>11}\n",
                     r.method.empty() ? std::string() : r.method + " ", type_width, r.name,
                     name_col, r.num_requests, fmt::format("{}({:.2f}%)", r.num_failures, fail_pct),
                     format_ms(r.avg_ms), format_ms(r.min_ms), format_ms(r.max_ms),
                     format_ms(r.median_ms), window ? window_cells(r) : "", format_rate(rps),
                     format_rate(fps));
}

std::string duration_words(double s) {
  auto total = static_cast<int64_t>(std::llround(std::max(0.0, s)));
  const int64_t d = total / 86400, h = total / 3600 % 24, m = total / 60 % 60, sec = total % 60;
  if (d > 0) return fmt::format("{}d {}h {}m {}s", d, h, m, sec);
  if (h > 0) return fmt::format("{}h {}m {}s", h, m, sec);
  if (m > 0) return fmt::format("{}m {}s", m, sec);
  return fmt::format("{}s", sec);
}

std::string percentile_line(const stats::row& r, int name_width, bool intended = false) {
  const auto& p = intended ? r.intended_percentiles_ms : r.percentiles_ms;
  std::string out = fmt::format("{:<{}} {:<{}} {:>8} ", r.method, type_width, r.name, name_width,
                                format_ms(p[0]));
  for (size_t i = 1; i < p.size(); ++i) out += fmt::format("{:>6} ", format_ms(p[i]));
  out += fmt::format("{:>6}\n", r.num_requests);
  return out;
}

// Indexes of the `n` rows with the most requests (ties: the earlier row), in row order.
std::vector<size_t> top_rows(const std::vector<stats::row>& rows, size_t n) {
  std::vector<size_t> idx(rows.size());
  std::iota(idx.begin(), idx.end(), size_t{0});
  if (n >= rows.size()) return idx;
  std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(n), idx.end(),
                    [&](size_t a, size_t b) {
                      if (rows[a].num_requests != rows[b].num_requests)
                        return rows[a].num_requests > rows[b].num_requests;
                      return a < b;
                    });
  idx.resize(n);
  std::sort(idx.begin(), idx.end());
  return idx;
}

}  // namespace

namespace {

std::string table(const stats::snapshot& s, rate_kind rates, const console_options& o, bool window) {
  const int name_col = o.name_width - type_width + 4;  // Locust: saved by compacting columns
  std::string out = fmt::format(
      "{:<{}} {:<{}} {:>7} {:>12} |{:>7} {:>7} {:>7}{:>7} |{} {:>7} {:>11}\n", "Type", type_width,
      "Name", name_col, "# reqs", "# fails", "Avg", "Min", "Max", "Med",
      window ? fmt::format(" {:>7} {:>7} |", "Med 10s", "p95 10s") : "", "req/s", "failures/s");
  const std::string sep = fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}{}|{}\n", dashes(type_width),
                                      dashes(name_col), dashes(7), dashes(13), dashes(7), dashes(7),
                                      dashes(7), dashes(7), window ? dashes(17) + "|" : "",
                                      dashes(8), dashes(11));
  out += sep;
  if (o.max_rows == 0 || s.rows.size() <= o.max_rows) {
    for (const auto& r : s.rows) out += stats_line(r, rates, name_col, window);
  } else {
    // Many names (generated URLs) would make every periodic table thousands of lines: show the
    // busiest ones and count the rest, so the table stays readable and stdout stays small.
    uint64_t shown_requests = 0, shown_failures = 0;
    for (size_t i : top_rows(s.rows, o.max_rows)) {
      out += stats_line(s.rows[i], rates, name_col, window);
      shown_requests += s.rows[i].num_requests;
      shown_failures += s.rows[i].num_failures;
    }
    uint64_t all_requests = 0, all_failures = 0;
    for (const auto& r : s.rows) {
      all_requests += r.num_requests;
      all_failures += r.num_failures;
    }
    out += fmt::format("{:<{}} ... and {} more names ({} requests, {} failures)\n", "",
                       type_width, s.rows.size() - o.max_rows, all_requests - shown_requests,
                       all_failures - shown_failures);
  }
  out += sep;
  out += stats_line(s.aggregated, rates, name_col, window);
  return out;
}

}  // namespace

std::string stats_table(const stats::snapshot& s, rate_kind rates, const console_options& o) {
  return table(s, rates, o, false);
}

std::string status_line(const stats::snapshot& s) {
  const double start = s.test_start_wall_s > 0 ? s.test_start_wall_s : s.start_wall_s;
  std::string users = fmt::format("{} users", s.user_count);
  if (s.peak_user_count > s.user_count) users += fmt::format(" (peak {})", s.peak_user_count);
  std::string extra;
  if (!s.stage.empty()) extra += ", stage " + s.stage;
  uint64_t dropped = 0;
  for (const auto& c : s.classes) dropped += c.interval_dropped_arrivals;
  if (dropped > 0) extra += fmt::format(", {} arrivals dropped in the last interval", dropped);
  return fmt::format("{}, {} into the test, {}{}\n", format_iso8601_utc(s.wall_s),
                     duration_words(s.wall_s - start), users, extra);
}

std::string periodic_table(const stats::snapshot& s, const console_options& o) {
  return status_line(s) + table(s, rate_kind::current, o, true);
}

namespace {
std::string percentiles_table_of(const stats::snapshot& s, const console_options& o, bool intended) {
  std::string out = intended ? "Response time percentiles from the intended start (approximated)\n"
                             : "Response time percentiles (approximated)\n";
  out += fmt::format("{:<{}} {:<{}} {:>8} ", "Type", type_width, "Name", o.name_width,
                     stats::report_percentile_titles[0]);
  for (size_t i = 1; i < stats::report_percentile_titles.size(); ++i)
    out += fmt::format("{:>6} ", stats::report_percentile_titles[i]);
  out += fmt::format("{:>6}\n", "# reqs");
  std::string sep = dashes(type_width) + "|" + dashes(o.name_width) + "|" + dashes(8);
  for (size_t i = 0; i < stats::report_percentiles.size(); ++i) sep += "|" + dashes(6);
  sep += "\n";
  out += sep;
  for (const auto& r : s.rows)
    if (r.num_requests) out += percentile_line(r, o.name_width, intended);
  out += sep;
  if (s.aggregated.num_requests) out += percentile_line(s.aggregated, o.name_width, intended);
  return out;
}
}  // namespace

std::string percentiles_table(const stats::snapshot& s, const console_options& o) {
  return percentiles_table_of(s, o, false);
}

bool intended_differs(const stats::snapshot& s) {
  if (s.aggregated.intended_percentiles_ms != s.aggregated.percentiles_ms) return true;
  for (const auto& r : s.rows)
    if (r.num_requests && r.intended_percentiles_ms != r.percentiles_ms) return true;
  return false;
}

std::string intended_percentiles_table(const stats::snapshot& s, const console_options& o) {
  if (!intended_differs(s)) return {};
  return percentiles_table_of(s, o, true) +
         "(from when each request's iteration was meant to start: the open model's arrival or the "
         "pacing schedule; the table above is from the actual send)\n";
}

std::string load_model_report(const stats::snapshot& s) {
  uint64_t dropped = 0, started = 0, ended = 0;
  for (const auto& c : s.classes) {
    dropped += c.dropped_arrivals;
    started += c.sessions_started;
    ended += c.sessions_ended;
  }
  if (dropped == 0 && started == 0 && ended == 0) return {};
  std::string out = fmt::format("{:<24} {:>16} {:>16} {:>16}\n", "User class", "Dropped arrivals",
                                "Sessions started", "Sessions ended");
  const std::string sep = dashes(24) + "|" + dashes(16) + "|" + dashes(16) + "|" + dashes(16) + "\n";
  out += sep;
  for (const auto& c : s.classes)
    out += fmt::format("{:<24} {:>16} {:>16} {:>16}\n", c.user_class, c.dropped_arrivals,
                       c.sessions_started, c.sessions_ended);
  out += sep;
  if (dropped > 0)
    out += fmt::format("{} arrivals were dropped: no user of the pool was free (raise --max-users, "
                       "or the target is slower than the rate allows)\n", dropped);
  return out;
}

std::string error_report(const stats::snapshot& s, const console_options& o) {
  if (s.failures.empty()) return {};
  std::string out = "Error report\n";
  out += fmt::format("{:<18} {:<100}\n", "# occurrences", "Error");
  const std::string sep = dashes(18) + "|" + dashes(80 + o.name_width - 19) + "\n";
  out += sep;
  for (const auto& f : s.failures)
    out += fmt::format("{:<18} {:<100}\n", f.occurrences,
                       fmt::format("{} {}: {}", f.method, f.name, f.error));
  out += sep;
  out += "\n";
  return out;
}

std::string exceptions_report(const stats::snapshot& s, const console_options& o) {
  if (s.exceptions.empty()) return {};
  std::string out = "Exceptions\n";
  out += fmt::format("{:<18} {:<100}\n", "# occurrences", "Exception");
  const std::string sep = dashes(18) + "|" + dashes(80 + o.name_width - 19) + "\n";
  out += sep;
  for (const auto& x : s.exceptions) {
    out += fmt::format("{:<18} {:<100}\n", x.count, x.message);
    if (!x.traceback.empty()) out += fmt::format("{:<18} at {}\n", "", x.traceback);
  }
  out += sep;
  out += "\n";
  return out;
}

std::string final_summary(const stats::snapshot& s, const console_options& o) {
  console_options every_row = o;
  every_row.max_rows = 0;  // the summary is the run's record: never truncated
  std::string out = stats_table(s, rate_kind::whole_run, every_row);
  out += "\n";
  out += percentiles_table(s, o);
  out += "\n";
  if (auto t = intended_percentiles_table(s, o); !t.empty()) out += t + "\n";
  uint64_t dropped = 0;
  for (const auto& c : s.classes) dropped += c.dropped_arrivals;
  if (o.load_model || dropped > 0)
    if (auto t = load_model_report(s); !t.empty()) out += t + "\n";
  out += error_report(s, o);
  out += exceptions_report(s, o);
  if (s.aggregated.num_requests == 0)
    out += "\nWARNING: no request was made in this test: check the host, the tasks and their wait "
           "times (see the exceptions above, if any).\n";
  if (s.generator_cpu_warning)
    out += "\nWARNING: the load generator's CPU was above 90% for 10 s or more during this run: "
           "its response times are not trustworthy (use more --threads or machines).\n";
  return out;
}

}  // namespace endure::report
