#include "base/rng.hpp"

#include <gtest/gtest.h>

TEST(rng, same_seed_same_sequence) {
  endure::base::rng a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    auto x = a.next();
    EXPECT_EQ(x, b.next());
    differs |= x != c.next();
  }
  EXPECT_TRUE(differs);
}

TEST(rng, below_is_uniform_enough) {
  endure::base::rng r(7);
  int counts[3] = {0, 0, 0};
  for (int i = 0; i < 30000; ++i) counts[r.below(3)]++;
  for (int c : counts) EXPECT_NEAR(c, 10000, 500);
  for (int i = 0; i < 1000; ++i) {
    double u = r.uniform();
    EXPECT_GE(u, 0.0);
    EXPECT_LT(u, 1.0);
  }
}
