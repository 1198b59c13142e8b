// test_support::synthetic_records: interval records as the engine would publish them, made on a
// simulated clock (the record id is the second): N entries with lognormal latencies around
// medians of 5-80 ms, a request rate, failures of a few kinds, an exception now and then, users
// per class and generator health. Seeded and deterministic. For the store's tests (days of data in
// seconds) and the synthetic 7-day benchmark. Header-only.
#pragma once
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "stats/histogram.hpp"
#include "stats/interval_record.hpp"
#include "stats/sparse.hpp"

namespace endure::test_support {

struct synthetic_config {
  size_t entries = 50;
  double requests_per_s = 1000;  // all entries together
  double failure_ratio = 0.002;
  double exception_every_s = 600;  // one exception in about this many seconds
  double sigma = 0.5;              // lognormal shape
  bool paced = false;              // intended latencies differ (coordinated omission)
  uint64_t seed = 1;
};

class synthetic_records {
 public:
  explicit synthetic_records(synthetic_config cfg = {}) : cfg_(cfg), rng_(cfg.seed) {
    std::uniform_real_distribution<double> median(5'000, 80'000);
    for (size_t e = 0; e < cfg_.entries; ++e) {
      entry en;
      en.method = e % 5 == 4 ? "POST" : "GET";
      en.name = "/api/resource/" + std::to_string(e);
      std::lognormal_distribution<double> lat(std::log(median(rng_)), cfg_.sigma);
      // Drawing from a table of 4096 lognormal values keeps 7 days of samples fast.
      for (auto& v : en.table)
        v = std::clamp<uint64_t>(static_cast<uint64_t>(lat(rng_)), 1, 3'600'000'000ULL);
      entries_.push_back(std::move(en));
    }
  }

  // The record of second `id` (its interval covers [id, id + 1)).
  stats::record_ptr make(uint64_t id, uint64_t test = 1) {
    auto r = std::make_shared<stats::interval_record>();
    r->id = id;
    r->length_ms = 1000;
    r->test = test;
    r->start_wall_s = static_cast<double>(id);
    r->end_wall_s = static_cast<double>(id + 1);
    r->state = stats::run_state::running;
    const double per_entry = cfg_.requests_per_s / static_cast<double>(cfg_.entries);
    std::poisson_distribution<int> count(per_entry);
    std::uniform_real_distribution<double> frac(0.0, 1.0);
    uint64_t users = 0;
    for (auto& en : entries_) {
      const int n = count(rng_);
      if (n == 0) continue;
      stats::entry_delta d;
      d.method = en.method;
      d.name = en.name;
      indices_.clear();
      uint64_t failures = 0;
      for (int i = 0; i < n; ++i) {
        const uint64_t us = en.table[rng_() & 4095];
        indices_.push_back(stats::histogram::bucket_index(us));
        d.sum_us += us;
        d.min_us = i == 0 ? us : std::min(d.min_us, us);
        d.max_us = std::max(d.max_us, us);
        if (frac(rng_) < cfg_.failure_ratio) ++failures;
      }
      std::sort(indices_.begin(), indices_.end());
      stats::counts_of_sorted(indices_.data(), indices_.size(), d.latency);
      d.requests = static_cast<uint64_t>(n);
      d.failures = failures;
      d.content_bytes = static_cast<uint64_t>(n) * 1234;
      d.intended_min_us = d.min_us;
      d.intended_max_us = d.max_us;
      if (cfg_.paced) {
        // Intended latency: the actual one plus a queueing delay of up to 50 ms.
        indices_.clear();
        for (const auto& [idx, c] : d.latency)
          for (uint64_t k = 0; k < c; ++k) {
            const uint64_t us = stats::histogram::bucket_mid_us(idx) + rng_() % 50'000;
            indices_.push_back(stats::histogram::bucket_index(us));
            d.intended_max_us = std::max(d.intended_max_us, us);
          }
        std::sort(indices_.begin(), indices_.end());
        stats::counts_of_sorted(indices_.data(), indices_.size(), d.intended);
      }
      d.first_wall_s = static_cast<double>(id) + 0.25 * frac(rng_);
      d.last_wall_s = static_cast<double>(id) + 0.75 + 0.25 * frac(rng_);
      if (failures > 0) {
        static const char* errors[] = {"HTTPError: 500 Server Error", "ConnectionResetError: reset",
                                       "TimeoutError: request timed out after 60s"};
        r->data.failures.push_back(
            {d.method, d.name, errors[rng_() % 3], failures, d.first_wall_s, d.last_wall_s});
      }
      r->data.entries.push_back(std::move(d));
      users += 2;
    }
    std::sort(r->data.entries.begin(), r->data.entries.end(), [](const auto& a, const auto& b) {
      return std::tie(a.name, a.method) < std::tie(b.name, b.method);
    });
    if (frac(rng_) * cfg_.exception_every_s < 1)
      r->data.exceptions.push_back(
          {"RuntimeError: out of stock", "Traceback: Shopper.buy line 12", "local", 1});
    r->user_count = users;
    r->users_by_class = {{"Browser", users / 2}, {"Shopper", users - users / 2}};
    r->health = {35.0 + 10 * frac(rng_), 50'000'000 + id % 1000, 0.5 * frac(rng_), false};
    r->monitor.push_back({"pid 4242", "rss_bytes", 1e8 + static_cast<double>(id % 86400)});
    return r;
  }

  const synthetic_config& config() const { return cfg_; }

 private:
  struct entry {
    std::string method, name;
    std::array<uint64_t, 4096> table{};
  };
  synthetic_config cfg_;
  std::mt19937_64 rng_;
  std::vector<entry> entries_;
  std::vector<uint32_t> indices_;
};

}  // namespace endure::test_support
