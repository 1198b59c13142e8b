// The soak verdict's false-alarm and detection campaign on synthetic 7-day series (one point a
// minute) of six realistic kinds, with more seeds than the unit tests (which run 20): stable
// series (end-of-run verdicts, and live looks every 2 hours at alpha / 10 as app/verdict_output
// announces them), and the same series with a planted linear trend (detected DEGRADING, slope
// interval covering the planted rate).
//   build/dev/bench/bench_verdict_campaign [seeds=200] [first_seed=10001]
//   build/dev/bench/bench_verdict_campaign mk [series=1000]   (Mann-Kendall's false positives)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cmath>
#include <cstdlib>
#include <string>

#include "analysis/basic_stats.hpp"
#include "analysis/mann_kendall.hpp"
#include "analysis/verdict.hpp"
#include "unit/analysis/synthetic.hpp"

using namespace endure::analysis;
namespace syn = endure::analysis::synthetic;

namespace {

// The hour at which app/verdict_output would announce the series (-1: never): looks every 2 hours
// from the 10th on; a DEGRADING or STEP CHANGE first seen at hour h at alpha / 10 is announced when
// every look up to 1.5 h still sees it at alpha.
double live_announcement(const syn::generated& g, const verdict_config& strict) {
  double pending = -1;
  const verdict_config normal;
  auto alarmed = [](const series_verdict& v) {
    return v.verdict == verdict_kind::degrading || v.verdict == verdict_kind::step_change;
  };
  for (size_t end = 600; end <= g.values.size(); end += 120) {
    std::vector<double> prefix(g.values.begin(),
                               g.values.begin() + static_cast<std::ptrdiff_t>(end));
    const auto run = syn::one_series(prefix, 60, g.sk, g.u, g.bad);
    const double hour = static_cast<double>(end) / 60;
    if (pending < 0) {
      if (alarmed(judge(run, strict).rows[0])) pending = hour;
      continue;
    }
    if (!alarmed(judge(run, normal).rows[0])) {
      pending = -1;
      continue;
    }
    if (hour >= 1.5 * pending) return hour;
  }
  return -1;
}

// Share of trendless AR(1) series (Student-t(4) innovations) in which Mann-Kendall finds a trend at
// alpha 5%: without a correction, with Hamed and Rao's (significant lags), and with endure's.
int mann_kendall_false_positives(int series) {
  std::printf("%d AR(1) series with t(4) innovations per row; trend found at alpha 5%%\n\n", series);
  std::printf("%5s %5s %10s %12s %10s\n", "phi", "n", "plain", "Hamed-Rao", "endure");
  for (double phi : {0.3, 0.6, 0.9}) {
    for (size_t n : {50, 200, 256}) {
      int plain = 0, hamed_rao = 0, ours = 0;
      for (int s = 1; s <= series; ++s) {
        endure::base::rng r(static_cast<uint64_t>(1000 + s));
        const auto x = syn::ar1(r, n, phi, 1.0, 4);
        std::vector<double> t(n);
        for (size_t i = 0; i < n; ++i) t[i] = static_cast<double>(i);
        const auto mk = mann_kendall_test(t, x);
        const double cc = mk.s > 0 ? mk.s - 1 : mk.s < 0 ? mk.s + 1 : 0;
        auto rejects = [&](double factor) {
          return normal_two_sided_p(cc / std::sqrt(mk.variance * factor)) < 0.05;
        };
        plain += rejects(1);
        hamed_rao += rejects(std::max(1.0, mk.correction_significant_lags));
        ours += mk.p < 0.05;
      }
      auto pct = [&](int k) { return 100.0 * k / series; };
      std::printf("%5.1f %5zu %9.1f%% %11.1f%% %9.1f%%\n", phi, n, pct(plain), pct(hamed_rao), pct(ours));
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "mk") return mann_kendall_false_positives(argc > 2 ? std::atoi(argv[2]) : 1000);
  const int seeds = argc > 1 ? std::atoi(argv[1]) : 200;
  const uint64_t first = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 10001;
  const auto started = std::chrono::steady_clock::now();
  std::printf(
      "%d seeds per kind from %llu; 7 days at 1-minute points (10,080), judged in <= 256 "
      "windows\n\n",
      seeds, static_cast<unsigned long long>(first));
  std::printf("%-50s %7s %7s %7s %7s %7s %9s | %9s %9s %8s %7s\n", "kind", "STABLE", "INCONC",
              "DEGRAD", "IMPROV", "STEP", "live", "detected", "covered", "live", "at");
  for (auto k : syn::all_kinds) {
    int counts[5] = {}, live_alarms = 0, detected = 0, covered = 0;
    std::vector<double> announced_at;
    verdict_config strict;
    strict.alpha /= 10;
    for (int s = 0; s < seeds; ++s) {
      const uint64_t seed = first + static_cast<uint64_t>(s);
      auto g = syn::make(k, seed);
      const auto run = syn::one_series(g.values, 60, g.sk, g.u, g.bad);
      const auto r = judge(run, {}).rows[0];
      ++counts[static_cast<int>(r.verdict)];
      // Live: a look every 2 hours from the 10th hour on, as the run goes, at alpha / 10; an alarm
      // is announced once a look at 1.5 times the elapsed time of the first still sees it.
      live_alarms += live_announcement(g, strict) >= 0;
      const double rate = syn::planted_per_hour(k);
      auto h = syn::make(k, seed, rate);
      const auto d = judge(syn::one_series(h.values, 60, h.sk, h.u, h.bad), {}).rows[0];
      detected += d.verdict == verdict_kind::degrading;
      if (const double at = live_announcement(h, strict); at >= 0) announced_at.push_back(at);
      covered += d.slope_lower * 3600 <= rate && rate <= d.slope_upper * 3600;
    }
    std::sort(announced_at.begin(), announced_at.end());
    const double median_at = announced_at.empty() ? -1 : announced_at[announced_at.size() / 2];
    std::printf("%-50s %7d %7d %7d %7d %7d %9d | %9d %9d %8zu %6.0fh\n", syn::name_of(k), counts[0],
                counts[4], counts[1], counts[2], counts[3], live_alarms, detected, covered,
                announced_at.size(), median_at);
    std::fflush(stdout);
  }
  std::printf("\n%.0f s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
}
