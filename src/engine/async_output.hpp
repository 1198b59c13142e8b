// engine::async_output: puts an output on its own thread behind a bounded queue, so that a slow
// disk, database or network never delays the publisher (the engine publishes and never waits).
//   lossless     files and the store: nothing is dropped. When the queue is full, a new item is
//                coalesced into the newest queued one when the output allows it (interval records
//                merge exactly: coarser time, no lost data); otherwise the queue grows. Either way
//                one warning says the output fell behind, and one that it caught up.
//   latest_only  console, web, exporters: one pending item; a new one replaces it, so the output
//                always shows the latest state and never builds a backlog.
// push() may be called from any thread; the consumer runs on the adapter's thread only.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "base/log.hpp"

namespace endure::engine {

enum class output_policy { lossless, latest_only };

struct output_counters {
  uint64_t pushed = 0, consumed = 0, coalesced = 0, replaced = 0;
  size_t max_depth = 0;
  bool behind = false;  // currently past its capacity
};

template <class T>
class async_output {
 public:
  using consumer = std::function<void(const T&)>;
  // Merges `next` into `into` (the newest queued item); false when these two cannot merge.
  using coalescer = std::function<bool(T& into, T&& next)>;

  async_output(std::string name, output_policy policy, size_t capacity, consumer consume,
               coalescer coalesce = {})
      : name_(std::move(name)),
        policy_(policy),
        capacity_(std::max<size_t>(1, capacity)),
        consume_(std::move(consume)),
        coalesce_(std::move(coalesce)),
        thread_([this] { loop(); }) {}

  ~async_output() { stop(); }
  async_output(const async_output&) = delete;
  async_output& operator=(const async_output&) = delete;

  // Never blocks on the consumer.
  void push(T item) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      ++counters_.pushed;
      if (policy_ == output_policy::latest_only) {
        if (!queue_.empty() && !busy_with_front_) {
          queue_.back() = std::move(item);
          ++counters_.replaced;
        } else if (queue_.size() >= 2) {
          queue_.back() = std::move(item);
          ++counters_.replaced;
        } else {
          queue_.push_back(std::move(item));
        }
      } else if (queue_.size() >= capacity_) {
        if (!counters_.behind) {
          counters_.behind = true;
          base::log_warning("output", name_ + " falls behind (" + std::to_string(queue_.size()) +
                                          " items queued): " +
                                          (coalesce_ ? "intervals are merged until it catches up"
                                                     : "its queue grows until it catches up"));
        }
        // The front may be in the consumer's hands: never touch it.
        if (coalesce_ && queue_.size() >= 2 && coalesce_(queue_.back(), std::move(item))) {
          ++counters_.coalesced;
        } else {
          queue_.push_back(std::move(item));
        }
      } else {
        queue_.push_back(std::move(item));
      }
      counters_.max_depth = std::max(counters_.max_depth, queue_.size());
    }
    cv_.notify_one();
  }

  // Waits until everything pushed so far is consumed, or the time is up; true when drained.
  bool drain(std::chrono::milliseconds limit) {
    std::unique_lock lock(mutex_);
    return idle_cv_.wait_for(lock, limit, [this] { return queue_.empty(); });
  }

  // Consumes what is queued (up to `limit`), then ends the thread. Idempotent.
  void stop(std::chrono::milliseconds limit = std::chrono::seconds(30)) {
    if (!thread_.joinable()) return;
    drain(limit);
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }

  output_counters counters() const {
    std::lock_guard lock(mutex_);
    return counters_;
  }
  const std::string& name() const { return name_; }

 private:
  void loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and nothing left
      busy_with_front_ = true;
      T& front = queue_.front();
      lock.unlock();
      try {
        consume_(front);
      } catch (const std::exception& e) {
        base::log_error("output", name_ + ": " + e.what());
      } catch (...) {
        base::log_error("output", name_ + ": unknown error");
      }
      lock.lock();
      queue_.pop_front();
      busy_with_front_ = false;
      ++counters_.consumed;
      if (counters_.behind && queue_.size() < capacity_ / 2 + 1) {
        counters_.behind = false;
        base::log_info("output", name_ + " caught up");
      }
      if (queue_.empty()) idle_cv_.notify_all();
    }
  }

  const std::string name_;
  const output_policy policy_;
  const size_t capacity_;
  consumer consume_;
  coalescer coalesce_;
  mutable std::mutex mutex_;
  std::condition_variable cv_, idle_cv_;
  std::deque<T> queue_;
  bool busy_with_front_ = false;
  bool stopping_ = false;
  output_counters counters_;
  std::thread thread_;  // last: starts after every other member is ready
};

}  // namespace endure::engine
