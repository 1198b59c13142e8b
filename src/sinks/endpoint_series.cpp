#include "sinks/endpoint_series.hpp"

#include <algorithm>
#include <tuple>

namespace endure::sinks {

namespace {
// A newcomer replaces the least busy followed endpoint only when it has this many times its
// requests: names near the boundary do not take turns (each turn would restart a series).
constexpr uint64_t replace_factor = 2;
}  // namespace

endpoint_series::endpoint_series(size_t max_followed, size_t max_points)
    : max_followed_(max_followed), max_points_(std::max<size_t>(max_points, 2)) {}

void endpoint_series::add_point(entry& e, const stats::row& r, const stats::snapshot& s) {
  series_input p;
  p.wall_s = s.wall_s;
  p.interval_s = s.interval_s;
  p.requests = r.interval_requests;
  p.failures = r.interval_failures;
  p.latency = r.interval_latency;
  p.min_us = r.interval_min_us;
  p.max_us = r.interval_max_us;
  e.series.add(p);
  e.requests = r.num_requests;
}

void endpoint_series::add(const stats::snapshot& s) {
  if (max_followed_ == 0) return;
  for (const auto& r : s.rows) {
    const std::string key = key_of(r);
    if (auto it = followed_.find(key); it != followed_.end()) {
      add_point(it->second, r, s);
      continue;
    }
    // Only a row with this interval's histogram can start a series (its percentiles are real).
    if (r.interval_requests == 0 || r.interval_latency.empty()) continue;
    if (followed_.size() >= max_followed_) {
      auto least = std::min_element(followed_.begin(), followed_.end(), [](const auto& a, const auto& b) {
        return a.second.requests < b.second.requests;
      });
      if (r.num_requests < replace_factor * std::max<uint64_t>(least->second.requests, 1)) continue;
      followed_.erase(least);
    }
    entry e{r.method, r.name, s.wall_s - s.interval_s, 0, bounded_series(max_points_)};
    add_point(e, r, s);
    followed_.emplace(key, std::move(e));
  }
}

std::vector<report::endpoint_chart> endpoint_series::charts(size_t n) const {
  std::vector<const entry*> all;
  for (const auto& [k, e] : followed_) all.push_back(&e);
  std::sort(all.begin(), all.end(), [](const entry* a, const entry* b) {
    if (a->requests != b->requests) return a->requests > b->requests;
    return std::tie(a->name, a->method) < std::tie(b->name, b->method);
  });
  if (all.size() > n) all.resize(n);
  std::vector<report::endpoint_chart> out;
  for (const auto* e : all) out.push_back({e->method, e->name, e->since_wall_s, e->series.points()});
  return out;
}

}  // namespace endure::sinks
