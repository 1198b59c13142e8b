#include "stats/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace endure::stats {
namespace {

constexpr std::array<double, 14> quantiles = {0.0,  0.01, 0.1,  0.25,  0.5,    0.66,  0.75,
                                              0.9,  0.95, 0.99, 0.999, 0.9999, 0.99999, 1.0};

uint64_t exact_quantile(const std::vector<uint64_t>& sorted, double q) {
  if (q <= 0) return sorted.front();
  auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

// Records `values` and checks every quantile against the exact sorted answer.
void check_accuracy(std::vector<uint64_t> values, const char* what) {
  histogram h;
  uint64_t sum = 0;
  for (auto v : values) {
    h.record(v);
    sum += v;
  }
  std::sort(values.begin(), values.end());
  ASSERT_EQ(h.count(), values.size()) << what;
  EXPECT_EQ(h.min(), values.front()) << what;
  EXPECT_EQ(h.max(), values.back()) << what;
  EXPECT_EQ(h.sum(), sum) << what;
  for (double q : quantiles) {
    const auto exact = static_cast<double>(exact_quantile(values, q));
    const auto got = static_cast<double>(h.value_at_quantile(q));
    if (exact <= static_cast<double>(histogram::max_trackable_us)) {
      EXPECT_LE(std::abs(got - exact), exact * 0.001) << what << " q=" << q << " exact=" << exact;
    }
  }
  EXPECT_EQ(h.value_at_quantile(1.0), values.back()) << what;
  std::array<uint64_t, quantiles.size()> batch{};
  h.values_at_quantiles(quantiles.data(), quantiles.size(), batch.data());
  for (size_t i = 0; i < quantiles.size(); ++i)
    EXPECT_EQ(batch[i], h.value_at_quantile(quantiles[i])) << what << " q=" << quantiles[i];
  EXPECT_EQ(h.value_at_quantile(0.0), values.front()) << what;
}

TEST(histogram, bucket_index_and_bounds_are_consistent) {
  uint32_t prev = 0;
  for (uint64_t v : {0ULL, 1ULL, 2ULL, 1023ULL, 2047ULL, 2048ULL, 2049ULL, 4095ULL, 4096ULL,
                     1'000'000ULL, 3'599'999'999ULL, 3'600'000'000ULL}) {
    const uint32_t i = histogram::bucket_index(v);
    EXPECT_GE(i, prev);
    prev = i;
    EXPECT_LE(histogram::bucket_lower_us(i), v) << v;
    EXPECT_GE(histogram::bucket_upper_us(i), v) << v;
    // Width is at most 1/1024 of the lower bound above the exact range.
    const auto w = histogram::bucket_upper_us(i) - histogram::bucket_lower_us(i) + 1;
    if (v >= 2048) {
      EXPECT_LE(w * 1024, histogram::bucket_lower_us(i)) << v;
    } else {
      EXPECT_EQ(w, 1u);
    }
  }
  // Indices are contiguous: each bucket starts right after the previous one ends.
  for (uint32_t i = 1; i < histogram::bucket_total; ++i)
    ASSERT_EQ(histogram::bucket_lower_us(i), histogram::bucket_upper_us(i - 1) + 1) << i;
  EXPECT_EQ(histogram::bucket_index(7'200'000'000ULL), histogram::bucket_total - 1);
  EXPECT_LE(histogram::octave_total, 24u);
}

TEST(histogram, idle_histogram_is_small_and_lazy) {
  EXPECT_LE(sizeof(histogram), 232u);
  histogram h;
  EXPECT_EQ(h.allocated_chunks(), 0u);
  EXPECT_EQ(h.value_at_quantile(0.5), 0u);
  h.record(100);
  h.record(120);  // the same 128-bucket chunk
  EXPECT_EQ(h.allocated_chunks(), 1u);
  h.record(1'000'000);
  EXPECT_EQ(h.allocated_chunks(), 2u);
  h.reset();
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.allocated_chunks(), 2u);  // kept for reuse
  h.clear();
  EXPECT_EQ(h.allocated_chunks(), 0u);
}

TEST(histogram, accuracy_random_distributions) {
  const uint64_t seed = 12345;
  SCOPED_TRACE(testing::Message() << "seed=" << seed);
  std::mt19937_64 rng(seed);
  std::vector<uint64_t> uniform, lognormal, bimodal;
  std::uniform_int_distribution<uint64_t> u(1, 5'000'000);
  std::lognormal_distribution<double> ln(8.0, 1.5);
  std::normal_distribution<double> fast(300, 30), slow(250'000, 20'000);
  std::bernoulli_distribution coin(0.1);
  for (int i = 0; i < 200'000; ++i) {
    uniform.push_back(u(rng));
    lognormal.push_back(1 + static_cast<uint64_t>(ln(rng)));
    const double b = coin(rng) ? slow(rng) : fast(rng);
    bimodal.push_back(static_cast<uint64_t>(std::max(1.0, b)));
  }
  check_accuracy(uniform, "uniform");
  check_accuracy(lognormal, "lognormal");
  check_accuracy(bimodal, "bimodal");
}

TEST(histogram, accuracy_adversarial) {
  check_accuracy(std::vector<uint64_t>(1000, 123'457), "all equal");
  check_accuracy({1}, "single 1us");
  check_accuracy({3'600'000'000ULL, 1, 3'600'000'000ULL}, "1 h");
  std::vector<uint64_t> pow2;
  for (int i = 0; i < 32; ++i) pow2.push_back(uint64_t{1} << i);
  check_accuracy(pow2, "powers of two");
  std::vector<uint64_t> bounds;
  for (uint32_t i = 2040; i < histogram::bucket_total; i += 97) {
    bounds.push_back(histogram::bucket_lower_us(i));
    bounds.push_back(histogram::bucket_upper_us(i));
  }
  check_accuracy(bounds, "bucket boundaries");
}

TEST(histogram, values_above_one_hour_clamp_but_extremes_stay_exact) {
  histogram h;
  h.record(10);
  h.record(10'000'000'000ULL);  // ~2.8 h
  EXPECT_EQ(h.max(), 10'000'000'000ULL);
  EXPECT_EQ(h.sum(), 10'000'000'010ULL);
  EXPECT_EQ(h.value_at_quantile(1.0), 10'000'000'000ULL);
  EXPECT_EQ(h.value_at_quantile(0.0), 10u);
  // The 75th percentile falls in the top bucket: about 1 h (within 0.1%).
  EXPECT_NEAR(static_cast<double>(h.value_at_quantile(0.75)), 3.6e9, 3.6e6);
  ASSERT_EQ(h.to_sparse().back().first, histogram::bucket_total - 1);
}

TEST(histogram, merge_of_split_histograms_equals_single) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> ln(7.0, 2.0);
  histogram single;
  std::vector<histogram> parts(5);
  for (int i = 0; i < 50'000; ++i) {
    const auto v = 1 + static_cast<uint64_t>(ln(rng));
    single.record(v);
    parts[static_cast<size_t>(i) % parts.size()].record(v);
  }
  histogram merged, via_sparse;
  for (const auto& p : parts) {
    merged.merge(p);
    via_sparse.merge_sparse(p.to_sparse(), {p.min(), p.max(), p.sum()});
  }
  for (const histogram* h : {&merged, &via_sparse}) {
    EXPECT_EQ(h->count(), single.count());
    EXPECT_EQ(h->min(), single.min());
    EXPECT_EQ(h->max(), single.max());
    EXPECT_EQ(h->sum(), single.sum());
    EXPECT_EQ(h->to_sparse(), single.to_sparse());
    for (double q : quantiles) EXPECT_EQ(h->value_at_quantile(q), single.value_at_quantile(q));
  }
  // Sparse output is ascending with no zero counts.
  const auto s = single.to_sparse();
  for (size_t i = 0; i < s.size(); ++i) {
    EXPECT_GT(s[i].second, 0u);
    if (i > 0) {
      EXPECT_LT(s[i - 1].first, s[i].first);
    }
  }
  // Copies are deep and equal.
  histogram copy = single;
  EXPECT_EQ(copy.to_sparse(), s);
  single.record(5);
  EXPECT_EQ(copy.count() + 1, single.count());
}

TEST(histogram, estimated_merge_of_sparse_counts) {
  histogram b;
  for (uint64_t v = 9000; v < 9100; ++v) b.record(v);
  histogram e;
  e.merge_sparse(b.to_sparse());
  EXPECT_EQ(e.count(), b.count());
  EXPECT_LE(e.min(), b.min());
  EXPECT_GE(e.max(), b.max());
  EXPECT_NEAR(static_cast<double>(e.value_at_quantile(0.5)), 9050.0, 10.0);
}

TEST(histogram, a_bucket_past_four_billion_counts_exactly) {
  histogram h;
  h.record_n(1000, 4'000'000'000ULL);
  h.record_n(1000, 1'000'000'000ULL);  // carries past 2^32
  h.record_n(5000, 3);
  EXPECT_EQ(h.count(), 5'000'000'003ULL);
  const auto s = h.to_sparse();
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].second, 5'000'000'000ULL);
  EXPECT_EQ(s[1].second, 3u);
  EXPECT_EQ(h.value_at_quantile(0.999), 1000u);
  EXPECT_EQ(h.value_at_quantile(1.0), 5000u);
  histogram m;
  m.merge(h);
  m.merge(h);
  EXPECT_EQ(m.to_sparse()[0].second, 10'000'000'000ULL);
  histogram c = h;
  EXPECT_EQ(c.to_sparse(), s);
}

TEST(histogram, record_n_counts_weight) {
  histogram h;
  h.record_n(500, 3);
  h.record_n(700, 0);
  h.record(900);
  EXPECT_EQ(h.count(), 4u);
  EXPECT_EQ(h.sum(), 2400u);
  EXPECT_DOUBLE_EQ(h.mean(), 600.0);
  EXPECT_EQ(h.value_at_quantile(0.75), 500u);
  EXPECT_EQ(h.value_at_quantile(0.76), 900u);
}

}  // namespace
}  // namespace endure::stats
