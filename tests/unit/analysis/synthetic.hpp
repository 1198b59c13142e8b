// Synthetic series with a known truth for the verdict tests: AR(1) noise with normal or heavy
// (Student t) innovations, daily shapes, planted trends and steps, at one point per minute.
#pragma once
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "analysis/series.hpp"
#include "base/rng.hpp"

namespace endure::analysis::synthetic {

inline double normal(base::rng& r) {
  // Box-Muller: two uniforms, one normal (the second is thrown away for simplicity).
  double u1 = r.uniform();
  while (u1 <= 1e-300) u1 = r.uniform();
  const double u2 = r.uniform();
  return std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2);
}

// Student t with df degrees of freedom, scaled to unit variance (df > 2): heavy tails.
inline double student(base::rng& r, int df) {
  double chi2 = 0;
  for (int i = 0; i < df; ++i) {
    const double z = normal(r);
    chi2 += z * z;
  }
  const double t = normal(r) / std::sqrt(chi2 / df);
  return t / std::sqrt(static_cast<double>(df) / (df - 2));
}

// AR(1) with stationary standard deviation sd: x_i = phi x_{i-1} + e_i, started stationary.
inline std::vector<double> ar1(base::rng& r, size_t n, double phi, double sd, int df = 0) {
  std::vector<double> x(n);
  const double innovation = sd * std::sqrt(1 - phi * phi);
  double v = sd * normal(r);
  for (size_t i = 0; i < n; ++i) {
    v = phi * v + innovation * (df > 0 ? student(r, df) : normal(r));
    x[i] = v;
  }
  return x;
}

// A run of one series, one window per `step_s` seconds, constant users, no saturation.
inline run_series one_series(const std::vector<double>& values, double step_s, series_kind kind,
                             unit u, bad_direction bad = bad_direction::up,
                             double start_wall_s = 1'700'000'000) {
  run_series run;
  run.start_wall_s = start_wall_s;
  run.interval_s = step_s;
  for (size_t i = 0; i < values.size(); ++i) {
    run.t_s.push_back((static_cast<double>(i) + 0.5) * step_s);
    run.width_s.push_back(step_s);
    run.users_mean.push_back(100);
    run.users_min.push_back(100);
    run.users_max.push_back(100);
    run.saturated.push_back(0);
  }
  series s;
  s.key = s.label = "synthetic";
  s.kind = kind;
  s.u = u;
  s.bad = bad;
  s.metric = "synthetic";
  s.values = values;
  run.all.push_back(s);
  return run;
}

// Poisson counts (Knuth's product of uniforms for small means, a normal approximation above).
inline double poisson(base::rng& r, double mean) {
  if (mean > 50) return std::max(0.0, std::round(mean + std::sqrt(mean) * normal(r)));
  const double limit = std::exp(-mean);
  double p = 1;
  int k = -1;
  do {
    ++k;
    p *= r.uniform();
  } while (p > limit);
  return k;
}

// Kinds of stable 7-day series at one point a minute, each with the autocorrelation and tails
// its kind shows in practice, and a planted trend (per hour) when `per_hour` is not 0.
enum class kind {
  latency_p95,
  latency_p99_wander,
  fail_ratio,
  throughput_daily,
  rss_sawtooth,
  fds
};
inline const char* name_of(kind k) {
  switch (k) {
    case kind::latency_p95: return "latency p95 (AR(1) 0.97, t3, spikes, daily 10%)";
    case kind::latency_p99_wander: return "latency p99 (slow wander AR(1) 0.995)";
    case kind::fail_ratio: return "fail ratio (Poisson, AR(1) rate)";
    case kind::throughput_daily: return "throughput (daily 40%, AR(1) 0.9)";
    case kind::rss_sawtooth: return "target RSS (GC sawtooth, AR(1) 0.98)";
    case kind::fds: return "target fds (integer, AR(1) 0.995)";
  }
  return "";
}
inline constexpr kind all_kinds[] = {kind::latency_p95,  kind::latency_p99_wander,
                                     kind::fail_ratio,   kind::throughput_daily,
                                     kind::rss_sawtooth, kind::fds};

struct generated {
  std::vector<double> values;
  series_kind sk;
  unit u;
  bad_direction bad;
};

inline generated make(kind k, uint64_t seed, double per_hour = 0, size_t n = 7 * 24 * 60,
                      double start_wall_s = 1'700'000'000) {
  base::rng r(seed);
  generated g;
  g.values.resize(n);
  g.bad = bad_direction::up;
  auto hour = [](size_t i) { return static_cast<double>(i) / 60.0; };
  auto day_phase = [&](size_t i) {
    return 2 * M_PI * (start_wall_s + 60.0 * static_cast<double>(i)) / 86400.0;
  };
  switch (k) {
    case kind::latency_p95: {
      g.sk = series_kind::latency;
      g.u = unit::ms;
      auto noise = ar1(r, n, 0.97, 0.08, 3);
      for (size_t i = 0; i < n; ++i) {
        double v = 120 * std::exp(noise[i]) * (1 + 0.1 * std::sin(day_phase(i)));
        if (r.uniform() < 1.0 / 500) v *= 3;  // a GC pause or a slow neighbour
        g.values[i] = v + per_hour * hour(i);
      }
      break;
    }
    case kind::latency_p99_wander: {
      g.sk = series_kind::latency;
      g.u = unit::ms;
      auto noise = ar1(r, n, 0.995, 0.1, 4);
      for (size_t i = 0; i < n; ++i) g.values[i] = 300 * std::exp(noise[i]) + per_hour * hour(i);
      break;
    }
    case kind::fail_ratio: {
      g.sk = series_kind::fail_ratio;
      g.u = unit::ratio;
      auto noise = ar1(r, n, 0.95, 0.3);
      const double requests = 3000;  // 50 req/s
      for (size_t i = 0; i < n; ++i) {
        const double p = std::min(1.0, 0.002 * std::exp(noise[i]) + per_hour * hour(i));
        g.values[i] = poisson(r, requests * p) / requests;
      }
      break;
    }
    case kind::throughput_daily: {
      g.sk = series_kind::throughput;
      g.u = unit::per_s;
      g.bad = bad_direction::down;
      auto noise = ar1(r, n, 0.9, 0.03);
      for (size_t i = 0; i < n; ++i)
        g.values[i] = 50 * (1 + 0.4 * std::sin(day_phase(i))) * (1 + noise[i]) + per_hour * hour(i);
      break;
    }
    case kind::rss_sawtooth: {
      g.sk = series_kind::target;
      g.u = unit::bytes;
      auto noise = ar1(r, n, 0.98, 5e6);
      double heap = 0, cycle = 30 + 15 * r.uniform();
      for (size_t i = 0; i < n; ++i) {
        heap += 60e6 / cycle;
        if (heap >= 60e6) {  // a collection returns the garbage
          heap = 0;
          cycle = 30 + 15 * r.uniform();
        }
        g.values[i] = 2e9 + heap + noise[i] + per_hour * hour(i);
      }
      break;
    }
    case kind::fds: {
      g.sk = series_kind::target;
      g.u = unit::count;
      auto noise = ar1(r, n, 0.995, 6);
      for (size_t i = 0; i < n; ++i) g.values[i] = std::round(120 + noise[i] + per_hour * hour(i));
      break;
    }
  }
  return g;
}

// The planted rate (per hour) each kind's detection test uses: a change of 15-85% over a week.
inline double planted_per_hour(kind k) {
  switch (k) {
    case kind::latency_p95: return 0.12;        // ms/h: +20 ms on 120 ms over 7 days
    case kind::latency_p99_wander: return 0.6;  // ms/h: +100 ms on 300 ms (its noise is large)
    case kind::fail_ratio: return 1e-5;         // /h: +0.17 points on 0.2%
    case kind::throughput_daily: return -0.05;  // req/s per h: -8.4 on 50
    case kind::rss_sawtooth: return 2e6;        // bytes/h: +336 MB on 2 GB
    case kind::fds: return 0.2;                 // fds/h: +34 on 120
  }
  return 0;
}

}  // namespace endure::analysis::synthetic
