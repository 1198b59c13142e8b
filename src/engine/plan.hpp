// engine plan: pure arithmetic of a run: how many users of each class (Locust's weights and
// fixed_count), in which order to spawn them, and weighted task choice. No clocks, no threads.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "base/rng.hpp"

namespace endure::engine {

struct class_weight {
  std::string name;
  int weight = 1;
  int fixed_count = 0;
};

// Target users per class for `total` users: fixed_count classes first (in order, as many as fit),
// the rest split by weight with the largest-remainder method (ties: declaration order).
std::vector<uint64_t> distribute_users(const std::vector<class_weight>& classes, uint64_t total);

// The order in which to spawn `counts` users so that every prefix of the ramp keeps the classes'
// proportions (smooth weighted round-robin). Returns class indices.
std::vector<size_t> spawn_order(const std::vector<uint64_t>& counts);

// Weighted random choice over cumulative weights (Locust's random.choice over a weighted list).
class weighted_picker {
 public:
  weighted_picker() = default;
  explicit weighted_picker(const std::vector<int>& weights);
  size_t pick(base::rng& r) const;
  bool empty() const { return total_ == 0; }

 private:
  std::vector<uint64_t> cumulative_;
  uint64_t total_ = 0;
};

}  // namespace endure::engine
