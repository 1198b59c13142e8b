#include "web/form.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "base/duration.hpp"

namespace endure::web {
namespace {

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

base::error bad(const std::string& field, const std::string& value, const std::string& expected) {
  return base::make_error(field + ": '" + value + "' is not " + expected);
}

// A locustfile option's form value checked as the command line checks it; returns the text the
// command line would take, or the sentence for the form.
base::result<std::string> option_value(const form_option& o, const std::string& v) {
  const std::string what = o.dest();
  if (o.is_flag) {
    if (v == "true" || v == "on" || v == "1") return std::string("true");
    if (v == "false" || v == "off" || v == "0" || v.empty()) return std::string("false");
    return bad(what, v, "true or false (the locustfile's flag --" + o.name + ")");
  }
  if (!o.choices.empty() && std::find(o.choices.begin(), o.choices.end(), v) == o.choices.end()) {
    std::string list;
    for (const auto& c : o.choices) list += (list.empty() ? "" : ", ") + c;
    return bad(what, v, "one of " + list + " (the locustfile's option --" + o.name + ")");
  }
  if (o.type == "int") {
    const bool digits = !v.empty() && std::all_of(v.begin() + (v[0] == '-' ? 1 : 0), v.end(),
                                                  [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || v.size() < (v[0] == '-' ? 2u : 1u) || v.size() > 19)
      return bad(what, v, "a whole number (the locustfile's option --" + o.name + ")");
  } else if (o.type == "float") {
    char* end = nullptr;
    errno = 0;
    const double d = v.empty() ? 0 : std::strtod(v.c_str(), &end);
    if (v.empty() || errno != 0 || end != v.c_str() + v.size() || !std::isfinite(d))
      return bad(what, v, "a number (the locustfile's option --" + o.name + ")");
  }
  return v;
}

}  // namespace

std::string form_option::dest() const {
  std::string d = name;
  std::replace(d.begin(), d.end(), '-', '_');
  return d;
}

base::result<swarm_request> parse_swarm_form(const std::vector<std::pair<std::string, std::string>>& fields,
                                             const swarm_defaults& d) {
  swarm_request out;
  out.users = d.users;
  out.spawn_rate = d.spawn_rate;
  out.host = d.host;
  out.run_time = d.run_time;
  for (const auto& [key, raw] : fields) {
    const std::string v = trim(raw);
    if (key == "user_count") {
      // Digits only: "-5", "1e3" and "10 users" are refused, not half read.
      if (v.empty() || v.size() > 12 || !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return bad("user_count", v, "a number of users (a whole number, 0 or more)");
      out.users = std::strtoull(v.c_str(), nullptr, 10);
      if (out.users > d.max_users)
        return bad("user_count", v, "a number of users this run allows (at most " + std::to_string(d.max_users) + ")");
    } else if (key == "spawn_rate") {
      char* end = nullptr;
      errno = 0;
      double r = v.empty() ? 0 : std::strtod(v.c_str(), &end);
      if (v.empty() || errno != 0 || end != v.c_str() + v.size() || !std::isfinite(r) || r <= 0)
        return bad("spawn_rate", v, "a spawn rate (users started per second, a number above 0)");
      out.spawn_rate = r;
    } else if (key == "host") {
      if (v.empty()) continue;  // the form's empty field: keep the default host
      if (v.rfind("http://", 0) != 0 && v.rfind("https://", 0) != 0)
        return bad("host", v, "a URL starting with http:// or https://");
      out.host = v;
    } else if (key == "run_time") {
      if (v.empty()) {
        out.run_time.reset();
        continue;
      }
      auto t = base::parse_duration(v);
      if (!t) return base::make_error("run_time: " + t.err().message);
      if (t->count() <= 0) return bad("run_time", v, "a run time above 0 (e.g. 90m, 7d, 1d12h)");
      out.run_time = *t;
    } else if (key == "user_classes") {
      if (v.empty()) continue;
      if (!d.known_classes.empty() &&
          std::find(d.known_classes.begin(), d.known_classes.end(), v) == d.known_classes.end()) {
        std::string known;
        for (const auto& c : d.known_classes) known += (known.empty() ? "" : ", ") + c;
        return bad("user_classes", v, "a user class of this locustfile (" + known + ")");
      }
      if (std::find(out.user_classes.begin(), out.user_classes.end(), v) == out.user_classes.end())
        out.user_classes.push_back(v);
    } else if (key == "shape_class") {
      // Locust's "Default": no load shape (the form's users and rate).
      if (v.empty() || v == "Default") {
        out.shape_class = std::string();
        continue;
      }
      if (std::find(d.shape_classes.begin(), d.shape_classes.end(), v) == d.shape_classes.end()) {
        std::string known = "Default";
        for (const auto& c : d.shape_classes) known += ", " + c;
        return bad("shape_class", v, "a load shape of this locustfile (" + known + ")");
      }
      out.shape_class = v;
    } else {
      // The locustfile's own options, by dest name as Locust's form sends them (the long name
      // is taken too). Other fields (Locust's profile, ...) are not used by endure.
      auto o = std::find_if(d.custom_options.begin(), d.custom_options.end(),
                            [&](const form_option& c) { return c.dest() == key || c.name == key; });
      if (o == d.custom_options.end()) continue;
      auto text = option_value(*o, v);
      if (!text) return text.err();
      out.custom[o->name] = *text;
    }
  }
  return out;
}

}  // namespace endure::web
