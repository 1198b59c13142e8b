// stats sparse histograms: (bucket index, count) pairs in ascending index order, the form in which
// interval deltas travel (shard -> control thread -> outputs, worker -> master, store blobs).
// Exact operations only: merging adds counts, quantiles read the same buckets as stats::histogram.
// Pure functions: no clocks, no I/O.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace endure::stats {

// Sparse histogram counts: (bucket index, count) pairs with count > 0, indices ascending.
using sparse_counts = std::vector<std::pair<uint32_t, uint64_t>>;

// Adds b into a (exact).
void merge_into(sparse_counts& a, const sparse_counts& b);
// The counts of a sorted list of bucket indices (run-length encoding of a sorted log).
void counts_of_sorted(const uint32_t* indices, size_t n, sparse_counts& out);
uint64_t total_count(const sparse_counts& c);

// Quantiles over sparse counts with stats::histogram's rule: the midpoint of the bucket holding
// the ceil(q*count)-th value, clamped to [min_us, max_us]; q <= 0 is min_us, q >= 1 is max_us.
// qs ascending; out gets one value per q.
void sparse_quantiles(const sparse_counts& c, uint64_t min_us, uint64_t max_us, const double* qs,
                      size_t n, uint64_t* out);

// A compact encoding (varint deltas of the index, varint counts; typically 2-3 bytes a bucket),
// used where many interval histograms are held (the 10 s window) or stored.
std::string pack(const sparse_counts& c);
// Appends the decoded counts to out; false (out unchanged) when `bytes` is not a valid encoding.
bool unpack(std::string_view bytes, sparse_counts& out);

// Merges k packed histograms (k small: the 10 s window) into one sparse histogram.
void merge_packed(const std::string* const* parts, size_t k, sparse_counts& out);
// The quantiles (as sparse_quantiles) of k packed histograms merged, without building the merged
// histogram; returns their total count. For the 10 s window, every second.
uint64_t packed_quantiles(const std::string* const* parts, size_t k, uint64_t min_us,
                          uint64_t max_us, const double* qs, size_t n, uint64_t* out);

}  // namespace endure::stats
