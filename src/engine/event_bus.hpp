// engine::bus: publish/subscribe with handles. Handlers run on the publishing thread (the control
// thread for the run bus, the totals thread for the snapshot bus), in subscription order, and must
// not block: outputs wrap themselves in engine::async_output. Subscribing and leaving are
// thread-safe and allowed mid-run (a web client joins and leaves); after subscription::reset()
// returns, the handler is not running and will not run again (reset() from inside the handler
// itself is allowed).
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <variant>
#include <vector>

#include "stats/interval_record.hpp"

namespace endure::engine {

namespace detail {
struct bus_slot {
  std::atomic<bool> alive{true};
  std::mutex calling;  // held while the handler runs
};
inline thread_local const bus_slot* calling_slot = nullptr;
}  // namespace detail

class subscription {
 public:
  subscription() = default;
  subscription(std::shared_ptr<detail::bus_slot> s, std::function<void()> remove)
      : slot_(std::move(s)), remove_(std::move(remove)) {}
  subscription(subscription&& o) noexcept = default;
  subscription& operator=(subscription&& o) noexcept {
    if (this != &o) {
      reset();
      slot_ = std::move(o.slot_);
      remove_ = std::move(o.remove_);
    }
    return *this;
  }
  subscription(const subscription&) = delete;
  subscription& operator=(const subscription&) = delete;
  ~subscription() { reset(); }

  void reset() {
    if (!slot_) return;
    slot_->alive.store(false);
    // Wait for a call in progress on another thread (not for our own: reset from the handler).
    if (detail::calling_slot != slot_.get()) std::lock_guard wait(slot_->calling);
    if (remove_) remove_();
    slot_.reset();
    remove_ = nullptr;
  }
  bool active() const { return slot_ != nullptr; }

 private:
  std::shared_ptr<detail::bus_slot> slot_;
  std::function<void()> remove_;
};

template <class T>
class bus {
 public:
  using handler = std::function<void(const T&)>;

  bus() : state_(std::make_shared<state>()) {}
  bus(const bus&) = delete;
  bus& operator=(const bus&) = delete;

  // Any thread. The handler sees every item published after this returns.
  [[nodiscard]] subscription subscribe(handler h) {
    auto e = std::make_shared<entry>();
    e->fn = std::move(h);
    e->slot = std::make_shared<detail::bus_slot>();
    {
      std::lock_guard lock(state_->mutex);
      auto next = std::make_shared<list>(*state_->entries);
      next->push_back(e);
      state_->entries = std::move(next);
    }
    std::weak_ptr<state> weak = state_;
    entry* raw = e.get();
    return subscription(e->slot, [weak, raw] {
      auto st = weak.lock();
      if (!st) return;
      std::lock_guard lock(st->mutex);
      auto next = std::make_shared<list>();
      for (const auto& x : *st->entries)
        if (x.get() != raw) next->push_back(x);
      st->entries = std::move(next);
    });
  }

  // Calls every live handler with item, on this thread. Never throws: a throwing handler is a
  // bug in that output and is isolated from the others.
  void publish(const T& item) const {
    std::shared_ptr<const list> now;
    {
      std::lock_guard lock(state_->mutex);
      now = state_->entries;
    }
    for (const auto& e : *now) {
      if (!e->slot->alive.load()) continue;
      std::lock_guard calling(e->slot->calling);
      if (!e->slot->alive.load()) continue;
      const auto* outer = detail::calling_slot;
      detail::calling_slot = e->slot.get();
      try {
        e->fn(item);
      } catch (...) {
      }
      detail::calling_slot = outer;
    }
  }

  size_t subscribers() const {
    std::lock_guard lock(state_->mutex);
    return state_->entries->size();
  }

 private:
  struct entry {
    handler fn;
    std::shared_ptr<detail::bus_slot> slot;
  };
  using list = std::vector<std::shared_ptr<entry>>;
  struct state {
    mutable std::mutex mutex;
    std::shared_ptr<const list> entries = std::make_shared<list>();
  };
  std::shared_ptr<state> state_;
};

// What happens in a test, in order with its interval records on the run bus.
enum class event_kind {
  test_start,         // a test started; detail: what it runs
  targets_changed,    // new user targets (edit, shape stage); detail: the targets
  spawning_complete,  // the targets are reached; user_count
  stats_reset,        // statistics start again from here
  test_stopping,      // the test is stopping; detail: why ("run time", "signal", ...)
  test_stop,          // every user is gone (or abandoned); the test's final record came before
  stuck,              // a shard stopped answering (user code that never yields); detail: where
  warning,            // something the timeline should show; detail: what
  threshold,          // a threshold's result at the end of a test; detail: its line
  verdict,            // a soak verdict row at the end of a test (not STABLE); detail: its line
  resumed,            // a master restarted on its store carries the run on; detail: its downtime
};
const char* to_string(event_kind k);

struct run_event {
  event_kind kind = event_kind::test_start;
  double wall_s = 0;
  uint64_t test = 0;
  uint64_t user_count = 0;
  std::string detail;
};

// The run bus carries interval records and events, in the order they happened.
using run_item = std::variant<stats::record_ptr, run_event>;
using run_bus = bus<run_item>;

}  // namespace endure::engine
