// The web UI's chart history over a synthetic 7-day run (1 s intervals, a latency spread over
// ~60 fine histogram buckets per interval with a slow tail and a daily wave): the cost of adding
// an interval, the memory held, and the time to answer /history for each zoom window (window()
// plus the JSON body), as the web UI's server thread pays it. Prints Markdown for bench/RESULTS.md.
//   build/release/bench/bench_web_history
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <vector>

#include "stats/histogram.hpp"
#include "web/api_json.hpp"
#include "web/history.hpp"

using namespace endure;
using clk = std::chrono::steady_clock;

int main() {
  constexpr int seconds = 7 * 86400;
  constexpr double t0 = 1'800'000'000;
  // 64 distinct intervals of 1,000 requests each, cycled (drawing 600 M samples would time the RNG).
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> body(std::log(2000.0), 0.35);
  std::vector<std::vector<std::pair<uint32_t, uint64_t>>> shapes;
  std::vector<std::pair<uint64_t, uint64_t>> extremes;
  size_t buckets = 0;
  for (int k = 0; k < 64; ++k) {
    std::map<uint32_t, uint64_t> m;
    uint64_t lo = UINT64_MAX, hi = 0;
    for (int i = 0; i < 1000; ++i) {
      auto us = static_cast<uint64_t>(i < 10 ? body(rng) * 40 : body(rng));
      lo = std::min(lo, us);
      hi = std::max(hi, us);
      ++m[stats::histogram::bucket_index(us)];
    }
    shapes.emplace_back(m.begin(), m.end());
    extremes.emplace_back(lo, hi);
    buckets += m.size();
  }
  web::history h;
  auto a = clk::now();
  for (int s = 0; s < seconds; ++s) {
    const auto& shape = shapes[static_cast<size_t>(s) % shapes.size()];
    const uint64_t users = 100 + static_cast<uint64_t>(50 * std::sin(s * 2 * M_PI / 86400));
    h.add(t0 + s + 1, 1.0, 1000, s % 97 == 0 ? 3 : 0, users, shape, extremes[s % 64].first, extremes[s % 64].second);
  }
  const double add_ns = std::chrono::duration<double, std::nano>(clk::now() - a).count() / seconds;

  std::printf("## Web UI chart history over a synthetic 7-day run (`bench_web_history`)\n\n");
  std::printf("604,800 one-second intervals of 1,000 requests (%.0f fine histogram buckets per interval on\n"
              "average); rings of %zu points at 1 s, 10 s, 1 min, 10 min and 1 h.\n\n",
              static_cast<double>(buckets) / 64, size_t{1200});
  std::printf("- adding one interval (every resolution): %.2f us\n", add_ns / 1000);
  std::printf("- memory held after 7 days: %.2f MB in %zu points (flat once every ring is full)\n\n",
              static_cast<double>(h.memory_bytes()) / 1e6, h.points_held());
  std::printf("| window | points asked | resolution used | points sent | window() + JSON, median ms | body KB |\n");
  std::printf("|---|---:|---:|---:|---:|---:|\n");
  const double end = t0 + seconds + 1;
  struct w { const char* name; double width; };
  for (auto [name, width] : {w{"10 min", 600}, w{"1 h", 3600}, w{"6 h", 21600}, w{"1 day", 86400}, w{"7 days", 7.0 * 86400}}) {
    for (size_t asked : {600u, 2000u}) {
      std::vector<double> ms;
      size_t level = 0, sent = 0, bytes = 0;
      for (int rep = 0; rep < 15; ++rep) {
        auto b = clk::now();
        auto pts = h.window(end - width, end, asked, &level);
        auto body_text = web::history_json(pts, end - width, end, web::history::level_seconds[level]);
        ms.push_back(std::chrono::duration<double, std::milli>(clk::now() - b).count());
        sent = pts.size();
        bytes = body_text.size();
      }
      std::sort(ms.begin(), ms.end());
      std::printf("| %s | %zu | %g s | %zu | %.2f | %.0f |\n", name, asked, web::history::level_seconds[level], sent,
                  ms[ms.size() / 2], static_cast<double>(bytes) / 1024);
    }
  }
  return 0;
}
