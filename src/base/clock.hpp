// base::clock: the only source of time for pure modules. Production code uses steady_clock and
// system_clock; tests use manual_clock. Not thread-safe by itself (manual_clock is test-only).
#pragma once
#include <chrono>
#include <cstdint>

namespace endure::base {

// Monotonic nanoseconds since an arbitrary epoch.
inline int64_t mono_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Wall-clock seconds since the Unix epoch (for timestamps in reports).
inline double wall_now_s() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

class clock {
 public:
  virtual ~clock() = default;
  virtual int64_t mono_ns() const = 0;
  virtual double wall_s() const = 0;
};

class system_clock final : public clock {
 public:
  int64_t mono_ns() const override { return mono_now_ns(); }
  double wall_s() const override { return wall_now_s(); }
};

class manual_clock final : public clock {
 public:
  int64_t mono_ns() const override { return mono_ns_; }
  double wall_s() const override { return wall_s_ + static_cast<double>(mono_ns_) / 1e9; }
  void advance(std::chrono::nanoseconds d) { mono_ns_ += d.count(); }
  void set_wall(double s) { wall_s_ = s; }

 private:
  int64_t mono_ns_ = 0;
  double wall_s_ = 1'700'000'000.0;
};

}  // namespace endure::base
