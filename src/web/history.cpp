#include "web/history.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "stats/histogram.hpp"

namespace endure::web {

// Layout: values below 128 µs have a bucket each; above, each octave has 64 buckets.
uint16_t coarse_bucket(uint64_t us) {
  if (us < 128) return static_cast<uint16_t>(us);
  const int shift = std::bit_width(us) - 7;
  return static_cast<uint16_t>((shift << 6) + static_cast<int>(us >> shift));
}

uint64_t coarse_lower_us(uint16_t b) {
  if (b < 128) return b;
  const int shift = (b >> 6) - 1;
  return static_cast<uint64_t>(b - (shift << 6)) << shift;
}

uint64_t coarse_upper_us(uint16_t b) {
  if (b < 128) return b;
  const int shift = (b >> 6) - 1;
  return coarse_lower_us(b) + (uint64_t{1} << shift) - 1;
}

namespace {

std::vector<std::pair<uint16_t, uint32_t>> merged(const std::vector<std::pair<uint16_t, uint32_t>>& a,
                                                   const std::vector<std::pair<uint16_t, uint32_t>>& b) {
  std::vector<std::pair<uint16_t, uint32_t>> out;
  out.reserve(std::max(a.size(), b.size()) + 8);
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (j == b.size() || (i < a.size() && a[i].first < b[j].first)) {
      out.push_back(a[i++]);
    } else if (i == a.size() || b[j].first < a[i].first) {
      out.push_back(b[j++]);
    } else {
      const uint64_t sum = uint64_t{a[i].second} + b[j].second;
      out.emplace_back(a[i].first, static_cast<uint32_t>(std::min<uint64_t>(sum, UINT32_MAX)));
      ++i, ++j;
    }
  }
  return out;
}

}  // namespace

void history_point::merge(const history_point& o) {
  if (o.requests > 0) {
    min_us = requests == 0 ? o.min_us : std::min(min_us, o.min_us);
    max_us = std::max(max_us, o.max_us);
  }
  start_s = seconds == 0 && requests == 0 ? o.start_s : std::min(start_s, o.start_s);
  end_s = std::max(end_s, o.end_s);
  requests += o.requests;
  failures += o.failures;
  user_seconds += o.user_seconds;
  seconds += o.seconds;
  latency = merged(latency, o.latency);
}

double history_point::percentile_ms(double q) const {
  uint64_t total = 0;
  for (const auto& [b, n] : latency) total += n;
  if (total == 0) return std::numeric_limits<double>::quiet_NaN();
  const auto rank = static_cast<uint64_t>(std::max(1.0, std::ceil(q * static_cast<double>(total))));
  uint64_t seen = 0;
  for (const auto& [b, n] : latency) {
    seen += n;
    if (seen >= rank) {
      // The bucket's middle, kept within the exact extremes.
      double mid = (static_cast<double>(coarse_lower_us(b)) + static_cast<double>(coarse_upper_us(b))) / 2;
      if (max_us > 0) mid = std::clamp(mid, static_cast<double>(min_us), static_cast<double>(max_us));
      return mid / 1000.0;
    }
  }
  return static_cast<double>(max_us) / 1000.0;
}

history::history(size_t points_per_level) : cap_(std::max<size_t>(points_per_level, 2)) {
  levels_.resize(std::size(level_seconds));
}

void history::clear() {
  for (auto& l : levels_) {
    l.ring.clear();
    l.head = l.count = 0;
  }
  first_s_ = last_s_ = 0;
}

void history::add(double end_s, double length_s, uint64_t requests, uint64_t failures, uint64_t users,
                  std::span<const std::pair<uint32_t, uint64_t>> latency, uint64_t min_us, uint64_t max_us) {
  history_point p;
  p.start_s = end_s - length_s;
  p.end_s = end_s;
  p.requests = requests;
  p.failures = failures;
  p.user_seconds = static_cast<double>(users) * length_s;
  p.seconds = length_s;
  p.min_us = min_us;
  p.max_us = max_us;
  for (const auto& [index, n] : latency) {
    // A fine bucket's lower bound lands in exactly one coarse bucket (the coarse layout's
    // boundaries are fine-layout boundaries too), so the coarse counts are exact.
    const uint16_t b = coarse_bucket(stats::histogram::bucket_lower_us(index));
    const auto c = static_cast<uint32_t>(std::min<uint64_t>(n, UINT32_MAX));
    if (!p.latency.empty() && p.latency.back().first == b) {
      p.latency.back().second += c;
    } else if (p.latency.empty() || p.latency.back().first < b) {
      p.latency.emplace_back(b, c);
    } else {
      p.latency = merged(p.latency, {{b, c}});
    }
  }
  if (first_s_ == 0) first_s_ = p.start_s;
  last_s_ = std::max(last_s_, end_s);
  // The point lands in the slot of every level that holds its middle.
  const double mid = (p.start_s + p.end_s) / 2;
  for (size_t li = 0; li < levels_.size(); ++li) {
    auto& l = levels_[li];
    const double w = level_seconds[li];
    const double slot_start = std::floor(mid / w) * w;
    if (l.count > 0 && l.at(l.count - 1).start_s >= slot_start && l.at(l.count - 1).start_s < slot_start + w) {
      auto& last = l.at(l.count - 1);
      last.merge(p);
      last.start_s = std::max(slot_start, std::min(last.start_s, p.start_s));
      continue;
    }
    history_point q = p;
    q.start_s = std::max(slot_start, p.start_s);
    if (l.ring.size() < cap_) {
      l.ring.push_back(std::move(q));
      ++l.count;
    } else {
      l.ring[l.head] = std::move(q);
      l.head = (l.head + 1) % cap_;
    }
  }
}

std::vector<history_point> history::window(double from_s, double to_s, size_t max_points, size_t* level_used) const {
  max_points = std::max<size_t>(max_points, 1);
  size_t li = 0;
  // The finest level that reaches back to from_s and holds at most 4x the points asked for
  // (merging more than that per answer costs time for nothing the screen can show).
  for (; li + 1 < levels_.size(); ++li) {
    const auto& l = levels_[li];
    if (l.count == 0) break;
    const bool reaches = l.at(0).start_s <= std::max(from_s, first_s_) + level_seconds[li];
    const double span = std::max(0.0, std::min(to_s, last_s_) - std::max(from_s, l.at(0).start_s));
    if (reaches && span / level_seconds[li] <= 4.0 * static_cast<double>(max_points)) break;
  }
  if (level_used) *level_used = li;
  const auto& l = levels_[li];
  // The points inside the window (rings are in time order).
  size_t lo = 0, hi = l.count;
  {
    size_t a = 0, b = l.count;
    while (a < b) {
      size_t m = (a + b) / 2;
      if (l.at(m).end_s <= from_s) a = m + 1; else b = m;
    }
    lo = a;
    a = lo, b = l.count;
    while (a < b) {
      size_t m = (a + b) / 2;
      if (l.at(m).start_s < to_s) a = m + 1; else b = m;
    }
    hi = a;
  }
  std::vector<history_point> out;
  const size_t n = hi > lo ? hi - lo : 0;
  if (n == 0) return out;
  const size_t group = (n + max_points - 1) / max_points;
  out.reserve((n + group - 1) / group);
  for (size_t i = lo; i < hi; i += group) {
    history_point p = l.at(i);
    for (size_t k = i + 1; k < std::min(hi, i + group); ++k) p.merge(l.at(k));
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<report::chart_point> history::chart(const std::vector<history_point>& points) {
  std::vector<report::chart_point> out;
  out.reserve(points.size());
  for (const auto& p : points) {
    report::chart_point c;
    c.wall_s = p.end_s;
    const double s = std::max(p.seconds, 1e-9);
    c.rps = static_cast<double>(p.requests) / s;
    c.fail_per_s = static_cast<double>(p.failures) / s;
    c.p50_ms = p.percentile_ms(0.50);
    c.p95_ms = p.percentile_ms(0.95);
    c.p99_ms = p.percentile_ms(0.99);
    c.p90_ms = p.percentile_ms(0.90);
    c.p999_ms = p.percentile_ms(0.999);
    c.users = p.user_seconds / s;
    out.push_back(c);
  }
  return out;
}

size_t history::points_held() const {
  size_t n = 0;
  for (const auto& l : levels_) n += l.count;
  return n;
}

size_t history::memory_bytes() const {
  size_t n = sizeof(*this);
  for (const auto& l : levels_)
    for (const auto& p : l.ring) n += sizeof(p) + p.latency.capacity() * sizeof(p.latency[0]);
  return n;
}

}  // namespace endure::web
