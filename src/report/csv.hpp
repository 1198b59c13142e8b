// report CSV: Locust's --csv files (_stats, _stats_history, _failures, _exceptions) as strings,
// with Locust's exact headers. Pure; csv_sink does the files. Records end with CRLF (RFC 4180).
#pragma once
#include <string>

#include "stats/snapshot.hpp"

namespace endure::report {

std::string stats_csv_header();
// Header plus one record per entry and the Aggregated row, with whole-run rates; numbers use
// the same formatting as the console summary.
std::string stats_csv(const stats::snapshot& s);

std::string history_csv_header();
// Records for one snapshot: the Aggregated row, preceded by every entry when full_history.
// Rates and percentiles are the 10 s window's ("N/A" when the window has no requests).
std::string history_csv_rows(const stats::snapshot& s, bool full_history);

// endure's PREFIX_users.csv (the open model, session churn): one record per user class per
// interval: Timestamp,User Class,Users,Dropped Arrivals,Sessions Started,Sessions Ended.
std::string users_csv_header();
std::string users_csv_rows(const stats::snapshot& s);

// endure's PREFIX_monitor.csv (target monitoring): one record per sample per interval:
// Timestamp,Source,Metric,Value (the interval's end, as the history CSV; values in the metric's
// unit: bytes, percent, a count or per second).
std::string monitor_csv_header();
std::string monitor_csv_rows(const stats::snapshot& s);
// A sample's value as the CSV writes it: whole numbers in full, others with 9 significant digits.
std::string format_sample_value(double v);

// Method,Name,Error,Occurrences,First Seen,Last Seen (ISO-8601 UTC); header included.
std::string failures_csv(const stats::snapshot& s);
// Count,Message,Traceback,Nodes; header included.
std::string exceptions_csv(const stats::snapshot& s);

}  // namespace endure::report
