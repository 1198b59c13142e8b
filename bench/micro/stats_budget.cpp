// The statistics budget (issue 9): what a run's statistics cost per (method, name) entry, at 50,
// 500 and 2,000 entries with one and two shards, 200 requests per entry per second.
//   control: CPU of the control thread per changed entry per interval (taking each shard's delta
//            and merging them into the interval record, as engine::controller does)
//   totals:  CPU of the totals thread per entry per interval (run_totals::add + view, as
//            engine::totals_stage does for the console, CSV, HTML and web outputs)
//   memory:  heap held per entry after the run (recorders + totals), by glibc's mallinfo2
// Budget: control <= 10 us per changed entry per interval; memory <= 64 KiB per entry.
// Run: build/release/bench/bench_stats_budget [intervals]   (prints a Markdown table)
#include <malloc.h>
#include <time.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "stats/interval_record.hpp"
#include "stats/recorder.hpp"
#include "stats/run_totals.hpp"

using namespace endure::stats;

namespace {

// The calling thread's CPU time (the scheduler's own accounting: ns resolution, unlike rusage,
// which some kernels round to the tick).
double thread_cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

size_t heap_bytes() { return mallinfo2().uordblks; }

struct result {
  size_t entries;
  int shards;
  double control_us_per_entry, totals_us_per_entry, kib_per_entry;
};

// all_rows: window percentiles for every row (--csv-full-history); otherwise for the 20
// busiest rows (the console's default) and Aggregated.
result measure(size_t entries, int shards, int intervals, bool all_rows) {
  std::mt19937_64 rng(entries * 31 + static_cast<uint64_t>(shards));
  // Latencies around 20 ms with a long tail (a web endpoint), a few failures.
  std::lognormal_distribution<double> latency(std::log(20'000.0), 0.6);
  std::vector<std::string> names;
  for (size_t i = 0; i < entries; ++i) names.push_back("/api/v1/resource/" + std::to_string(i));
  const size_t heap0 = heap_bytes();
  auto recorders = std::make_unique<shard_recorder[]>(static_cast<size_t>(shards));
  run_totals totals(1'700'000'000.0);
  double control_us = 0, totals_us = 0;
  constexpr int per_entry = 200;
  for (int k = 0; k < intervals; ++k) {
    // The shards' work (not measured): 200 requests per entry, spread over the shards.
    for (size_t e = 0; e < entries; ++e) {
      for (int i = 0; i < per_entry; ++i) {
        request_sample s;
        s.method = "GET";
        s.name = names[e];
        s.latency_us = static_cast<int64_t>(latency(rng));
        s.intended_latency_us = s.latency_us;
        s.content_bytes = 512;
        s.error = rng() % 200 == 0 ? "HTTPError: 503 Server Error: Service Unavailable" : "";
        s.wall_s = 1'700'000'000.0 + k + 0.5;
        recorders[static_cast<size_t>(i % shards)].record(s);
      }
    }
    // The control thread: every shard's delta merged into the interval's record.
    const double c0 = thread_cpu_us();
    auto rec = std::make_shared<interval_record>();
    rec->id = 1'700'000'000ULL + static_cast<uint64_t>(k);
    rec->start_wall_s = 1'700'000'000.0 + k;
    rec->end_wall_s = rec->start_wall_s + 1;
    for (int s = 0; s < shards; ++s) merge(rec->data, recorders[static_cast<size_t>(s)].take_delta());
    const double c1 = thread_cpu_us();
    // The totals thread: totals and a snapshot (percentiles of changed entries).
    totals.add(*rec);
    run_totals::view_options vo;
    vo.window_all_rows = all_rows;
    auto snap = totals.view(vo);
    const double c2 = thread_cpu_us();
    if (k >= 2) {  // the first intervals allocate the structures: steady state only
      control_us += c1 - c0;
      totals_us += c2 - c1;
    }
    if (snap->rows.size() != entries) std::abort();
  }
  const size_t held = heap_bytes() - heap0;
  const double n = static_cast<double>(entries) * (intervals - 2);
  return {entries, shards, control_us / n, totals_us / n,
          static_cast<double>(held) / static_cast<double>(entries) / 1024.0};
}

}  // namespace

int main(int argc, char** argv) {
  const int intervals = argc > 1 ? std::atoi(argv[1]) : 60;
  std::printf("| entries | shards | control thread, us per changed entry per interval | totals thread, us per entry per interval (window percentiles: 20 busiest rows / every row) | memory, KiB per entry |\n");
  std::printf("|---:|---:|---:|---:|---:|\n");
  for (int shards : {1, 2}) {
    for (size_t entries : {50, 500, 2000}) {
      const auto r = measure(entries, shards, intervals, false);
      const auto all = measure(entries, shards, intervals, true);
      std::printf("| %zu | %d | %.2f | %.2f / %.2f | %.1f |\n", r.entries, r.shards,
                  r.control_us_per_entry, r.totals_us_per_entry, all.totals_us_per_entry,
                  r.kib_per_entry);
      std::fflush(stdout);
    }
  }
  return 0;
}
