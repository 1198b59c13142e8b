// stats::histogram: a log-linear latency histogram in integer microseconds (1 us .. 1 h, relative
// error <= 1/2048 at the bucket midpoint), exact count/min/max/sum beside it, exact merges.
// Pure data: no clocks, no I/O, no locks (one owner thread at a time).
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "stats/sparse.hpp"

namespace endure::stats {

namespace histogram_layout {
// Values below exact_limit_us are exact; above, each power-of-two range holds `half` buckets,
// so a bucket is at most 1/1024 of its lower bound wide.
inline constexpr uint32_t exact_limit_us = 2048;
inline constexpr uint32_t half = 1024;
inline constexpr uint64_t max_trackable_us = 3'600'000'000ULL;  // 1 h; larger values clamp

constexpr uint32_t index_of(uint64_t us) {
  if (us > max_trackable_us) us = max_trackable_us;
  const int width = 64 - __builtin_clzll(us | 1);
  const int shift = width > 11 ? width - 11 : 0;
  return static_cast<uint32_t>((static_cast<uint64_t>(shift) << 10) + (us >> shift));
}
constexpr uint32_t shift_of(uint32_t index) {
  return index < exact_limit_us ? 0 : index / half - 1;
}
constexpr uint64_t lower_of(uint32_t index) {
  return static_cast<uint64_t>(index - (shift_of(index) << 10)) << shift_of(index);
}
constexpr uint64_t upper_of(uint32_t index) {
  return lower_of(index) + (uint64_t{1} << shift_of(index)) - 1;
}
}  // namespace histogram_layout

class histogram {
 public:
  static constexpr uint32_t sub_bucket_count = histogram_layout::exact_limit_us;
  static constexpr uint32_t sub_bucket_half = histogram_layout::half;
  static constexpr uint64_t max_trackable_us = histogram_layout::max_trackable_us;
  static constexpr uint32_t bucket_total = histogram_layout::index_of(max_trackable_us) + 1;
  // Storage: one lazily made block per octave (1024 buckets), holding 8 lazily made chunks of 128
  // 32-bit counters. Memory follows the latencies actually seen (an endpoint spread over 4
  // octaves holds ~16 KiB), and quantile scans skip whole chunks by their sums.
  static constexpr uint32_t chunk_size = 128;
  static constexpr uint32_t chunks_per_octave = histogram_layout::half / chunk_size;
  static constexpr uint32_t octave_total = (bucket_total + histogram_layout::half - 1) / histogram_layout::half;

  // Index of the bucket holding `us` (values above max_trackable_us land in the top bucket).
  static constexpr uint32_t bucket_index(uint64_t us) { return histogram_layout::index_of(us); }
  // Smallest and largest value (inclusive) that map to bucket `index`.
  static constexpr uint64_t bucket_lower_us(uint32_t index) { return histogram_layout::lower_of(index); }
  static constexpr uint64_t bucket_upper_us(uint32_t index) { return histogram_layout::upper_of(index); }
  // The value reported for a bucket: its midpoint (rounded down).
  static constexpr uint64_t bucket_mid_us(uint32_t index) {
    return bucket_lower_us(index) + (bucket_upper_us(index) - bucket_lower_us(index)) / 2;
  }

  histogram() = default;
  histogram(const histogram& other);
  histogram& operator=(const histogram& other);
  histogram(histogram&&) noexcept = default;
  histogram& operator=(histogram&&) noexcept = default;
  ~histogram() = default;

  // Hot path: a few ns once the bucket's chunk exists (the first touch allocates 512 bytes).
  void record(uint64_t us) { record_n(us, 1); }
  void record_n(uint64_t us, uint64_t n) {
    if (n == 0) return;
    add_at(bucket_index(us), n);
    if (count_ == 0 || us < min_) min_ = us;
    if (us > max_) max_ = us;
    count_ += n;
    sum_ += us * n;
  }

  // Exact: counts add, min/max/sum combine.
  void merge(const histogram& other);
  // Adds sparse counts. min/max become the bucket bounds (an estimate; use the overload with
  // exact totals when they are known) and the sum is estimated from bucket midpoints.
  void merge_sparse(const sparse_counts& counts);
  struct exact_totals {
    uint64_t min_us = 0, max_us = 0, sum_us = 0;
  };
  void merge_sparse(const sparse_counts& counts, const exact_totals& totals);
  sparse_counts to_sparse() const;

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ ? min_ : 0; }
  uint64_t max() const { return max_; }
  uint64_t sum() const { return sum_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0; }
  // q in [0,1]: the midpoint of the bucket holding the ceil(q*count)-th smallest value, clamped
  // to [min, max]; q=0 is the exact min and q=1 the exact max. 0 when empty.
  uint64_t value_at_quantile(double q) const;
  // The same for n ascending quantiles in one pass over the buckets (snapshots use this).
  void values_at_quantiles(const double* qs, size_t n, uint64_t* out) const;

  // Zeroes the counts but keeps allocated chunks (so a reused histogram does not allocate).
  void reset();
  // Frees all chunks as well.
  void clear();
  size_t allocated_chunks() const;
  size_t bytes_allocated() const;

 private:
  struct chunk {
    std::array<uint32_t, chunk_size> counts{};
    uint64_t sum = 0;  // of counts (with carries): quantile scans skip a chunk on it
    uint32_t& operator[](uint32_t i) { return counts[i]; }
    uint32_t operator[](uint32_t i) const { return counts[i]; }
  };
  struct octave {
    std::array<std::unique_ptr<chunk>, chunks_per_octave> chunks;
  };
  void add_at(uint32_t index, uint64_t n) {
    auto& o = octaves_[index / histogram_layout::half];
    if (!o) o = std::make_unique<octave>();
    auto& c = o->chunks[(index / chunk_size) % chunks_per_octave];
    if (!c) c = std::make_unique<chunk>();  // value-initialized: zeroes
    c->sum += n;
    uint32_t& slot = (*c)[index % chunk_size];
    const uint64_t v = uint64_t{slot} + n;
    slot = static_cast<uint32_t>(v);
    if (v > UINT32_MAX) carry(index, v >> 32);  // a bucket past 4 billion: exact, never lost
  }
  void carry(uint32_t index, uint64_t high);
  uint64_t at(uint32_t index, uint32_t low) const;

  std::array<std::unique_ptr<octave>, octave_total> octaves_{};
  // Counts above 2^32 per bucket, in units of 2^32 (empty in practice; kept exact anyway).
  std::unique_ptr<std::vector<std::pair<uint32_t, uint64_t>>> high_;
  uint64_t count_ = 0, min_ = 0, max_ = 0, sum_ = 0;
};

}  // namespace endure::stats
