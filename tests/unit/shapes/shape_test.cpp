// Built-in load shapes, arrival-rate specs and stage files: levels over time, stage names, the
// listing at start, reproducible bursts, and one clear error for every malformed input.
#include "shapes/shape.hpp"

#include <gtest/gtest.h>

using namespace endure::shapes;

namespace {

shape parsed(const std::vector<std::string>& specs) {
  auto s = parse(specs);
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.err().message);
  return s.ok() ? *s : shape{};
}

std::string error_of(const std::vector<std::string>& specs) {
  auto s = parse(specs);
  EXPECT_FALSE(s.ok());
  return s.ok() ? "" : s.err().message;
}

double at(const shape& s, double t) { return s.value(t).value_or(-1); }

}  // namespace

TEST(shapes, steps_hold_each_level_then_end) {
  auto s = parsed({"steps:100,200,400@15m"});
  EXPECT_EQ(at(s, 0), 100);
  EXPECT_EQ(at(s, 899), 100);
  EXPECT_EQ(at(s, 900), 200);
  EXPECT_EQ(at(s, 2699), 400);
  EXPECT_FALSE(s.value(2700).has_value()) << "the shape ends after its last stage";
  EXPECT_EQ(s.stage(1000), "steps 2/3");
  EXPECT_DOUBLE_EQ(s.length(), 2700);
  EXPECT_EQ(s.describe(1e9, "users"),
            "  0s-15m: steps 1/3, 100 users\n  15m-30m: steps 2/3, 200 users\n"
            "  30m-45m: steps 3/3, 400 users\n  then the shape ends, and the test with it\n");
}

TEST(shapes, a_diurnal_wave_starts_at_min_and_peaks_half_a_period_later) {
  auto s = parsed({"diurnal:min=50,max=500,period=24h"});
  EXPECT_NEAR(at(s, 0), 50, 1e-9);
  EXPECT_NEAR(at(s, 6 * 3600), 275, 1e-9);
  EXPECT_NEAR(at(s, 12 * 3600), 500, 1e-9);
  EXPECT_NEAR(at(s, 24 * 3600), 50, 1e-9);
  EXPECT_NEAR(at(s, 7 * 86400 + 12 * 3600), 500, 1e-6) << "forever by default";
  EXPECT_EQ(s.stage(3600), "diurnal rising");
  EXPECT_EQ(s.stage(13 * 3600), "diurnal falling");
}

TEST(shapes, bursts_are_reproducible_with_a_seed_and_within_their_ranges) {
  auto a = parsed({"bursts:base=100,peak=800,every=30m..2h,for=2m..10m,seed=7"});
  auto b = parsed({"bursts:base=100,peak=800,every=30m..2h,for=2m..10m,seed=7"});
  auto c = parsed({"bursts:base=100,peak=800,every=30m..2h,for=2m..10m,seed=8"});
  int peaks = 0, differ = 0;
  for (double t = 0; t < 7 * 86400; t += 30) {
    EXPECT_EQ(at(a, t), at(b, t)) << t;
    if (at(a, t) == 800) ++peaks;
    if (at(a, t) != at(c, t)) ++differ;
    EXPECT_TRUE(at(a, t) == 100 || at(a, t) == 800);
  }
  EXPECT_GT(differ, 0) << "another seed, other bursts";
  const auto st = a.stages(7 * 86400);
  int bursts = 0;
  for (const auto& x : st) {
    if (x.name.starts_with("burst")) {
      ++bursts;
      EXPECT_GE(x.end_s - x.start_s, 120 - 1e-6);
      EXPECT_LE(x.end_s - x.start_s, 600 + 1e-6);
    }
  }
  // A week of gaps of 30m..2h plus bursts of 2m..10m: between ~70 and ~330 bursts.
  EXPECT_GT(bursts, 60);
  EXPECT_LT(bursts, 340);
  EXPECT_GT(peaks, 0);
  for (size_t i = 1; i < st.size(); ++i) EXPECT_DOUBLE_EQ(st[i].start_s, st[i - 1].end_s) << i;
}

TEST(shapes, a_spike_and_quiet_periods_chain_and_repeat) {
  auto s = parsed({"spike:base=100,peak=1000,at=3h,for=5m,length=4h", "quiet:for=30m,level=10", "repeat"});
  EXPECT_EQ(at(s, 0), 100);
  EXPECT_EQ(at(s, 3 * 3600 + 60), 1000);
  EXPECT_EQ(at(s, 3 * 3600 + 301), 100);
  EXPECT_EQ(at(s, 4 * 3600 + 60), 10);
  EXPECT_EQ(s.stage(4 * 3600 + 60), "quiet");
  EXPECT_EQ(at(s, 4.5 * 3600 + 3 * 3600 + 60), 1000) << "the chain repeats";
  EXPECT_EQ(s.length(), forever);
  auto r = parsed({"ramp:0..500@1h", "hold:500"});
  EXPECT_NEAR(at(r, 1800), 250, 1e-9);
  EXPECT_EQ(at(r, 86400), 500);
}

TEST(shapes, every_malformed_spec_gets_one_line_naming_the_fault) {
  EXPECT_EQ(error_of({"steps:"}), "invalid shape 'steps:': no levels (e.g. steps:100,200,400@15m)");
  EXPECT_EQ(error_of({"steps:100,200"}), "invalid shape 'steps:100,200': no duration: add @DURATION (e.g. @15m)");
  EXPECT_EQ(error_of({"steps:100,x@1m"}), "invalid shape 'steps:100,x@1m': the level 'x' is not a number");
  EXPECT_EQ(error_of({"spike:base=100,peak=-5,at=3h,for=5m"}),
            "invalid shape 'spike:base=100,peak=-5,at=3h,for=5m': peak -5 is negative");
  EXPECT_EQ(error_of({"diurnal:min=500,max=50"}), "invalid shape 'diurnal:min=500,max=50': max 50 is below min 500");
  EXPECT_EQ(error_of({"diurnal:min=5"}), "invalid shape 'diurnal:min=5': 'max=' is missing");
  EXPECT_EQ(error_of({"bursts:base=1,peak=2,every=2h..30m,for=1m"}),
            "invalid shape 'bursts:base=1,peak=2,every=2h..30m,for=1m': every 2h..30m goes backwards (min..max)");
  EXPECT_EQ(error_of({"quiet:for=10x"}),
            "invalid shape 'quiet:for=10x': for '10x' is not a duration above zero (e.g. 15m, 2h, 7d)");
  EXPECT_EQ(error_of({"wave:1"}),
            "invalid shape 'wave:1': unknown kind 'wave' (expected steps, ramp, hold, diurnal, bursts, spike, quiet or repeat)");
  EXPECT_EQ(error_of({"diurnal:min=1,max=2", "hold:3@1m"}),
            "--shape: part 1 lasts forever, so the parts after it would never run (give it a length: for=, length= or @DURATION)");
  EXPECT_EQ(error_of({"repeat", "hold:3@1m"}), "--shape repeat must come last");
  EXPECT_EQ(error_of({"diurnal:min=1,max=2", "repeat"}), "--shape: 'repeat' needs every part to have a length");
  EXPECT_EQ(error_of({"spike:base=1,peak=2,at=1h,for=5m,colour=red"}),
            "invalid shape 'spike:base=1,peak=2,at=1h,for=5m,colour=red': unknown key 'colour' (expected base, peak, at, for, length)");
}

TEST(shapes, arrival_rates_and_ramps) {
  EXPECT_DOUBLE_EQ(parse_rate("200/s")->value(0).value(), 200);
  EXPECT_DOUBLE_EQ(parse_rate("12000/m")->value(5).value(), 200);
  EXPECT_DOUBLE_EQ(parse_rate("36/h")->value(5).value(), 0.01);
  EXPECT_DOUBLE_EQ(parse_rate("250")->value(5).value(), 250);
  auto r = parse_rate("ramp:0/s..500/s:1h");
  ASSERT_TRUE(r.ok());
  EXPECT_DOUBLE_EQ(r->value(1800).value(), 250);
  EXPECT_DOUBLE_EQ(r->value(7 * 86400).value(), 500) << "holds the end rate";
  EXPECT_EQ(parse_rate("200/x").err().message, "invalid arrival rate '200/x': unit '/x' (expected /s, /m or /h)");
  EXPECT_EQ(parse_rate("fast").err().message,
            "invalid arrival rate 'fast': 'fast' is not a rate (e.g. 200/s, 12000/m, 30/h)");
  EXPECT_EQ(parse_rate("0/s").err().message, "invalid arrival rate '0/s': it must be above zero");
  EXPECT_EQ(parse_rate("ramp:0/s-500/s:1h").err().message,
            "invalid arrival rate 'ramp:0/s-500/s:1h': a ramp is ramp:FROM..TO:DURATION (e.g. ramp:0/s..500/s:1h)");
  auto range = parse_range_ms("20m..60m");
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(range->first, 1'200'000);
  EXPECT_EQ(range->second, 3'600'000);
  EXPECT_EQ(parse_range_ms("60m..20m").err().message, "invalid range '60m..20m': MIN is above MAX");
}

TEST(shapes, stage_files_run_in_order_fill_gaps_and_refuse_overlaps) {
  auto s = parse_file_text(
      "# a soak in three stages\n"
      "stages:\n"
      "  - duration: 15m\n"
      "    users: 100\n"
      "  - duration: 15m   # then more\n"
      "    users: 300\n"
      "  - at: 1h\n"
      "    duration: 10m\n"
      "    users: 50\n"
      "repeat: false\n",
      "shape.yaml");
  ASSERT_TRUE(s.ok()) << s.err().message;
  EXPECT_EQ(at(*s, 0), 100);
  EXPECT_EQ(at(*s, 1000), 300);
  EXPECT_EQ(at(*s, 2000), 0) << "the gap before the stage at 1h";
  EXPECT_EQ(at(*s, 3700), 50);
  EXPECT_EQ(s->stage(3700), "stage 3");
  EXPECT_FALSE(s->value(4300).has_value());
  auto overlap = parse_file_text("stages:\n  - duration: 30m\n    users: 1\n  - at: 20m\n    duration: 5m\n    users: 2\n",
                                 "o.yaml");
  ASSERT_FALSE(overlap.ok());
  EXPECT_EQ(overlap.err().message, "o.yaml:4: stage 2 at 20m overlaps stage 1 (which ends at 30m)");
  EXPECT_EQ(parse_file_text("stages:\n  - users: 1\n", "f.yaml").err().message, "f.yaml:2: stage 1 has no duration");
  EXPECT_EQ(parse_file_text("stages:\n  - duration: 5m\n    users: -1\n", "f.yaml").err().message,
            "f.yaml:3: users: -1 is negative");
  EXPECT_EQ(parse_file_text("levels:\n", "f.yaml").err().message, "f.yaml:1: expected 'stages:' or 'repeat:', got 'levels:'");
  EXPECT_EQ(parse_file_text("", "f.yaml").err().message,
            "f.yaml: no stages (a 'stages:' list of '- duration: ...' items)");
  EXPECT_EQ(parse_file("/nonexistent/shape.yaml").err().message, "cannot read shape file '/nonexistent/shape.yaml'");
  auto rates = parse_file_text("stages:\n  - duration: 1h\n    rate: 120/m\n", "r.yaml");
  ASSERT_TRUE(rates.ok());
  EXPECT_DOUBLE_EQ(at(*rates, 10), 2);
}
