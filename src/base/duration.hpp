// Parsing and formatting of human durations ("7d", "1d12h30m", "90m", "45s", "250ms", "30") and
// rates ("200/s", "12000/m", "30/h", "5").
// Pure: no clocks, no I/O.
#pragma once
#include <chrono>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace endure::base {

// Parses a run time such as "7d", "1d12h30m", "90m", "45s", "1.5h" or plain seconds ("30").
// Units: d, h, m, s, ms. Each unit at most once, largest first. Rejects negatives, garbage,
// and an empty string. The error message names the value and the expected form.
result<std::chrono::milliseconds> parse_duration(std::string_view text);

// Parses a rate such as "200/s", "12000/m", "30/h" or a plain number (per second) into events per
// second. Rejects negatives and garbage; the message names the text and the expected form, without
// saying what the rate is of (the caller prefixes that).
result<double> parse_rate(std::string_view text);

// "1d 2h 3m 4s" style, omitting zero parts; "0s" for zero.
std::string format_duration(std::chrono::milliseconds d);

}  // namespace endure::base
