#include "stats/histogram.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace endure::stats {

namespace {
constexpr uint32_t octave_size = histogram_layout::half;
}

histogram::histogram(const histogram& other) { *this = other; }

histogram& histogram::operator=(const histogram& other) {
  if (this == &other) return *this;
  for (uint32_t o = 0; o < octave_total; ++o) {
    if (!other.octaves_[o]) {
      octaves_[o].reset();
      continue;
    }
    if (!octaves_[o]) octaves_[o] = std::make_unique<octave>();
    for (uint32_t c = 0; c < chunks_per_octave; ++c) {
      const auto& src = other.octaves_[o]->chunks[c];
      auto& dst = octaves_[o]->chunks[c];
      if (!src) {
        dst.reset();
      } else if (dst) {
        *dst = *src;
      } else {
        dst = std::make_unique<chunk>(*src);
      }
    }
  }
  high_ = other.high_ ? std::make_unique<std::vector<std::pair<uint32_t, uint64_t>>>(*other.high_)
                      : nullptr;
  count_ = other.count_;
  min_ = other.min_;
  max_ = other.max_;
  sum_ = other.sum_;
  return *this;
}

void histogram::carry(uint32_t index, uint64_t high) {
  if (!high_) high_ = std::make_unique<std::vector<std::pair<uint32_t, uint64_t>>>();
  for (auto& [i, h] : *high_)
    if (i == index) {
      h += high;
      return;
    }
  high_->emplace_back(index, high);
}

uint64_t histogram::at(uint32_t index, uint32_t low) const {
  uint64_t v = low;
  if (high_)
    for (const auto& [i, h] : *high_)
      if (i == index) v += h << 32;
  return v;
}

void histogram::merge(const histogram& other) {
  if (other.count_ == 0) return;
  for (uint32_t o = 0; o < octave_total; ++o) {
    if (!other.octaves_[o]) continue;
    for (uint32_t c = 0; c < chunks_per_octave; ++c) {
      const auto& src = other.octaves_[o]->chunks[c];
      if (!src) continue;
      const uint32_t base = o * octave_size + c * chunk_size;
      for (uint32_t i = 0; i < chunk_size; ++i)
        if ((*src)[i] != 0) add_at(base + i, (*src)[i]);
    }
  }
  if (other.high_)
    for (const auto& [i, h] : *other.high_) carry(i, h);
  if (count_ == 0 || other.min_ < min_) min_ = other.min_;
  max_ = std::max(max_, other.max_);
  count_ += other.count_;
  sum_ += other.sum_;
}

void histogram::merge_sparse(const sparse_counts& counts, const exact_totals& totals) {
  uint64_t added = 0;
  for (const auto& [index, n] : counts) {
    if (index >= bucket_total || n == 0) continue;
    add_at(index, n);
    added += n;
  }
  if (added == 0) return;
  if (count_ == 0 || totals.min_us < min_) min_ = totals.min_us;
  max_ = std::max(max_, totals.max_us);
  count_ += added;
  sum_ += totals.sum_us;
}

void histogram::merge_sparse(const sparse_counts& counts) {
  exact_totals t;
  bool first = true;
  for (const auto& [index, n] : counts) {
    if (index >= bucket_total || n == 0) continue;
    if (first) t.min_us = bucket_lower_us(index);
    first = false;
    t.max_us = bucket_upper_us(index);
    t.sum_us += bucket_mid_us(index) * n;
  }
  merge_sparse(counts, t);
}

sparse_counts histogram::to_sparse() const {
  sparse_counts out;
  if (count_ == 0) return out;
  for (uint32_t o = 0; o < octave_total; ++o) {
    if (!octaves_[o]) continue;
    for (uint32_t c = 0; c < chunks_per_octave; ++c) {
      const auto& ch = octaves_[o]->chunks[c];
      if (!ch) continue;
      const uint32_t base = o * octave_size + c * chunk_size;
      for (uint32_t i = 0; i < chunk_size; ++i)
        if ((*ch)[i] != 0 || high_) {
          const uint64_t v = at(base + i, (*ch)[i]);
          if (v != 0) out.emplace_back(base + i, v);
        }
    }
  }
  return out;
}

uint64_t histogram::value_at_quantile(double q) const {
  uint64_t out = 0;
  values_at_quantiles(&q, 1, &out);
  return out;
}

void histogram::values_at_quantiles(const double* qs, size_t n, uint64_t* out) const {
  size_t k = 0;
  // Leading q <= 0 are the exact min; the bucket scan handles the rest in ascending order.
  for (; k < n && (count_ == 0 || !(qs[k] > 0)); ++k) out[k] = count_ ? min_ : 0;
  // The rank each quantile needs, computed once (q >= 1 is the exact max).
  uint64_t ranks[32];
  const size_t m = std::min<size_t>(n, 32);
  for (size_t j = k; j < m; ++j)
    ranks[j] = qs[j] >= 1 ? UINT64_MAX
                          : std::clamp<uint64_t>(
                                static_cast<uint64_t>(std::ceil(qs[j] * static_cast<double>(count_))),
                                1, count_);
  uint64_t seen = 0;
  for (uint32_t o = 0; o < octave_total && k < m && ranks[k] != UINT64_MAX; ++o) {
    if (!octaves_[o]) continue;
    for (uint32_t c = 0; c < chunks_per_octave && k < m && ranks[k] != UINT64_MAX; ++c) {
      const auto& ch = octaves_[o]->chunks[c];
      if (!ch) continue;
      const uint32_t base = o * octave_size + c * chunk_size;
      // Most chunks hold none of the ranks looked for: skip them on their sums.
      if (seen + ch->sum < ranks[k]) {
        seen += ch->sum;
        continue;
      }
      for (uint32_t i = 0; i < chunk_size && k < m; ++i) {
        const uint64_t v = high_ ? at(base + i, (*ch)[i]) : (*ch)[i];
        if (v == 0) continue;
        seen += v;
        while (k < m && ranks[k] != UINT64_MAX && seen >= ranks[k])
          out[k++] = std::clamp(bucket_mid_us(base + i), min_, max_);
      }
    }
  }
  for (; k < n; ++k) out[k] = max_;  // q >= 1 (and anything past the last bucket): exact max
}

void histogram::reset() {
  for (auto& o : octaves_)
    if (o)
      for (auto& c : o->chunks)
        if (c) *c = chunk{};
  high_.reset();
  count_ = min_ = max_ = sum_ = 0;
}

void histogram::clear() {
  for (auto& o : octaves_) o.reset();
  high_.reset();
  count_ = min_ = max_ = sum_ = 0;
}

size_t histogram::allocated_chunks() const {
  size_t n = 0;
  for (const auto& o : octaves_)
    if (o)
      for (const auto& c : o->chunks) n += c != nullptr;
  return n;
}

size_t histogram::bytes_allocated() const {
  size_t n = 0;
  for (const auto& o : octaves_)
    if (o) n += sizeof(octave);
  return n + allocated_chunks() * sizeof(chunk) + (high_ ? high_->capacity() * 16 : 0);
}

}  // namespace endure::stats
