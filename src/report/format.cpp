#include "report/format.hpp"

#include <fmt/format.h>

#include <cmath>
#include <ctime>

namespace endure::report {

namespace {

std::string trim_zeros(std::string s) {
  if (s.find('.') == std::string::npos) return s;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

std::string format_ms(double ms) {
  if (!std::isfinite(ms)) return "0";
  if (ms == 0) return "0";
  const double mag = std::fabs(ms);
  // Round to 3 significant digits, then pick decimals from the rounded value (9.996 -> 10.0).
  int exponent = static_cast<int>(std::floor(std::log10(mag)));
  double scale = std::pow(10.0, 2 - exponent);
  double rounded = std::round(mag * scale) / scale;
  exponent = static_cast<int>(std::floor(std::log10(rounded)));
  const int decimals = exponent >= 2 ? 0 : 2 - exponent;
  if (decimals == 0) {
    scale = std::pow(10.0, 2 - exponent);
    rounded = std::round(mag * scale) / scale;
  }
  std::string s = trim_zeros(fmt::format("{:.{}f}", rounded, decimals));
  return ms < 0 ? "-" + s : s;
}

std::string format_rate(double per_s) { return fmt::format("{:.2f}", std::isfinite(per_s) ? per_s : 0); }

std::string format_number(double v) {
  if (!std::isfinite(v)) return "0";
  return trim_zeros(fmt::format("{:.2f}", v));
}

std::string format_iso8601_utc(double wall_s) {
  if (wall_s <= 0) return "";
  const auto t = static_cast<std::time_t>(std::floor(wall_s));
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string csv_record(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += ',';
    out += csv_field(fields[i]);
  }
  out += "\r\n";
  return out;
}

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace endure::report
