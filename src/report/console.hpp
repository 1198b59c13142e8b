// report console tables: Locust 2.x's stats, percentile, error and exception tables as text.
// Pure: returns strings (lines end with '\n'); printing and timing belong to sinks.
#pragma once
#include <cstddef>
#include <string>

#include "stats/snapshot.hpp"

namespace endure::report {

enum class rate_kind {
  current,   // the 10 s window (periodic tables while running)
  whole_run  // requests / run duration (the final summary; equals _stats.csv)
};

struct console_options {
  int name_width = 80;
  // The open model or session churn is on: the summary shows the per-class table of dropped
  // arrivals and sessions (otherwise only when arrivals were dropped).
  bool load_model = false;  // Locust's STATS_NAME_WIDTH when stdout is not a terminal
  // stats_table shows at most this many entries, those with the most requests (in the usual
  // name order), and one line counting the rest; 0: every entry. final_summary ignores it.
  size_t max_rows = 0;
};

// Type | Name | # reqs | # fails | Avg | Min | Max | Med | req/s | failures/s, plus Aggregated.
// With o.max_rows below the number of entries, the rows left out are counted on one line:
//          ... and 480 more names (15300 requests, 12 failures)
std::string stats_table(const stats::snapshot& s, rate_kind rates, const console_options& o = {});
// When, how far into the test and how many users, for the top of a periodic table:
//   2026-11-30T08:12:03Z, 3d 4h 12m 10s into the test, 100 users (peak 120)
std::string status_line(const stats::snapshot& s);
// The table printed while the test runs: the status line, then stats_table with current rates
// and, beside Locust's whole-run columns, the current (10 s window) median and p95 ("Med 10s",
// "p95 10s"; N/A when the window holds no request), so a slow creep shows on day 3.
std::string periodic_table(const stats::snapshot& s, const console_options& o = {});
// "Response time percentiles (approximated)": whole-run percentiles per entry with requests.
std::string percentiles_table(const stats::snapshot& s, const console_options& o = {});
// True when some row's percentiles from the intended start differ from those from the send.
bool intended_differs(const stats::snapshot& s);
// "Response time percentiles from the intended start": the same table from the intended start
// of each request's iteration (open model, pacing), with a line saying which is which; empty
// when every request was sent when it was meant to be.
std::string intended_percentiles_table(const stats::snapshot& s, const console_options& o = {});
// Per user class: open-model arrivals dropped, sessions started and ended; empty when none.
std::string load_model_report(const stats::snapshot& s);
// "Error report" (# occurrences, Error); empty string when there were no failures.
std::string error_report(const stats::snapshot& s, const console_options& o = {});
// "Exceptions" (# occurrences, Exception, where); empty string when there were none.
std::string exceptions_report(const stats::snapshot& s, const console_options& o = {});
// The end-of-run summary: stats (whole-run rates), percentiles, errors, exceptions; always
// every entry, whatever o.max_rows.
std::string final_summary(const stats::snapshot& s, const console_options& o = {});

}  // namespace endure::report
