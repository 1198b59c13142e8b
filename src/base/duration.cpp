#include "base/duration.hpp"

#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace endure::base {
namespace {

std::string expected_form(std::string_view text) {
  return "invalid duration '" + std::string(text) +
         "': expected a number with units d, h, m, s or ms (e.g. 7d, 1d12h30m, 90m, 45s) or "
         "plain seconds";
}

}  // namespace

result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  std::string_view s = text;
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  if (s.empty()) return make_error(expected_form(text));

  // Unit rank: d=0 h=1 m=2 s=3 ms=4; each must be strictly greater than the previous one.
  constexpr double unit_ms[] = {86'400'000.0, 3'600'000.0, 60'000.0, 1'000.0, 1.0};
  double total_ms = 0;
  int last_rank = -1;
  size_t i = 0;
  while (i < s.size()) {
    size_t start = i;
    bool seen_digit = false, seen_dot = false;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) {
      if (s[i] == '.') {
        if (seen_dot) return make_error(expected_form(text));
        seen_dot = true;
      } else {
        seen_digit = true;
      }
      ++i;
    }
    if (!seen_digit) return make_error(expected_form(text));
    std::string number(s.substr(start, i - start));
    if (number.size() > 15) return make_error(expected_form(text));
    double value = std::stod(number);
    int rank;
    if (i == s.size()) {
      // Plain seconds, only when the whole string is one number.
      if (last_rank != -1) return make_error(expected_form(text));
      rank = 3;
    } else if (s.substr(i, 2) == "ms") {
      rank = 4;
      i += 2;
    } else {
      switch (s[i]) {
        case 'd': rank = 0; break;
        case 'h': rank = 1; break;
        case 'm': rank = 2; break;
        case 's': rank = 3; break;
        default: return make_error(expected_form(text));
      }
      ++i;
    }
    if (rank <= last_rank) return make_error(expected_form(text));
    last_rank = rank;
    total_ms += value * unit_ms[rank];
    if (total_ms > 3.0e14) return make_error(expected_form(text));  // ~9,500 years
  }
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(total_ms)));
}

result<double> parse_rate(std::string_view text) {
  auto trim = [](std::string_view v) {
    while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.remove_prefix(1);
    while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.remove_suffix(1);
    return v;
  };
  const std::string_view t = trim(text);
  const auto slash = t.find('/');
  const std::string num(trim(t.substr(0, slash)));
  char* end = nullptr;
  const double v = std::strtod(num.c_str(), &end);
  if (num.empty() || *end != '\0' || !std::isfinite(v) || v < 0)
    return make_error("'" + std::string(t) + "' is not a rate (e.g. 200/s, 12000/m, 30/h)");
  if (slash == std::string_view::npos) return v;
  const std::string_view unit = trim(t.substr(slash + 1));
  if (unit == "s") return v;
  if (unit == "m") return v / 60;
  if (unit == "h") return v / 3600;
  return make_error("unit '/" + std::string(unit) + "' (expected /s, /m or /h)");
}

std::string format_duration(std::chrono::milliseconds d) {
  int64_t ms = d.count();
  if (ms <= 0) return "0s";
  std::string out;
  auto part = [&](int64_t unit, const char* suffix) {
    if (ms >= unit) {
      if (!out.empty()) out += ' ';
      out += std::to_string(ms / unit) + suffix;
      ms %= unit;
    }
  };
  part(86'400'000, "d");
  part(3'600'000, "h");
  part(60'000, "m");
  part(1'000, "s");
  part(1, "ms");
  return out;
}

}  // namespace endure::base
