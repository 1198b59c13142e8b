// report console tables: Locust 2.x's stats, percentile, error and exception tables as text.
// Pure: returns strings (lines end with '\n'); printing and timing belong to sinks.
#pragma once
#include <string>

#include "stats/snapshot.hpp"

namespace endure::report {

enum class rate_kind {
  current,   // the 10 s window (periodic tables while running)
  whole_run  // requests / run duration (the final summary; equals _stats.csv)
};

struct console_options {
  int name_width = 80;  // Locust's STATS_NAME_WIDTH when stdout is not a terminal
};

// Type | Name | # reqs | # fails | Avg | Min | Max | Med | req/s | failures/s, plus Aggregated.
std::string stats_table(const stats::snapshot& s, rate_kind rates, const console_options& o = {});
// "Response time percentiles (approximated)": whole-run percentiles per entry with requests.
std::string percentiles_table(const stats::snapshot& s, const console_options& o = {});
// "Error report" (# occurrences, Error); empty string when there were no failures.
std::string error_report(const stats::snapshot& s, const console_options& o = {});
// "Exceptions" (# occurrences, Exception, where); empty string when there were none.
std::string exceptions_report(const stats::snapshot& s, const console_options& o = {});
// The end-of-run summary: stats (whole-run rates), percentiles, errors, exceptions.
std::string final_summary(const stats::snapshot& s, const console_options& o = {});

}  // namespace endure::report
