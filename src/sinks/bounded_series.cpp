#include "sinks/bounded_series.hpp"

#include <algorithm>
#include <limits>

namespace endure::sinks {

namespace {
constexpr double point_qs[3] = {0.50, 0.95, 0.99};
}

bounded_series::bounded_series(size_t max_points) : max_points_(std::max<size_t>(max_points, 2)) {
  points_.reserve(max_points_);
}

void bounded_series::combine(point& a, const point& b) {
  if (b.intervals == 0) return;
  if (a.intervals == 0) {
    a = b;
    return;
  }
  a.wall_s = std::max(a.wall_s, b.wall_s);
  a.covered_s += b.covered_s;
  a.users_sum += b.users_sum;
  if (b.requests != 0) {
    a.min_us = a.requests == 0 ? b.min_us : std::min(a.min_us, b.min_us);
    a.max_us = std::max(a.max_us, b.max_us);
  }
  a.requests += b.requests;
  a.failures += b.failures;
  a.intervals += b.intervals;
  stats::sparse_counts x, y;
  stats::unpack(a.packed, x);
  stats::unpack(b.packed, y);
  stats::merge_into(x, y);
  a.packed = stats::pack(x);
}

void bounded_series::add(const series_input& in) {
  point p;
  p.wall_s = in.wall_s;
  p.covered_s = in.interval_s;
  p.users_sum = in.users;
  p.requests = in.requests;
  p.failures = in.failures;
  p.min_us = in.min_us;
  p.max_us = in.max_us;
  p.intervals = 1;
  p.packed = stats::pack(in.latency);
  combine(pending_, p);
  if (pending_.intervals >= stride_) flush_pending();
}

void bounded_series::flush_pending() {
  if (points_.size() >= max_points_) {
    size_t out = 0;
    for (size_t i = 0; i + 1 < points_.size(); i += 2) {
      point merged = points_[i];
      combine(merged, points_[i + 1]);
      points_[out++] = std::move(merged);
    }
    if (points_.size() % 2 == 1) points_[out++] = points_.back();
    points_.resize(out);
    stride_ *= 2;
  }
  points_.push_back(std::move(pending_));
  pending_ = point{};
}

std::vector<report::chart_point> bounded_series::points() const {
  std::vector<report::chart_point> out;
  out.reserve(points_.size() + 1);
  auto emit = [&out](const point& p) {
    if (p.intervals == 0) return;
    report::chart_point c;
    c.wall_s = p.wall_s;
    c.rps = p.covered_s > 0 ? static_cast<double>(p.requests) / p.covered_s : 0;
    c.fail_per_s = p.covered_s > 0 ? static_cast<double>(p.failures) / p.covered_s : 0;
    c.users = p.users_sum / static_cast<double>(p.intervals);
    // No request in the stretch: its percentiles do not exist (a gap in the chart, not a 0).
    c.p50_ms = c.p95_ms = c.p99_ms = std::numeric_limits<double>::quiet_NaN();
    if (p.requests != 0) {
      stats::sparse_counts h;
      stats::unpack(p.packed, h);
      uint64_t v[3];
      stats::sparse_quantiles(h, p.min_us, p.max_us, point_qs, 3, v);
      c.p50_ms = static_cast<double>(v[0]) / 1000.0;
      c.p95_ms = static_cast<double>(v[1]) / 1000.0;
      c.p99_ms = static_cast<double>(v[2]) / 1000.0;
    }
    out.push_back(c);
  };
  for (const auto& p : points_) emit(p);
  emit(pending_);
  return out;
}

}  // namespace endure::sinks
