// How well the soak verdict's slope interval covers the rate of an integrated series: a target's
// RSS that grows by a fixed leak per request, requests arriving at random (Poisson, `lambda` per
// window). The interval is for the trend of the series observed; for a cumulative count that is
// the realized rate over the analysed stretch (its end-to-end rise / its length), not the
// long-run mean rate, whose uncertainty a random walk's wander adds. Prints the coverage of both
// over `seeds` runs per length (docs/verdict.md, "Proof: false alarms and detection").
//   build/dev/bench/bench_verdict_integrated [seeds]
#include <cstdio>
#include <cstdlib>
#include <random>

#include "analysis/verdict.hpp"

using namespace endure::analysis;

int main(int argc, char** argv) {
  const int seeds = argc > 1 ? std::atoi(argv[1]) : 400;
  const double lambda = 11.0, leak_bytes = 65536;  // the run: ~11 requests/s, 64 KiB each
  std::printf("windows  seeds  covers the long-run rate  covers the realized rate  mean CI half-width\n");
  for (int n : {35, 135, 500}) {
    int cover_mean = 0, cover_real = 0;
    double half = 0;
    for (int seed = 0; seed < seeds; ++seed) {
      std::mt19937_64 rng(static_cast<uint64_t>(seed));
      std::poisson_distribution<int> requests(lambda);
      std::vector<double> t, x;
      double rss = 12e6;
      for (int i = 0; i < n; ++i) {
        rss += leak_bytes * requests(rng);
        t.push_back(i + 0.5);
        x.push_back(rss);
      }
      series meta;
      meta.key = "target|pid 1|rss_bytes";
      meta.kind = series_kind::target;
      meta.u = unit::bytes;
      verdict_config cfg;
      cfg.warmup_s = 0;
      const auto r = judge_series(t, x, meta, series_context{}, cfg);
      const double mean = lambda * leak_bytes;
      const double real = (x.back() - x.front()) / (t.back() - t.front());
      cover_mean += r.slope_lower <= mean && mean <= r.slope_upper;
      cover_real += r.slope_lower <= real && real <= r.slope_upper;
      half += (r.slope_upper - r.slope_lower) / 2 / mean;
    }
    std::printf("%7d  %5d  %23.1f%%  %23.1f%%  %17.2f%%\n", n, seeds, 100.0 * cover_mean / seeds,
                100.0 * cover_real / seeds, 100 * half / seeds);
  }
  return 0;
}
