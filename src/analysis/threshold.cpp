#include "analysis/threshold.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <vector>

#include "base/duration.hpp"

namespace endure::analysis {

const char* to_string(comparison c) {
  switch (c) {
    case comparison::lt: return "<";
    case comparison::le: return "<=";
    case comparison::gt: return ">";
    case comparison::ge: return ">=";
  }
  return "<";
}

bool satisfies(const threshold& t, double value) {
  if (std::isnan(value)) return false;
  switch (t.op) {
    case comparison::lt: return value < t.limit;
    case comparison::le: return value <= t.limit;
    case comparison::gt: return value > t.limit;
    case comparison::ge: return value >= t.limit;
  }
  return false;
}

namespace {

const char* const threshold_form =
    "a threshold such as p95<500ms, fail_ratio<0.01, p95.slope<2ms/h, target.rss.slope<10MB/h or "
    "'GET /products: p99[5m]<1s'";

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// The user's text as echoed in a message: control characters shown as '?', so that the
// message stays one line.
std::string shown(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return out;
}

base::error bad(const std::string& why) {
  return base::make_error(std::string(threshold_form) + " (" + shown(why) + ")");
}

// A number followed by a unit, in the unit's class; `u` says what the value measures.
struct quantity {
  double value = 0;
  std::string suffix;
};

bool split_number(std::string_view text, quantity& q) {
  text = trim(text);
  std::string s(text);
  const char* begin = s.c_str();
  char* end = nullptr;
  q.value = std::strtod(begin, &end);
  if (end == begin || !std::isfinite(q.value)) return false;
  q.suffix = std::string(trim(std::string_view(end)));
  return true;
}

// Scales a suffix into the unit u; false when the suffix does not belong to it.
bool in_unit(const std::string& suffix, unit u, double& factor) {
  factor = 1;
  switch (u) {
    case unit::ms:
      if (suffix.empty() || suffix == "ms") return true;
      if (suffix == "us" || suffix == "\xC2\xB5s") return factor = 1e-3, true;
      if (suffix == "s") return factor = 1e3, true;
      if (suffix == "m" || suffix == "min") return factor = 6e4, true;
      if (suffix == "h") return factor = 3.6e6, true;
      return false;
    case unit::bytes: {
      static const std::pair<const char*, double> units[] = {{"", 1},
                                                             {"B", 1},
                                                             {"KB", 1e3},
                                                             {"MB", 1e6},
                                                             {"GB", 1e9},
                                                             {"TB", 1e12},
                                                             {"KiB", 1024.0},
                                                             {"MiB", 1048576.0},
                                                             {"GiB", 1073741824.0},
                                                             {"TiB", 1099511627776.0}};
      for (const auto& [name, f] : units)
        if (suffix == name) return factor = f, true;
      return false;
    }
    case unit::ratio:
      if (suffix.empty()) return true;
      if (suffix == "%") return factor = 0.01, true;
      return false;
    case unit::percent: return suffix.empty() || suffix == "%";
    case unit::per_s: return suffix.empty() || suffix == "/s";
    case unit::count:
    case unit::plain: return suffix.empty();
  }
  return false;
}

// A rate's time unit ("/h") in seconds.
bool per_time(const std::string& suffix, double& seconds) {
  if (suffix == "s") return seconds = 1, true;
  if (suffix == "m" || suffix == "min") return seconds = 60, true;
  if (suffix == "h") return seconds = 3600, true;
  if (suffix == "d") return seconds = 86400, true;
  return false;
}

const char* unit_words(unit u) {
  switch (u) {
    case unit::ms: return "a time (us, ms, s, m, h; plain numbers are ms)";
    case unit::bytes: return "a size (B, KB, MB, GB, KiB, MiB, GiB)";
    case unit::ratio: return "a ratio (0.01 or 1%)";
    case unit::percent: return "a percentage";
    case unit::per_s: return "a rate per second";
    case unit::count:
    case unit::plain: return "a plain number";
  }
  return "a number";
}

// A target metric's unit follows its name, as the collector's does.
unit target_unit(const std::string& m) {
  auto has = [&](const char* w) { return m.find(w) != std::string::npos; };
  if (has("rss") || has("bytes") || has("memory") || has("disk") || has("_mem")) return unit::bytes;
  if (has("cpu") || has("percent")) return unit::percent;
  if (has("fds") || has("threads") || has("conns") || has("count")) return unit::count;
  if (m.size() > 3 && m.compare(m.size() - 3, 3, "_ms") == 0) return unit::ms;
  return unit::plain;
}

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
}

// Parses the metric, slope, window, comparison and value of text (after the scope).
base::result<threshold> parse_expression(std::string_view text) {
  threshold t;
  size_t i = 0;
  auto rest = [&]() { return text.substr(i); };
  // The metric name runs to the window bracket or the comparison.
  size_t end = text.find_first_of("[<>");
  if (end == std::string_view::npos) return bad("no comparison: use <, <=, > or >=");
  std::string name(trim(text.substr(0, end)));
  i = end;
  if (name.empty()) return bad("no metric before the comparison");
  if (name.size() > 6 && name.compare(name.size() - 6, 6, ".slope") == 0) {
    t.slope = true;
    name.resize(name.size() - 6);
  }
  if (name.rfind("target.", 0) == 0) {
    t.metric = threshold_metric::target;
    t.sub_metric = name.substr(7);
    if (t.sub_metric.empty()) return bad("target. needs a metric name, e.g. target.rss");
    for (char c : t.sub_metric)
      if (!is_name_char(c)) return bad("a target metric name is letters, digits, '_', '-' and '.'");
    t.u = target_unit(t.sub_metric);
  } else if (name.rfind("generator.", 0) == 0) {
    t.metric = threshold_metric::generator;
    t.sub_metric = name.substr(10);
    if (t.sub_metric == "cpu")
      t.u = unit::percent;
    else if (t.sub_metric == "lag")
      t.u = unit::ms;
    else if (t.sub_metric == "rss")
      t.u = unit::bytes;
    else
      return bad("the generator's metrics are generator.cpu, generator.lag and generator.rss");
  } else if (name == "avg" || name == "mean") {
    t.metric = threshold_metric::avg, t.u = unit::ms;
  } else if (name == "min") {
    t.metric = threshold_metric::min, t.u = unit::ms;
  } else if (name == "max") {
    t.metric = threshold_metric::max, t.u = unit::ms;
  } else if (name == "med" || name == "median") {
    t.metric = threshold_metric::quantile, t.quantile = 0.5, t.u = unit::ms;
  } else if (name == "fail_ratio" || name == "error_rate") {
    t.metric = threshold_metric::fail_ratio, t.u = unit::ratio;
  } else if (name == "failures") {
    t.metric = threshold_metric::failures, t.u = unit::count;
  } else if (name == "requests") {
    t.metric = threshold_metric::requests, t.u = unit::count;
  } else if (name == "rps") {
    t.metric = threshold_metric::rps, t.u = unit::per_s;
  } else if (name == "fail_per_s") {
    t.metric = threshold_metric::fail_per_s, t.u = unit::per_s;
  } else if (name.size() >= 2 && name[0] == 'p') {
    // p95, p99.9, or k6's p(95)
    std::string digits = name.substr(1);
    if (digits.size() >= 2 && digits.front() == '(' && digits.back() == ')')
      digits = digits.substr(1, digits.size() - 2);
    char* stop = nullptr;
    const double pct = std::strtod(digits.c_str(), &stop);
    if (digits.empty() || *stop != '\0' || !(pct > 0) || !(pct < 100) ||
        !std::isdigit(static_cast<unsigned char>(digits[0])))
      return bad("unknown metric '" + name + "': a percentile is p1 to p99.99");
    t.metric = threshold_metric::quantile;
    t.quantile = pct / 100;
    t.u = unit::ms;
  } else {
    return bad("unknown metric '" + name +
               "': use pNN, avg, min, max, fail_ratio, failures, requests, rps, fail_per_s, "
               "target.NAME or generator.cpu|lag|rss");
  }
  if (t.slope) {
    const bool trendable =
        (t.metric == threshold_metric::quantile &&
         (t.quantile == 0.5 || t.quantile == 0.95 || t.quantile == 0.99)) ||
        t.metric == threshold_metric::fail_ratio || t.metric == threshold_metric::rps ||
        t.metric == threshold_metric::target || t.metric == threshold_metric::generator;
    if (!trendable)
      return bad(
          "slopes exist for p50, p95, p99, fail_ratio, rps, target.NAME and generator.cpu|lag|rss");
  }
  // Optional trailing window.
  if (i < text.size() && text[i] == '[') {
    const auto close = text.find(']', i);
    if (close == std::string_view::npos) return bad("a window is written [10m]");
    auto d = base::parse_duration(trim(text.substr(i + 1, close - i - 1)));
    if (!d || d->count() <= 0) return bad("a window is a duration such as [10m] or [2h]");
    t.window_s = static_cast<double>(d->count()) / 1000.0;
    i = close + 1;
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  }
  // The comparison.
  const auto r = rest();
  if (r.rfind("<=", 0) == 0)
    t.op = comparison::le, i += 2;
  else if (r.rfind(">=", 0) == 0)
    t.op = comparison::ge, i += 2;
  else if (r.rfind("<", 0) == 0)
    t.op = comparison::lt, i += 1;
  else if (r.rfind(">", 0) == 0)
    t.op = comparison::gt, i += 1;
  else
    return bad("expected <, <=, > or >= after the metric");
  // The value and its unit; a slope's unit ends with a time ("/h").
  std::string value(trim(rest()));
  if (value.empty()) return bad("no value after the comparison");
  quantity q;
  double per = 1;
  if (t.slope) {
    const auto slash = value.rfind('/');
    if (slash == std::string::npos ||
        !per_time(std::string(trim(std::string_view(value).substr(slash + 1))), per))
      return bad("a slope's value is per time, e.g. 2ms/h, 10MB/h, 0.001/h (/s, /min, /h, /d)");
    value = std::string(trim(std::string_view(value).substr(0, slash)));
  }
  if (!split_number(value, q)) return bad("'" + value + "' is not a number");
  double factor = 1;
  if (!in_unit(q.suffix, t.u, factor))
    return bad("'" + value + "': " + name + (t.slope ? " changes by " : " is ") + unit_words(t.u));
  t.limit = q.value * factor / per;
  return t;
}

bool is_method(std::string_view word) {
  if (word.empty()) return false;
  for (char c : word)
    if (!std::isupper(static_cast<unsigned char>(c))) return false;
  return true;
}

}  // namespace

std::string threshold::metric_name() const {
  std::string m;
  switch (metric) {
    case threshold_metric::quantile: {
      char buf[16];
      std::snprintf(buf, sizeof buf, "p%g", quantile * 100);
      m = buf;
      break;
    }
    case threshold_metric::avg: m = "avg"; break;
    case threshold_metric::min: m = "min"; break;
    case threshold_metric::max: m = "max"; break;
    case threshold_metric::fail_ratio: m = "fail_ratio"; break;
    case threshold_metric::failures: m = "failures"; break;
    case threshold_metric::requests: m = "requests"; break;
    case threshold_metric::rps: m = "rps"; break;
    case threshold_metric::fail_per_s: m = "fail_per_s"; break;
    case threshold_metric::target: m = "target." + sub_metric; break;
    case threshold_metric::generator: m = "generator." + sub_metric; break;
  }
  return slope ? m + ".slope" : m;
}

std::string threshold::scope() const {
  if (aggregated) return "Aggregated";
  return method.empty() ? name : method + " " + name;
}

base::result<threshold> parse_threshold(std::string_view text) {
  const std::string original(trim(text));
  if (original.empty()) return bad("it is empty");
  // The scope ends at the last ':' after which a metric expression parses (names may hold ':').
  std::string_view all(original);
  std::optional<base::error> first_error;
  for (size_t colon = all.rfind(':'); colon != std::string_view::npos && colon > 0;
       colon = all.rfind(':', colon - 1)) {
    auto expr = parse_expression(all.substr(colon + 1));
    if (!expr) {
      if (!first_error) first_error = expr.err();
      continue;
    }
    threshold t = std::move(*expr);
    std::string scope(trim(all.substr(0, colon)));
    if (scope.empty()) return bad("nothing before ':'; leave the scope out for Aggregated");
    if (t.metric == threshold_metric::target || t.metric == threshold_metric::generator)
      return bad("target and generator metrics have no entry scope");
    if (scope != "Aggregated") {
      t.aggregated = false;
      const auto space = scope.find(' ');
      if (space != std::string::npos && is_method(std::string_view(scope).substr(0, space))) {
        t.method = scope.substr(0, space);
        t.name = std::string(trim(std::string_view(scope).substr(space + 1)));
      } else {
        t.name = scope;
      }
    }
    t.text = original;
    return t;
  }
  auto whole = parse_expression(all);
  if (whole) {
    whole->text = original;
    return whole;
  }
  // The error of the expression after the last ':' says more than "no comparison".
  return first_error ? *first_error : whole.err();
}

base::result<limit> parse_limit(std::string_view text) {
  const char* form =
      "a limit METRIC=VALUE such as rss=8GB, target.fds=1024, disk_free=0, p95=2s or fail_ratio=5%";
  const std::string original(trim(text));
  const auto eq = original.find('=');
  if (eq == std::string::npos || eq == 0) return base::make_error(form);
  limit l;
  l.text = original;
  l.metric = std::string(trim(std::string_view(original).substr(0, eq)));
  for (char c : l.metric)
    if (!is_name_char(c))
      return base::make_error(std::string(form) +
                              " (a metric name is letters, digits, '_', '-' and '.')");
  const std::string value(trim(std::string_view(original).substr(eq + 1)));
  quantity q;
  if (!split_number(value, q))
    return base::make_error(std::string(form) + " ('" + shown(value) + "' is not a number)");
  // The unit the series will have: latency, ratio, or from a target metric's name.
  unit u = target_unit(l.metric);
  if (l.metric.size() >= 2 && l.metric[0] == 'p' &&
      std::isdigit(static_cast<unsigned char>(l.metric[1])))
    u = unit::ms;
  else if (l.metric == "fail_ratio")
    u = unit::ratio;
  else if (l.metric == "rps")
    u = unit::per_s;
  double factor = 1;
  // A size on a metric whose name does not say bytes is still read as one (the user knows).
  if (!in_unit(q.suffix, u, factor) && !in_unit(q.suffix, unit::bytes, factor) &&
      !in_unit(q.suffix, unit::ms, factor))
    return base::make_error(std::string(form) + " ('" + shown(value) + "': " + unit_words(u) + ")");
  l.value = q.value * factor;
  return l;
}

}  // namespace endure::analysis
