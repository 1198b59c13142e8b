// server::counter_table: per-key request counters ("GET /products/7") for the demo shop and the
// test server. Lock-free, bounded (a fixed number of distinct keys; the rest count under
// overflow_key), safe to bump from any server thread and read from any other thread.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace endure::server {

class counter_table {
 public:
  static constexpr std::string_view overflow_key = "OTHER (too many distinct keys)";

  explicit counter_table(std::size_t max_keys = 4096)
      : slots_(std::make_unique<slot[]>(capacity_for(max_keys))),
        mask_(capacity_for(max_keys) - 1),
        max_keys_(max_keys) {}
  ~counter_table() {
    for (std::size_t i = 0; i <= mask_; ++i) delete slots_[i].key.load(std::memory_order_acquire);
  }
  counter_table(const counter_table&) = delete;
  counter_table& operator=(const counter_table&) = delete;

  void add(std::string_view key, uint64_t n = 1) {
    total_.fetch_add(n, std::memory_order_relaxed);
    if (slot* s = find_or_insert(key)) {
      s->count.fetch_add(n, std::memory_order_relaxed);
    } else if (slot* o = find_or_insert(overflow_key, true)) {
      o->count.fetch_add(n, std::memory_order_relaxed);
    }
  }

  uint64_t count(std::string_view key) const {
    const slot* s = find(key);
    return s ? s->count.load(std::memory_order_relaxed) : 0;
  }
  uint64_t total() const { return total_.load(std::memory_order_relaxed); }

  // Every key with a non-zero count.
  std::vector<std::pair<std::string, uint64_t>> snapshot() const {
    std::vector<std::pair<std::string, uint64_t>> out;
    for (std::size_t i = 0; i <= mask_; ++i) {
      const std::string* k = slots_[i].key.load(std::memory_order_acquire);
      const uint64_t c = slots_[i].count.load(std::memory_order_relaxed);
      if (k != nullptr && c > 0) out.emplace_back(*k, c);
    }
    return out;
  }

  // Zeroes every count (keys stay allocated; zero counts are not reported).
  void reset() {
    for (std::size_t i = 0; i <= mask_; ++i) slots_[i].count.store(0, std::memory_order_relaxed);
    total_.store(0, std::memory_order_relaxed);
  }

 private:
  struct slot {
    std::atomic<const std::string*> key{nullptr};
    std::atomic<uint64_t> count{0};
  };

  static std::size_t capacity_for(std::size_t max_keys) {
    std::size_t c = 16;
    while (c < max_keys * 2 + 2) c *= 2;  // load factor <= 1/2, room for the overflow key
    return c;
  }

  const slot* find(std::string_view key) const {
    std::size_t i = std::hash<std::string_view>{}(key) & mask_;
    for (std::size_t probes = 0; probes <= mask_; ++probes, i = (i + 1) & mask_) {
      const std::string* k = slots_[i].key.load(std::memory_order_acquire);
      if (k == nullptr) return nullptr;
      if (*k == key) return &slots_[i];
    }
    return nullptr;
  }

  slot* find_or_insert(std::string_view key, bool ignore_limit = false) {
    std::size_t i = std::hash<std::string_view>{}(key) & mask_;
    for (std::size_t probes = 0; probes <= mask_; ++probes, i = (i + 1) & mask_) {
      const std::string* k = slots_[i].key.load(std::memory_order_acquire);
      if (k == nullptr) {
        if (!ignore_limit && keys_.load(std::memory_order_relaxed) >= max_keys_) return nullptr;
        auto fresh = std::make_unique<std::string>(key);
        const std::string* expected = nullptr;
        if (slots_[i].key.compare_exchange_strong(expected, fresh.get(),
                                                  std::memory_order_acq_rel)) {
          keys_.fetch_add(1, std::memory_order_relaxed);
          fresh.release();
          return &slots_[i];
        }
        k = expected;  // another thread took this slot first: compare with its key
      }
      if (*k == key) return &slots_[i];
    }
    return nullptr;
  }

  std::unique_ptr<slot[]> slots_;
  std::size_t mask_;
  std::size_t max_keys_;
  std::atomic<std::size_t> keys_{0};
  std::atomic<uint64_t> total_{0};
};

}  // namespace endure::server
