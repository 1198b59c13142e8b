#include "sinks/bounded_series.hpp"

#include <algorithm>

namespace endure::sinks {

namespace {

// Averages b into a (weights wa, wb); the time is the later one, so a point ends where its
// last snapshot ended.
report::chart_point combine(const report::chart_point& a, double wa, const report::chart_point& b,
                            double wb) {
  auto avg = [&](double x, double y) { return (x * wa + y * wb) / (wa + wb); };
  report::chart_point r;
  r.wall_s = std::max(a.wall_s, b.wall_s);
  r.rps = avg(a.rps, b.rps);
  r.fail_per_s = avg(a.fail_per_s, b.fail_per_s);
  r.p50_ms = avg(a.p50_ms, b.p50_ms);
  r.p95_ms = avg(a.p95_ms, b.p95_ms);
  r.users = avg(a.users, b.users);
  return r;
}

}  // namespace

bounded_series::bounded_series(size_t max_points) : max_points_(std::max<size_t>(max_points, 2)) {
  points_.reserve(max_points_);
}

void bounded_series::add(const report::chart_point& p) {
  pending_ = pending_n_ == 0 ? p
                             : combine(pending_, static_cast<double>(pending_n_), p, 1.0);
  if (++pending_n_ >= stride_) flush_pending();
}

void bounded_series::flush_pending() {
  if (points_.size() >= max_points_) {
    size_t out = 0;
    for (size_t i = 0; i + 1 < points_.size(); i += 2)
      points_[out++] = combine(points_[i], 1, points_[i + 1], 1);
    if (points_.size() % 2 == 1) points_[out++] = points_.back();
    points_.resize(out);
    stride_ *= 2;
  }
  points_.push_back(pending_);
  pending_n_ = 0;
}

}  // namespace endure::sinks
