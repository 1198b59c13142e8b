// shapes: load over time, built in: steps, a diurnal wave, random bursts with quiet periods, a
// spike, a ramp, quiet periods, chained and repeated; from --shape specs, a stage file, or an
// arrival-rate spec. A shape gives a level (users in the closed model, arrivals per second in the
// open model) and a stage name at any moment of a test. Pure: no clocks, no I/O except reading a
// stage file in parse_file().
#pragma once
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace endure::shapes {

inline constexpr double forever = std::numeric_limits<double>::infinity();

// One stretch of a shape as listed at the start of a test.
struct stage_span {
  std::string name;      // "steps 2/3", "burst 4", "quiet", "diurnal"
  double start_s = 0, end_s = forever;
  double from = 0, to = 0;  // the level at its start and at its end (equal for a flat stage)
};

class shape {
 public:
  // The level at run time t (seconds; users or arrivals per second); nullopt once the shape has
  // ended (the test ends, as with Locust's LoadTestShape returning None).
  std::optional<double> value(double t) const;
  // The stage at run time t ("" past the end).
  std::string stage(double t) const;
  // The stages that start before `horizon` (seconds), for the log at the start of a test.
  std::vector<stage_span> stages(double horizon) const;
  // The shape's length in seconds (forever unless every part is finite and none repeats).
  double length() const;
  // One line per stage, e.g. "0s-15m: steps 1/3, 100"; `unit` follows each level ("users").
  std::string describe(double horizon, const std::string& unit) const;

  struct part;  // implementation: one component of the chain
  std::vector<std::shared_ptr<const part>> parts;
  bool repeat = false;
  bool rates = false;  // a stage file gave arrival rates ("rate:"), not users
};

// --shape specs, in the order given: each one a component that follows the previous one; the
// word "repeat" as the last spec loops the chain. Components:
//   steps:100,200,400@15m                               levels, each for 15m
//   ramp:0..500@1h                                      a straight line from 0 to 500 over 1h
//   diurnal:min=50,max=500,period=24h[,for=7d]          a day's wave, starting at min
//   bursts:base=100,peak=800,every=30m..2h,for=2m..10m,seed=7[,length=7d]
//                                                      base, and peak for a random 2m..10m after
//                                                      random gaps of 30m..2h (reproducible)
//   spike:base=100,peak=1000,at=3h,for=5m[,length=6h]   base, peak for 5m from 3h
//   quiet:for=30m[,level=0]                             a low-activity period
//   hold:200@1h                                         one level for 1h (or forever: hold:200)
// Errors name the spec and what is wrong: one line, for exit code 2.
base::result<shape> parse(const std::vector<std::string>& specs);

// A stage file (--shape-file): a YAML subset.
//   stages:
//     - duration: 15m      # each stage follows the previous one ...
//       users: 100         # ... or "level:"; "rate: 200/s" in the open model
//     - at: 1h             # ... or starts at a time of its own (stages must not overlap)
//       duration: 10m
//       users: 400
//   repeat: true           # optional
base::result<shape> parse_file(const std::string& path);
base::result<shape> parse_file_text(const std::string& text, const std::string& name);

// An arrival rate: "200/s", "12000/m", "30/h", "200" (per second), or a ramp
// "ramp:0/s..500/s:1h" (then it stays at the end rate). Returns a shape of arrivals per second.
base::result<shape> parse_rate(const std::string& spec);

// A duration range "20m..60m" (or one duration "30m"), in milliseconds, min <= max.
base::result<std::pair<int64_t, int64_t>> parse_range_ms(const std::string& spec);

}  // namespace endure::shapes
