#include "app/store_commands.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>

#include "app/command_args.hpp"
#include "base/duration.hpp"

namespace endure::app {

base::result<command_args> read_command_args(const std::vector<std::string>& args,
                                             const std::set<std::string>& with_value,
                                             const std::set<std::string>& flag_names,
                                             const std::string& command) {
  command_args out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h") {
      out.flags.insert("help");
      continue;
    }
    if (!a.starts_with("--") || a == "--") {
      if (a.starts_with("-") && a.size() > 1)
        return base::make_error("unknown option '" + a + "' for " + command + " (see " + command +
                                " --help)");
      out.positional.push_back(a);
      continue;
    }
    std::string name = a.substr(2), value;
    const auto eq = name.find('=');
    const bool inline_value = eq != std::string::npos;
    if (inline_value) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (flag_names.count(name)) {
      if (inline_value)
        return base::make_error("--" + name + " takes no value (in " + command + ")");
      out.flags.insert(name);
    } else if (with_value.count(name)) {
      if (!inline_value) {
        if (i + 1 >= args.size())
          return base::make_error("--" + name + " needs a value (in " + command + ")");
        value = args[++i];
      }
      out.values[name].push_back(value);
    } else {
      return base::make_error("unknown option '--" + name + "' for " + command + " (see " +
                              command + " --help)");
    }
  }
  return out;
}

int command_error(const base::error& e) { return command_error(e.message, e.code); }

int command_error(const std::string& message, int code) {
  std::fprintf(stderr, "endure: error: %s\n", message.c_str());
  return code;
}

std::string duration_text(double seconds) {
  auto s = static_cast<int64_t>(std::llround(std::max(0.0, seconds)));
  const int64_t d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60, sec = s % 60;
  char buf[64];
  if (d > 0)
    std::snprintf(buf, sizeof buf, "%lldd %lldh %lldm", static_cast<long long>(d),
                  static_cast<long long>(h), static_cast<long long>(m));
  else if (h > 0)
    std::snprintf(buf, sizeof buf, "%lldh %lldm %llds", static_cast<long long>(h),
                  static_cast<long long>(m), static_cast<long long>(sec));
  else if (m > 0)
    std::snprintf(buf, sizeof buf, "%lldm %llds", static_cast<long long>(m),
                  static_cast<long long>(sec));
  else
    std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(sec));
  return buf;
}

namespace {

bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

// YYYY-MM-DD[T ]HH:MM[:SS[.fff]][Z|+HH:MM|-HH:MM]
std::optional<double> parse_iso(std::string_view s) {
  int y, mo, d, h, mi, sec = 0;
  if (!digits(s, 0, 4, y) || s.size() < 16 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != ' ') || !digits(s, 11, 2, h) ||
      s[13] != ':' || !digits(s, 14, 2, mi))
    return std::nullopt;
  size_t p = 16;
  double frac = 0;
  if (p < s.size() && s[p] == ':') {
    if (!digits(s, p + 1, 2, sec)) return std::nullopt;
    p += 3;
    if (p < s.size() && s[p] == '.') {
      double scale = 0.1;
      for (++p; p < s.size() && std::isdigit(static_cast<unsigned char>(s[p])); ++p, scale /= 10)
        frac += (s[p] - '0') * scale;
    }
  }
  int zone_s = 0;
  if (p < s.size()) {
    if (s[p] == 'Z' && p + 1 == s.size()) {
      ++p;
    } else if ((s[p] == '+' || s[p] == '-') && p + 6 == s.size() && s[p + 3] == ':') {
      int zh, zm;
      if (!digits(s, p + 1, 2, zh) || !digits(s, p + 4, 2, zm)) return std::nullopt;
      zone_s = (s[p] == '+' ? 1 : -1) * (zh * 3600 + zm * 60);
      p = s.size();
    } else {
      return std::nullopt;
    }
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  const time_t t = timegm(&tm);
  return static_cast<double>(t) - zone_s + frac;
}

struct metric_spec {
  const char* name;
  bool is_time;
};
constexpr metric_spec metrics[] = {
    {"rps", false}, {"fail%", false}, {"avg", true}, {"p50", true}, {"p66", true}, {"p75", true},
    {"p80", true},  {"p90", true},    {"p95", true}, {"p98", true}, {"p99", true}, {"p99.9", true}};

const metric_spec* find_metric(std::string_view name) {
  if (name == "req/s") name = "rps";
  if (name == "failures%" || name == "fail_pct") name = "fail%";
  if (name == "median") name = "p50";
  for (const auto& m : metrics)
    if (name == m.name) return &m;
  return nullptr;
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

base::result<double> parse_when(std::string_view text, double run_start_wall_s) {
  const std::string t = trim(text);
  if (auto iso = parse_iso(t)) return *iso;
  if (auto d = base::parse_duration(t))
    return run_start_wall_s + static_cast<double>(d->count()) / 1000.0;
  return base::make_error("invalid time '" + t +
                          "': expected an offset from the run's start such as 48h or 2d3h, or an "
                          "ISO time such as 2026-12-01T09:00:00Z");
}

base::result<compare_condition> parse_condition(std::string_view text) {
  compare_condition c;
  c.text = std::string(text);
  auto bad = [&](const std::string& why) {
    return base::make_error(
        "invalid --fail-on '" + c.text + "': " + why +
        " (e.g. 'p95>+10%', 'rps<-5%', 'fail%>+0.5', 'GET /products: p99>+20ms')");
  };
  std::string_view rest = text;
  if (const auto colon = rest.rfind(": "); colon != std::string_view::npos) {
    c.entry = trim(rest.substr(0, colon));
    rest = rest.substr(colon + 2);
    if (c.entry.empty()) return bad("an empty entry before ':'");
  }
  const std::string cond = trim(rest);
  const auto op_at = cond.find_first_of("<>");
  if (op_at == std::string::npos) return bad("no comparison (> or <)");
  c.metric = trim(std::string_view(cond).substr(0, op_at));
  size_t p = op_at + 1;
  c.op = cond.substr(op_at, 1);
  if (p < cond.size() && cond[p] == '=') {
    c.op += "=";
    ++p;
  }
  const metric_spec* m = find_metric(c.metric);
  if (m == nullptr)
    return bad("unknown metric '" + c.metric + "' (rps, fail%, avg, p50, p90, p95, p99, ...)");
  c.metric = m->name;
  std::string v = trim(std::string_view(cond).substr(p));
  if (v.empty()) return bad("no value");
  if (v.front() == '+' || v.front() == '-') c.is_change = true;
  double scale = 1;
  if (v.ends_with("%") && !(c.metric == "fail%" && !c.is_change)) {
    c.is_relative = true;
    v.pop_back();
    if (!c.is_change) return bad("a percentage must be a change: +N% or -N%");
  } else if (v.ends_with("ms") && m->is_time) {
    v.resize(v.size() - 2);
  } else if (v.ends_with("s") && m->is_time) {
    v.pop_back();
    scale = 1000;
  } else if (v.ends_with("pp") && c.metric == "fail%") {
    v.resize(v.size() - 2);
  } else if (v.ends_with("%") && c.metric == "fail%") {
    v.pop_back();  // "fail%>5%": the new run's failure percentage
  }
  const char* begin = v.data() + (c.is_change && v.front() == '+' ? 1 : 0);
  double n = 0;
  auto [end, ec] = std::from_chars(begin, v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size() || !std::isfinite(n))
    return bad("'" + v + "' is not a number");
  c.value = n * scale;
  return c;
}

double metric_value(const stats::row& r, const std::string& metric) {
  if (metric == "rps") return r.total_rps;
  if (metric == "fail%")
    return r.num_requests
               ? 100.0 * static_cast<double>(r.num_failures) / static_cast<double>(r.num_requests)
               : 0;
  if (metric == "avg") return r.avg_ms;
  static const std::pair<const char*, size_t> pct[] = {{"p50", 0}, {"p66", 1}, {"p75", 2},
                                                       {"p80", 3}, {"p90", 4}, {"p95", 5},
                                                       {"p98", 6}, {"p99", 7}, {"p99.9", 8}};
  for (const auto& [name, i] : pct)
    if (metric == name) return r.percentiles_ms[i];
  return 0;
}

bool condition_holds(const compare_condition& c, double base, double now) {
  double x = now;
  if (c.is_change && c.is_relative) {
    if (base == 0)
      x = now == 0 ? 0
                   : (now > 0 ? std::numeric_limits<double>::infinity()
                              : -std::numeric_limits<double>::infinity());
    else
      x = (now - base) / base * 100.0;
  } else if (c.is_change) {
    x = now - base;
  }
  if (c.op == ">") return x > c.value;
  if (c.op == ">=") return x >= c.value;
  if (c.op == "<") return x < c.value;
  return x <= c.value;
}

bool condition_applies(const compare_condition& c, const stats::row& r) {
  if (c.entry.empty()) return true;
  if (c.entry == "Aggregated") return r.name == "Aggregated" && r.method.empty();
  return c.entry == r.name || c.entry == r.method + " " + r.name;
}

}  // namespace endure::app
