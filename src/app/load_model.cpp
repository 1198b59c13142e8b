#include "app/load_model.hpp"

#include <cmath>
#include <cstdio>
#include <memory>

#include "shapes/shape.hpp"

namespace endure::app {

namespace {

// " + " chains shape specs (a spec itself never holds a '+').
std::vector<std::string> chain_of(const std::string& text) {
  std::vector<std::string> out;
  size_t at = 0;
  while (true) {
    const auto plus = text.find('+', at);
    out.push_back(text.substr(at, plus == std::string::npos ? std::string::npos : plus - at));
    if (plus == std::string::npos) break;
    at = plus + 1;
  }
  return out;
}

std::string fmt_rate_of(double r) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", r);
  return buf;
}

bool looks_like_shape(const std::string& spec) {
  for (const char* kind : {"steps:", "diurnal:", "bursts:", "spike:", "quiet:", "hold:"})
    if (spec.find(kind) != std::string::npos) return true;
  return spec.find('+') != std::string::npos;
}

}  // namespace

base::result<load_model_info> apply_load_model(const cli::options& o, bool locustfile_has_shape,
                                               const std::vector<engine::user_class>& classes,
                                               engine::test_plan& plan) {
  load_model_info info;
  const double horizon = o.run_time ? static_cast<double>(o.run_time->count()) / 1000.0 : 7 * 86400.0;

  // A built-in shape, from --shape or --shape-file.
  std::shared_ptr<const shapes::shape> user_shape;
  if (!o.shape.empty() && !o.shape_file.empty())
    return base::make_error("--shape and --shape-file both give a load shape: use one");
  if (!o.shape.empty() || !o.shape_file.empty()) {
    if (locustfile_has_shape)
      return base::make_error("the locustfile has a load shape class and " +
                              std::string(o.shape.empty() ? "--shape-file" : "--shape") +
                              " gives another: use one");
    auto s = o.shape.empty() ? shapes::parse_file(o.shape_file) : shapes::parse(chain_of(o.shape));
    if (!s) return s.err();
    user_shape = std::make_shared<const shapes::shape>(std::move(*s));
  }

  // The open model: --arrival-rate (a rate, a ramp, or a shape of rates), or a stage file of rates.
  std::shared_ptr<const shapes::shape> rate_shape;
  if (!o.arrival_rate.empty()) {
    if (user_shape && !user_shape->rates)
      return base::make_error("--arrival-rate and --shape both set the load: the shape of an arrival "
                              "rate goes into --arrival-rate itself, e.g. --arrival-rate "
                              "'diurnal:min=50,max=500,period=24h' (levels are arrivals per second)");
    auto r = looks_like_shape(o.arrival_rate) ? shapes::parse(chain_of(o.arrival_rate))
                                              : shapes::parse_rate(o.arrival_rate);
    if (!r) return r.err();
    rate_shape = std::make_shared<const shapes::shape>(std::move(*r));
  } else if (user_shape && user_shape->rates) {
    rate_shape = user_shape;
  }
  // Classes with an arrival rate of their own (the locustfile's) put the run in the open model
  // too; without --arrival-rate the others get no arrivals (said at start).
  bool class_rates = false;
  for (const auto& c : classes) class_rates = class_rates || c.arrival_rate.has_value();
  if (class_rates && !rate_shape) {
    if (locustfile_has_shape)
      return base::make_error("the locustfile has a load shape class (users) and classes with an "
                              "arrival_rate (the open model): use one");
    if (user_shape)
      return base::make_error("--shape sets users, and the locustfile's classes have an arrival_rate "
                              "(the open model): give the shape of a rate in --arrival-rate, or remove "
                              "the classes' arrival_rate");
    for (const auto& c : classes)
      if (!c.arrival_rate)
        info.listing += "Class " + c.name + " has no arrival_rate and --arrival-rate is not set: it "
                        "gets no arrivals\n";
  }
  if (rate_shape || class_rates) {
    if (locustfile_has_shape)
      return base::make_error("the locustfile has a load shape class (users): it cannot drive the "
                              "open model's arrival rate; remove --arrival-rate or the shape class");
    engine::arrival_plan a;
    // Without a rate shape only the classes' own rates run (the shared rate is 0).
    a.rate = [rate_shape](double t) { return rate_shape ? rate_shape->value(t).value_or(0.0) : 0.0; };
    a.stage = [rate_shape](double t) { return rate_shape ? rate_shape->stage(t) : std::string(); };
    a.poisson = o.poisson;
    a.max_users = o.max_users;
    a.class_rates.assign(classes.size(), std::nullopt);
    for (size_t i = 0; i < classes.size(); ++i) {
      a.class_rates[i] = classes[i].arrival_rate;
      if (classes[i].arrival_rate)
        info.listing += "Class " + classes[i].name + ": its own " + fmt_rate_of(*classes[i].arrival_rate) +
                        " arrivals/s (arrival_rate)\n";
    }
    plan.arrivals = std::move(a);
    if (rate_shape && rate_shape->length() != shapes::forever && (!o.run_time || static_cast<double>(o.run_time->count()) / 1000.0 > rate_shape->length())) {
      // The rate's shape ends before the run time: the test ends with it.
      plan.run_time = std::chrono::milliseconds(static_cast<int64_t>(rate_shape->length() * 1000));
    }
    if (rate_shape && (rate_shape->parts.size() > 1 || rate_shape->stage(0) != "steady"))
      info.listing += "Arrival rate (arrivals per second):\n" + rate_shape->describe(horizon, "/s");
    info.open_model = true;
  } else if (user_shape) {
    const double spawn_rate = o.spawn_rate;
    plan.shape = [user_shape, spawn_rate](double t, uint64_t) -> std::optional<engine::shape_tick> {
      auto v = user_shape->value(t);
      if (!v) return std::nullopt;
      return engine::shape_tick{static_cast<uint64_t>(std::llround(*v)), spawn_rate, {},
                                user_shape->stage(t)};
    };
    info.listing = "Load shape (users):\n" + user_shape->describe(horizon, "users");
  }

  if (!o.session_length.empty()) {
    auto r = shapes::parse_range_ms(o.session_length);
    if (!r) return base::make_error("--session-length: " + r.err().message);
    plan.session_min = std::chrono::milliseconds(r->first);
    plan.session_max = std::chrono::milliseconds(r->second);
  }
  return info;
}

}  // namespace endure::app
