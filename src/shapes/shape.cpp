#include "shapes/shape.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <mutex>
#include <numbers>
#include <sstream>

#include "base/duration.hpp"
#include "base/rng.hpp"

namespace endure::shapes {

// ---------------------------------------------------------------------------------------------
// Components

struct shape::part {
  virtual ~part() = default;
  virtual double length() const = 0;             // seconds; forever allowed
  virtual double value(double t) const = 0;      // t in [0, length)
  virtual std::string stage(double t) const = 0;
  // Appends the stages that start before `horizon` (in the part's own time) to out, `offset`
  // added to their times.
  virtual void stages(double offset, double horizon, std::vector<stage_span>& out) const = 0;
};

namespace {

using part_ptr = std::shared_ptr<const shape::part>;

struct steps_part final : shape::part {
  std::vector<double> levels;
  double each = 0;
  double length() const override { return each * static_cast<double>(levels.size()); }
  size_t index(double t) const {
    return std::min(levels.size() - 1, static_cast<size_t>(t / each));
  }
  double value(double t) const override { return levels[index(t)]; }
  std::string stage(double t) const override {
    return "steps " + std::to_string(index(t) + 1) + "/" + std::to_string(levels.size());
  }
  void stages(double offset, double horizon, std::vector<stage_span>& out) const override {
    for (size_t i = 0; i < levels.size() && each * static_cast<double>(i) < horizon; ++i)
      out.push_back({stage(each * static_cast<double>(i)), offset + each * static_cast<double>(i),
                     offset + each * static_cast<double>(i + 1), levels[i], levels[i]});
  }
};

struct ramp_part final : shape::part {
  double from = 0, to = 0, over = 0;
  double length() const override { return over; }
  double value(double t) const override { return from + (to - from) * std::clamp(t / over, 0.0, 1.0); }
  std::string stage(double) const override { return "ramp"; }
  void stages(double offset, double, std::vector<stage_span>& out) const override {
    out.push_back({"ramp", offset, offset + over, from, to});
  }
};

struct hold_part final : shape::part {
  std::string name = "hold";
  double level = 0, len = forever;
  double length() const override { return len; }
  double value(double) const override { return level; }
  std::string stage(double) const override { return name; }
  void stages(double offset, double, std::vector<stage_span>& out) const override {
    out.push_back({name, offset, offset + len, level, level});
  }
};

struct diurnal_part final : shape::part {
  double min = 0, max = 0, period = 86400, len = forever;
  double length() const override { return len; }
  double value(double t) const override {
    // A day's wave: min at the start, max half a period later.
    return min + (max - min) * (1 - std::cos(2 * std::numbers::pi * t / period)) / 2;
  }
  std::string stage(double t) const override {
    return std::fmod(t, period) < period / 2 ? "diurnal rising" : "diurnal falling";
  }
  void stages(double offset, double horizon, std::vector<stage_span>& out) const override {
    for (double s = 0; s < std::min(len, horizon); s += period / 2) {
      const bool rising = std::fmod(s, period) < period / 2;
      out.push_back({rising ? "diurnal rising" : "diurnal falling", offset + s,
                     offset + std::min(len, s + period / 2), rising ? min : max, rising ? max : min});
    }
  }
};

// A base level with bursts at a peak: gaps and lengths drawn from their ranges with a seeded
// generator, so a run can be repeated. The bursts are generated as far as they are asked for.
struct bursts_part final : shape::part {
  double base = 0, peak = 0, gap_lo = 0, gap_hi = 0, for_lo = 0, for_hi = 0, len = forever;
  uint64_t seed = 1;
  mutable std::mutex mutex;
  mutable std::vector<std::pair<double, double>> bursts;  // [start, end), in order
  mutable base::rng rng;
  mutable double generated_to = 0;

  void generate_to(double t) const {
    if (bursts.empty() && generated_to == 0) rng.reseed(seed);
    while (generated_to <= t) {
      const double gap = gap_lo + (gap_hi - gap_lo) * rng.uniform();
      const double dur = for_lo + (for_hi - for_lo) * rng.uniform();
      bursts.emplace_back(generated_to + gap, generated_to + gap + dur);
      generated_to += gap + dur;
    }
  }
  // The burst holding t (index + 1), or 0.
  size_t burst_at(double t) const {
    std::lock_guard lock(mutex);
    generate_to(t);
    auto it = std::upper_bound(bursts.begin(), bursts.end(), t,
                               [](double x, const auto& b) { return x < b.first; });
    if (it == bursts.begin()) return 0;
    --it;
    return t < it->second ? static_cast<size_t>(it - bursts.begin()) + 1 : 0;
  }
  double length() const override { return len; }
  double value(double t) const override { return burst_at(t) ? peak : base; }
  std::string stage(double t) const override {
    const size_t b = burst_at(t);
    return b ? "burst " + std::to_string(b) : "base";
  }
  void stages(double offset, double horizon, std::vector<stage_span>& out) const override {
    std::lock_guard lock(mutex);
    const double until = std::min(len, horizon);
    generate_to(std::min(until, 1e12));
    double at = 0;
    for (size_t i = 0; i < bursts.size() && bursts[i].first < until; ++i) {
      out.push_back({"base", offset + at, offset + bursts[i].first, base, base});
      out.push_back({"burst " + std::to_string(i + 1), offset + bursts[i].first,
                     offset + std::min(len, bursts[i].second), peak, peak});
      at = bursts[i].second;
    }
    if (at < until) out.push_back({"base", offset + at, offset + len, base, base});
  }
};

struct spike_part final : shape::part {
  double base = 0, peak = 0, at = 0, dur = 0, len = forever;
  double length() const override { return len; }
  double value(double t) const override { return t >= at && t < at + dur ? peak : base; }
  std::string stage(double t) const override { return t >= at && t < at + dur ? "spike" : "base"; }
  void stages(double offset, double, std::vector<stage_span>& out) const override {
    out.push_back({"base", offset, offset + at, base, base});
    out.push_back({"spike", offset + at, offset + at + dur, peak, peak});
    if (len > at + dur) out.push_back({"base", offset + at + dur, offset + len, base, base});
  }
};

// ---------------------------------------------------------------------------------------------
// Parsing

base::error bad(const std::string& spec, const std::string& why) {
  return base::make_error("invalid shape '" + spec + "': " + why);
}

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::stringstream ss(s);
  while (std::getline(ss, cur, sep)) out.push_back(trim(cur));
  return out;
}

base::result<double> seconds_of(const std::string& spec, const std::string& what,
                                const std::string& text) {
  auto d = base::parse_duration(text);
  if (!d || d->count() <= 0)
    return bad(spec, what + " '" + text + "' is not a duration above zero (e.g. 15m, 2h, 7d)");
  return static_cast<double>(d->count()) / 1000.0;
}

base::result<double> level_of(const std::string& spec, const std::string& what,
                              const std::string& text) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(v))
    return bad(spec, what + " '" + text + "' is not a number");
  if (v < 0) return bad(spec, what + " " + text + " is negative");
  return v;
}

base::result<std::pair<double, double>> range_of(const std::string& spec, const std::string& what,
                                                 const std::string& text) {
  const auto dots = text.find("..");
  auto lo = seconds_of(spec, what, dots == std::string::npos ? text : text.substr(0, dots));
  if (!lo) return lo.err();
  auto hi = dots == std::string::npos ? lo : seconds_of(spec, what, text.substr(dots + 2));
  if (!hi) return hi.err();
  if (*hi < *lo) return bad(spec, what + " " + text + " goes backwards (min..max)");
  return std::pair{*lo, *hi};
}

// key=value,key=value with the keys allowed; every required key present.
base::result<std::map<std::string, std::string>> keys_of(const std::string& spec,
                                                         const std::string& body,
                                                         const std::vector<std::string>& required,
                                                         const std::vector<std::string>& optional) {
  std::map<std::string, std::string> kv;
  for (const auto& item : split(body, ',')) {
    if (item.empty()) continue;
    const auto eq = item.find('=');
    if (eq == std::string::npos) return bad(spec, "'" + item + "' is not key=value");
    const std::string k = trim(item.substr(0, eq)), v = trim(item.substr(eq + 1));
    const bool known = std::find(required.begin(), required.end(), k) != required.end() ||
                       std::find(optional.begin(), optional.end(), k) != optional.end();
    if (!known) {
      std::string all;
      for (const auto& x : required) all += (all.empty() ? "" : ", ") + x;
      for (const auto& x : optional) all += (all.empty() ? "" : ", ") + x;
      return bad(spec, "unknown key '" + k + "' (expected " + all + ")");
    }
    if (!kv.emplace(k, v).second) return bad(spec, "'" + k + "' given twice");
  }
  for (const auto& k : required)
    if (!kv.count(k)) return bad(spec, "'" + k + "=' is missing");
  return kv;
}

base::result<part_ptr> parse_part(const std::string& spec) {
  const auto colon = spec.find(':');
  const std::string kind = trim(spec.substr(0, colon));
  const std::string body = colon == std::string::npos ? "" : trim(spec.substr(colon + 1));
  if (kind == "steps" || kind == "ramp" || kind == "hold") {
    // LEVELS@DURATION
    const auto at = body.find('@');
    const std::string levels = trim(body.substr(0, at));
    if (levels.empty()) return bad(spec, "no levels (e.g. " + kind + (kind == "ramp" ? ":0..500@1h" : kind == "hold" ? ":200@1h" : ":100,200,400@15m") + ")");
    double each = forever;
    if (at != std::string::npos) {
      auto d = seconds_of(spec, "the duration", trim(body.substr(at + 1)));
      if (!d) return d.err();
      each = *d;
    } else if (kind != "hold") {
      return bad(spec, "no duration: add @DURATION (e.g. @15m)");
    }
    if (kind == "ramp") {
      const auto dots = levels.find("..");
      if (dots == std::string::npos) return bad(spec, "a ramp goes FROM..TO (e.g. ramp:0..500@1h)");
      auto a = level_of(spec, "the start", trim(levels.substr(0, dots)));
      if (!a) return a.err();
      auto b = level_of(spec, "the end", trim(levels.substr(dots + 2)));
      if (!b) return b.err();
      auto p = std::make_shared<ramp_part>();
      p->from = *a;
      p->to = *b;
      p->over = each;
      return part_ptr(p);
    }
    if (kind == "hold") {
      auto v = level_of(spec, "the level", levels);
      if (!v) return v.err();
      auto p = std::make_shared<hold_part>();
      p->level = *v;
      p->len = each;
      return part_ptr(p);
    }
    auto p = std::make_shared<steps_part>();
    for (const auto& l : split(levels, ',')) {
      auto v = level_of(spec, "the level", l);
      if (!v) return v.err();
      p->levels.push_back(*v);
    }
    p->each = each;
    return part_ptr(p);
  }
  if (kind == "diurnal") {
    auto kv = keys_of(spec, body, {"min", "max"}, {"period", "for"});
    if (!kv) return kv.err();
    auto p = std::make_shared<diurnal_part>();
    auto mn = level_of(spec, "min", (*kv)["min"]);
    if (!mn) return mn.err();
    auto mx = level_of(spec, "max", (*kv)["max"]);
    if (!mx) return mx.err();
    if (*mx < *mn) return bad(spec, "max " + (*kv)["max"] + " is below min " + (*kv)["min"]);
    p->min = *mn;
    p->max = *mx;
    if (kv->count("period")) {
      auto d = seconds_of(spec, "the period", (*kv)["period"]);
      if (!d) return d.err();
      p->period = *d;
    }
    if (kv->count("for")) {
      auto d = seconds_of(spec, "for", (*kv)["for"]);
      if (!d) return d.err();
      p->len = *d;
    }
    return part_ptr(p);
  }
  if (kind == "bursts") {
    auto kv = keys_of(spec, body, {"base", "peak", "every", "for"}, {"seed", "length"});
    if (!kv) return kv.err();
    auto p = std::make_shared<bursts_part>();
    auto b = level_of(spec, "base", (*kv)["base"]);
    if (!b) return b.err();
    auto pk = level_of(spec, "peak", (*kv)["peak"]);
    if (!pk) return pk.err();
    auto every = range_of(spec, "every", (*kv)["every"]);
    if (!every) return every.err();
    auto dur = range_of(spec, "for", (*kv)["for"]);
    if (!dur) return dur.err();
    p->base = *b;
    p->peak = *pk;
    std::tie(p->gap_lo, p->gap_hi) = *every;
    std::tie(p->for_lo, p->for_hi) = *dur;
    if (kv->count("seed")) {
      const std::string& sd = (*kv)["seed"];
      if (sd.empty() || !std::all_of(sd.begin(), sd.end(), ::isdigit) || sd.size() > 18)
        return bad(spec, "seed '" + sd + "' is not a whole number");
      p->seed = std::stoull(sd);
    }
    if (kv->count("length")) {
      auto d = seconds_of(spec, "length", (*kv)["length"]);
      if (!d) return d.err();
      p->len = *d;
    }
    return part_ptr(p);
  }
  if (kind == "spike") {
    auto kv = keys_of(spec, body, {"base", "peak", "at", "for"}, {"length"});
    if (!kv) return kv.err();
    auto p = std::make_shared<spike_part>();
    auto b = level_of(spec, "base", (*kv)["base"]);
    if (!b) return b.err();
    auto pk = level_of(spec, "peak", (*kv)["peak"]);
    if (!pk) return pk.err();
    auto at = base::parse_duration((*kv)["at"]);
    if (!at) return bad(spec, "at '" + (*kv)["at"] + "' is not a duration (e.g. 3h)");
    auto dur = seconds_of(spec, "for", (*kv)["for"]);
    if (!dur) return dur.err();
    p->base = *b;
    p->peak = *pk;
    p->at = static_cast<double>(at->count()) / 1000.0;
    p->dur = *dur;
    if (kv->count("length")) {
      auto d = seconds_of(spec, "length", (*kv)["length"]);
      if (!d) return d.err();
      if (*d < p->at + p->dur) return bad(spec, "length " + (*kv)["length"] + " ends before the spike does");
      p->len = *d;
    }
    return part_ptr(p);
  }
  if (kind == "quiet") {
    auto kv = keys_of(spec, body, {"for"}, {"level"});
    if (!kv) return kv.err();
    auto p = std::make_shared<hold_part>();
    p->name = "quiet";
    auto d = seconds_of(spec, "for", (*kv)["for"]);
    if (!d) return d.err();
    p->len = *d;
    if (kv->count("level")) {
      auto v = level_of(spec, "level", (*kv)["level"]);
      if (!v) return v.err();
      p->level = *v;
    }
    return part_ptr(p);
  }
  return base::make_error("invalid shape '" + spec +
                          "': unknown kind '" + kind +
                          "' (expected steps, ramp, hold, diurnal, bursts, spike, quiet or repeat)");
}

base::result<shape> check_chain(shape s, const std::string& what) {
  if (s.parts.empty()) return base::make_error(what + ": no stages");
  for (size_t i = 0; i + 1 < s.parts.size(); ++i)
    if (s.parts[i]->length() == forever)
      return base::make_error(what + ": part " + std::to_string(i + 1) +
                              " lasts forever, so the parts after it would never run (give it a "
                              "length: for=, length= or @DURATION)");
  double chain = 0;
  for (const auto& p : s.parts) chain += p->length();
  if (s.repeat && chain == forever)
    return base::make_error(what + ": 'repeat' needs every part to have a length");
  return s;
}

std::string fmt_time(double s) {
  if (s == forever) return "end";
  return base::format_duration(std::chrono::milliseconds(static_cast<int64_t>(std::llround(s * 1000))));
}

std::string fmt_level(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// shape

double shape::length() const {
  if (repeat) return forever;
  double n = 0;
  for (const auto& p : parts) n += p->length();
  return n;
}

namespace {
// The part holding t and t in its own time; nullptr past the end.
const shape::part* locate(const shape& s, double& t) {
  double chain = 0;
  for (const auto& p : s.parts) chain += p->length();
  if (s.repeat && chain > 0 && chain != forever) t = std::fmod(t, chain);
  for (const auto& p : s.parts) {
    if (t < p->length()) return p.get();
    t -= p->length();
  }
  return nullptr;
}
}  // namespace

std::optional<double> shape::value(double t) const {
  const part* p = locate(*this, t);
  if (!p) return std::nullopt;
  return p->value(t);
}

std::string shape::stage(double t) const {
  const part* p = locate(*this, t);
  return p ? p->stage(t) : std::string();
}

std::vector<stage_span> shape::stages(double horizon) const {
  std::vector<stage_span> out;
  double offset = 0;
  double chain = 0;
  for (const auto& p : parts) chain += p->length();
  do {
    for (const auto& p : parts) {
      if (offset >= horizon) return out;
      p->stages(offset, horizon - offset, out);
      offset += p->length();
    }
  } while (repeat && chain > 0 && offset < horizon && out.size() < 1000);
  return out;
}

std::string shape::describe(double horizon, const std::string& unit) const {
  std::string out;
  size_t shown = 0;
  const auto all = stages(horizon);
  for (const auto& st : all) {
    if (++shown > 50) {
      out += "  ... and " + std::to_string(all.size() - 50) + " more stages\n";
      break;
    }
    out += "  " + fmt_time(st.start_s) + "-" + fmt_time(st.end_s) + ": " + st.name + ", " +
           (st.from == st.to ? fmt_level(st.from) : fmt_level(st.from) + " to " + fmt_level(st.to)) +
           " " + unit + "\n";
  }
  if (length() != forever) out += "  then the shape ends, and the test with it\n";
  else if (repeat) out += "  and again, until the run time ends\n";
  return out;
}

base::result<shape> parse(const std::vector<std::string>& specs) {
  shape s;
  for (size_t i = 0; i < specs.size(); ++i) {
    const std::string spec = trim(specs[i]);
    if (spec == "repeat") {
      if (i + 1 != specs.size()) return base::make_error("--shape repeat must come last");
      s.repeat = true;
      continue;
    }
    auto p = parse_part(spec);
    if (!p) return p.err();
    s.parts.push_back(*p);
  }
  return check_chain(std::move(s), "--shape");
}

base::result<shape> parse_rate(const std::string& spec_in) {
  const std::string spec = trim(spec_in);
  auto rate_of = [&](const std::string& text) -> base::result<double> {
    auto r = base::parse_rate(text);
    if (!r) return base::make_error("invalid arrival rate '" + spec + "': " + r.err().message);
    return *r;
  };
  shape s;
  if (spec.starts_with("ramp:")) {
    // ramp:FROM..TO:DURATION
    const std::string body = spec.substr(5);
    const auto dots = body.find("..");
    const auto colon = body.rfind(':');
    if (dots == std::string::npos || colon == std::string::npos || colon < dots)
      return base::make_error("invalid arrival rate '" + spec +
                              "': a ramp is ramp:FROM..TO:DURATION (e.g. ramp:0/s..500/s:1h)");
    auto a = rate_of(body.substr(0, dots));
    if (!a) return a.err();
    auto b = rate_of(body.substr(dots + 2, colon - dots - 2));
    if (!b) return b.err();
    auto d = base::parse_duration(trim(body.substr(colon + 1)));
    if (!d || d->count() <= 0)
      return base::make_error("invalid arrival rate '" + spec + "': '" + body.substr(colon + 1) +
                              "' is not a duration above zero");
    auto r = std::make_shared<ramp_part>();
    r->from = *a;
    r->to = *b;
    r->over = static_cast<double>(d->count()) / 1000.0;
    auto h = std::make_shared<hold_part>();
    h->name = "steady";
    h->level = *b;
    s.parts = {r, h};
    return s;
  }
  auto v = rate_of(spec);
  if (!v) return v.err();
  if (*v <= 0) return base::make_error("invalid arrival rate '" + spec + "': it must be above zero");
  auto h = std::make_shared<hold_part>();
  h->name = "steady";
  h->level = *v;
  s.parts = {h};
  return s;
}

base::result<std::pair<int64_t, int64_t>> parse_range_ms(const std::string& spec) {
  const auto dots = spec.find("..");
  auto lo = base::parse_duration(trim(spec.substr(0, dots)));
  auto hi = dots == std::string::npos ? lo : base::parse_duration(trim(spec.substr(dots + 2)));
  if (!lo || !hi || lo->count() <= 0 || hi->count() <= 0)
    return base::make_error("invalid range '" + spec + "': expected MIN..MAX durations, e.g. 20m..60m");
  if (*hi < *lo) return base::make_error("invalid range '" + spec + "': MIN is above MAX");
  return std::pair{static_cast<int64_t>(lo->count()), static_cast<int64_t>(hi->count())};
}

// ---------------------------------------------------------------------------------------------
// Stage files

base::result<shape> parse_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return base::make_error("cannot read shape file '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_file_text(ss.str(), path);
}

base::result<shape> parse_file_text(const std::string& text, const std::string& name) {
  struct file_stage {
    int line = 0;
    std::optional<double> at, duration, level;
  };
  std::vector<file_stage> stages;
  bool in_stages = false, repeat = false, rates = false, users = false;
  std::stringstream ss(text);
  std::string raw;
  int lineno = 0;
  auto err = [&](const std::string& why) {
    return base::make_error(name + ":" + std::to_string(lineno) + ": " + why);
  };
  while (std::getline(ss, raw)) {
    ++lineno;
    std::string line = raw.substr(0, raw.find('#'));
    if (trim(line).empty()) continue;
    const bool indented = line[0] == ' ' || line[0] == '\t';
    std::string t = trim(line);
    if (!indented) {
      in_stages = false;
      if (t == "stages:") {
        in_stages = true;
        continue;
      }
      if (t.starts_with("repeat:")) {
        const std::string v = trim(t.substr(7));
        if (v != "true" && v != "false") return err("repeat: expects true or false, not '" + v + "'");
        repeat = v == "true";
        continue;
      }
      return err("expected 'stages:' or 'repeat:', got '" + t + "'");
    }
    if (!in_stages) return err("an indented line outside 'stages:'");
    if (t.starts_with("- ")) {
      stages.push_back({lineno, {}, {}, {}});
      t = trim(t.substr(2));
    } else if (stages.empty()) {
      return err("a stage starts with '- '");
    }
    const auto colon = t.find(':');
    if (colon == std::string::npos) return err("expected 'key: value', got '" + t + "'");
    const std::string k = trim(t.substr(0, colon)), v = trim(t.substr(colon + 1));
    auto& st = stages.back();
    if (k == "duration" || k == "at") {
      auto d = base::parse_duration(v);
      if (!d || (k == "duration" && d->count() <= 0))
        return err(k + ": '" + v + "' is not a duration" + (k == "duration" ? " above zero" : ""));
      (k == "at" ? st.at : st.duration) = static_cast<double>(d->count()) / 1000.0;
    } else if (k == "users" || k == "level") {
      users = true;
      char* end = nullptr;
      const double x = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0' || !std::isfinite(x)) return err(k + ": '" + v + "' is not a number");
      if (x < 0) return err(k + ": " + v + " is negative");
      st.level = x;
    } else if (k == "rate") {
      rates = true;
      auto r = parse_rate(v);
      if (!r) return err("rate: " + r.err().message);
      st.level = r->value(0).value_or(0);
    } else if (k == "spawn_rate") {
      // Accepted for Locust-style stage lists; the run's --spawn-rate applies.
    } else {
      return err("unknown key '" + k + "' (expected duration, at, users, level, rate)");
    }
  }
  if (stages.empty()) return base::make_error(name + ": no stages (a 'stages:' list of '- duration: ...' items)");
  if (rates && users) return base::make_error(name + ": stages give users and rates: use one (users: closed model, rate: open model)");
  shape s;
  double end = 0;
  for (size_t i = 0; i < stages.size(); ++i) {
    const auto& st = stages[i];
    lineno = st.line;
    if (!st.duration) return err("stage " + std::to_string(i + 1) + " has no duration");
    if (!st.level) return err("stage " + std::to_string(i + 1) + " has no users, level or rate");
    if (st.at) {
      if (*st.at < end - 1e-9)
        return err("stage " + std::to_string(i + 1) + " at " + fmt_time(*st.at) + " overlaps stage " +
                   std::to_string(i) + " (which ends at " + fmt_time(end) + ")");
      if (*st.at > end + 1e-9) {
        // A gap between stages holds no users.
        auto gap = std::make_shared<hold_part>();
        gap->name = "gap";
        gap->level = 0;
        gap->len = *st.at - end;
        s.parts.push_back(gap);
        end = *st.at;
      }
    }
    auto h = std::make_shared<hold_part>();
    h->name = "stage " + std::to_string(i + 1);
    h->level = *st.level;
    h->len = *st.duration;
    s.parts.push_back(h);
    end += *st.duration;
  }
  s.repeat = repeat;
  s.rates = rates;
  return check_chain(std::move(s), name);
}

}  // namespace endure::shapes
