#include "stats/histogram.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace endure::stats {

histogram::histogram(const histogram& other) { *this = other; }

histogram& histogram::operator=(const histogram& other) {
  if (this == &other) return *this;
  for (uint32_t c = 0; c < chunk_total; ++c) {
    if (other.chunks_[c]) {
      uint64_t* dst = chunks_[c] ? chunks_[c].get() : allocate_chunk(c);
      std::memcpy(dst, other.chunks_[c].get(), chunk_size * sizeof(uint64_t));
    } else {
      chunks_[c].reset();
    }
  }
  count_ = other.count_;
  min_ = other.min_;
  max_ = other.max_;
  sum_ = other.sum_;
  return *this;
}

uint64_t* histogram::allocate_chunk(uint32_t chunk) {
  chunks_[chunk] = std::make_unique<uint64_t[]>(chunk_size);  // value-initialized: zeroes
  return chunks_[chunk].get();
}

void histogram::merge(const histogram& other) {
  if (other.count_ == 0) return;
  for (uint32_t c = 0; c < chunk_total; ++c) {
    const uint64_t* src = other.chunks_[c].get();
    if (src == nullptr) continue;
    uint64_t* dst = chunks_[c] ? chunks_[c].get() : allocate_chunk(c);
    for (uint32_t i = 0; i < chunk_size; ++i) dst[i] += src[i];
  }
  if (count_ == 0 || other.min_ < min_) min_ = other.min_;
  max_ = std::max(max_, other.max_);
  count_ += other.count_;
  sum_ += other.sum_;
}

void histogram::merge_sparse(const sparse_counts& counts, const exact_totals& totals) {
  uint64_t added = 0;
  for (const auto& [index, n] : counts) {
    if (index >= bucket_total || n == 0) continue;
    uint64_t* c = chunks_[index / chunk_size].get();
    if (c == nullptr) c = allocate_chunk(index / chunk_size);
    c[index % chunk_size] += n;
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

void histogram::subtract_sparse(const sparse_counts& counts) {
  for (const auto& [index, n] : counts) {
    if (index >= bucket_total) continue;
    uint64_t* c = chunks_[index / chunk_size].get();
    if (c == nullptr) continue;
    const uint64_t take = std::min(n, c[index % chunk_size]);
    c[index % chunk_size] -= take;
    count_ -= std::min(take, count_);
  }
}

sparse_counts histogram::to_sparse() const {
  sparse_counts out;
  if (count_ == 0) return out;
  for (uint32_t c = 0; c < chunk_total; ++c) {
    const uint64_t* src = chunks_[c].get();
    if (src == nullptr) continue;
    for (uint32_t i = 0; i < chunk_size; ++i)
      if (src[i] != 0) out.emplace_back(c * chunk_size + i, src[i]);
  }
  return out;
}

uint64_t histogram::value_at_quantile(double q) const {
  if (count_ == 0) return 0;
  if (!(q > 0)) return min_;
  if (q >= 1) return max_;
  auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (uint32_t c = 0; c < chunk_total; ++c) {
    const uint64_t* src = chunks_[c].get();
    if (src == nullptr) continue;
    for (uint32_t i = 0; i < chunk_size; ++i) {
      seen += src[i];
      if (seen >= rank) return std::clamp(bucket_mid_us(c * chunk_size + i), min_, max_);
    }
  }
  return max_;
}

void histogram::values_at_quantiles(const double* qs, size_t n, uint64_t* out) const {
  size_t k = 0;
  // Leading q <= 0 are the exact min; the bucket scan handles the rest in ascending order.
  for (; k < n && (count_ == 0 || !(qs[k] > 0)); ++k) out[k] = count_ ? min_ : 0;
  uint64_t seen = 0;
  auto rank_of = [this](double q) {
    return std::clamp<uint64_t>(static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_))),
                                1, count_);
  };
  for (uint32_t c = 0; c < chunk_total && k < n; ++c) {
    const uint64_t* src = chunks_[c].get();
    if (src == nullptr) continue;
    for (uint32_t i = 0; i < chunk_size && k < n; ++i) {
      if (src[i] == 0) continue;
      seen += src[i];
      while (k < n && qs[k] < 1 && seen >= rank_of(qs[k]))
        out[k++] = std::clamp(bucket_mid_us(c * chunk_size + i), min_, max_);
    }
  }
  for (; k < n; ++k) out[k] = max_;  // q >= 1 (and anything past the last bucket): exact max
}

void histogram::reset() {
  for (auto& c : chunks_)
    if (c) std::memset(c.get(), 0, chunk_size * sizeof(uint64_t));
  count_ = min_ = max_ = sum_ = 0;
}

void histogram::clear() {
  for (auto& c : chunks_) c.reset();
  count_ = min_ = max_ = sum_ = 0;
}

size_t histogram::allocated_chunks() const {
  return static_cast<size_t>(std::count_if(chunks_.begin(), chunks_.end(),
                                           [](const auto& c) { return c != nullptr; }));
}

}  // namespace endure::stats
