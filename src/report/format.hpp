// report formatting helpers: the one place numbers become text, so the console summary and the
// CSV files print identical values. Pure functions; no I/O, no clocks.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace endure::report {

// Milliseconds with up to 3 significant digits, no exponent: 0.153, 12.4, 153, 15300, 0.
std::string format_ms(double ms);
// Rates (req/s, failures/s): two decimals, as Locust's console.
std::string format_rate(double per_s);
// Sizes and other plain numbers: at most two decimals, trailing zeros dropped (1234.5, 17, 0).
std::string format_number(double v);
// Unix seconds as ISO-8601 UTC, second precision: 2023-11-14T22:13:20Z ("" for 0).
std::string format_iso8601_utc(double wall_s);

// One CSV field / record per RFC 4180: quoted when it holds a comma, quote, CR or LF;
// records end with CRLF (as Python's csv module, which Locust uses).
std::string csv_field(std::string_view s);
std::string csv_record(const std::vector<std::string>& fields);

// Escapes & < > " ' for HTML text and attribute values.
std::string html_escape(std::string_view s);

}  // namespace endure::report
