// Microbenchmarks for stats::histogram: the per-request record() hot path and quantile lookups.
// Measures only; asserts nothing (the unit tests own correctness).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "stats/histogram.hpp"

namespace {

// Latencies shaped like a real run: mostly 100 us .. 5 ms with a long tail, precomputed so the
// generator is not measured. A fixed LCG keeps runs reproducible.
std::vector<uint64_t> make_latencies_us(size_t n) {
  std::vector<uint64_t> out;
  out.reserve(n);
  uint64_t state = 0x9e3779b97f4a7c15ULL;
  for (size_t i = 0; i < n; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    const uint64_t r = state >> 33;
    const uint64_t base_us = 100 + r % 4900;
    out.push_back((r & 0xff) == 0 ? base_us * 200 : base_us);  // ~0.4% tail up to ~1 s
  }
  return out;
}

void bm_record(benchmark::State& state) {
  const auto latencies_us = make_latencies_us(4096);
  endure::stats::histogram h;
  for (uint64_t v : latencies_us) h.record(v);  // chunks allocated before timing
  size_t i = 0;
  for (auto _ : state) {
    h.record(latencies_us[i]);
    i = (i + 1) & 4095;
  }
  benchmark::DoNotOptimize(h.count());
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(bm_record);

void bm_record_constant(benchmark::State& state) {
  endure::stats::histogram h;
  uint64_t v = 1234;
  for (auto _ : state) {
    benchmark::DoNotOptimize(v);
    h.record(v);
  }
  benchmark::DoNotOptimize(h.count());
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(bm_record_constant);

void bm_value_at_quantile(benchmark::State& state) {
  const auto latencies_us = make_latencies_us(static_cast<size_t>(state.range(0)));
  endure::stats::histogram h;
  for (uint64_t v : latencies_us) h.record(v);
  double q = 0.99;
  for (auto _ : state) {
    benchmark::DoNotOptimize(q);
    benchmark::DoNotOptimize(h.value_at_quantile(q));
  }
}
BENCHMARK(bm_value_at_quantile)->Arg(1000)->Arg(1000000);

void bm_values_at_quantiles(benchmark::State& state) {
  const auto latencies_us = make_latencies_us(1000000);
  endure::stats::histogram h;
  for (uint64_t v : latencies_us) h.record(v);
  // The percentiles Locust prints in its tables.
  const double qs[] = {0.5, 0.66, 0.75, 0.8, 0.9, 0.95, 0.98, 0.99, 0.999, 0.9999, 1.0};
  uint64_t out[sizeof(qs) / sizeof(qs[0])] = {};
  for (auto _ : state) {
    h.values_at_quantiles(qs, sizeof(qs) / sizeof(qs[0]), out);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(bm_values_at_quantiles);

}  // namespace

BENCHMARK_MAIN();
