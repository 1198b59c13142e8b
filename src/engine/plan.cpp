#include "engine/plan.hpp"

#include <algorithm>
#include <numeric>

namespace endure::engine {

std::vector<uint64_t> distribute_users(const std::vector<class_weight>& classes, uint64_t total) {
  std::vector<uint64_t> out(classes.size(), 0);
  uint64_t left = total;
  for (size_t i = 0; i < classes.size(); ++i) {
    if (classes[i].fixed_count > 0) {
      uint64_t n = std::min<uint64_t>(left, static_cast<uint64_t>(classes[i].fixed_count));
      out[i] = n;
      left -= n;
    }
  }
  uint64_t weight_sum = 0;
  for (const auto& c : classes)
    if (c.fixed_count <= 0) weight_sum += static_cast<uint64_t>(std::max(0, c.weight));
  if (left == 0 || weight_sum == 0) return out;

  struct rem {
    size_t index;
    uint64_t remainder;
  };
  std::vector<rem> rems;
  uint64_t given = 0;
  for (size_t i = 0; i < classes.size(); ++i) {
    if (classes[i].fixed_count > 0) continue;
    auto w = static_cast<uint64_t>(std::max(0, classes[i].weight));
    __uint128_t share = static_cast<__uint128_t>(left) * w;
    out[i] = static_cast<uint64_t>(share / weight_sum);
    given += out[i];
    rems.push_back({i, static_cast<uint64_t>(share % weight_sum)});
  }
  std::stable_sort(rems.begin(), rems.end(),
                   [](const rem& a, const rem& b) { return a.remainder > b.remainder; });
  for (size_t k = 0; given < left && k < rems.size(); ++k, ++given) out[rems[k].index]++;
  return out;
}

std::vector<size_t> spawn_order(const std::vector<uint64_t>& counts) {
  uint64_t total = std::accumulate(counts.begin(), counts.end(), uint64_t{0});
  std::vector<size_t> order;
  order.reserve(total);
  std::vector<int64_t> current(counts.size(), 0);
  std::vector<uint64_t> left = counts;
  for (uint64_t n = 0; n < total; ++n) {
    size_t best = counts.size();
    int64_t added = 0;
    for (size_t i = 0; i < counts.size(); ++i) {
      if (left[i] == 0) continue;
      current[i] += static_cast<int64_t>(counts[i]);
      added += static_cast<int64_t>(counts[i]);
      if (best == counts.size() || current[i] > current[best]) best = i;
    }
    current[best] -= added;
    left[best]--;
    order.push_back(best);
  }
  return order;
}

weighted_picker::weighted_picker(const std::vector<int>& weights) {
  cumulative_.reserve(weights.size());
  for (int w : weights) {
    total_ += static_cast<uint64_t>(std::max(0, w));
    cumulative_.push_back(total_);
  }
}

size_t weighted_picker::pick(base::rng& r) const {
  if (cumulative_.size() == 1) return 0;  // one task: no draw (as Python users)
  uint64_t x = r.below(total_);
  return static_cast<size_t>(std::upper_bound(cumulative_.begin(), cumulative_.end(), x) -
                             cumulative_.begin());
}

}  // namespace endure::engine
