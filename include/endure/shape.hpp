// Load shapes (Locust's LoadTestShape): a class whose tick() says, about once a second, how many
// users should run and at which spawn rate; returning std::nullopt ends the test. Export one with
// ENDURE_SHAPE(MyShape). With a shape, -u and -r are not used; --run-time still ends the test.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace endure {

struct shape_tick {
  uint64_t users = 0;
  double spawn_rate = 1;                  // users started (or stopped) per second
  std::vector<std::string> user_classes;  // empty: every class, by weight
};

class LoadTestShape {
 public:
  virtual ~LoadTestShape() = default;
  // Called on the runner's control thread, about once a second.
  virtual std::optional<shape_tick> tick() = 0;

  // Seconds since the test started (Locust's get_run_time()).
  double get_run_time() const { return run_time_s_; }
  // Users running now (Locust's get_current_user_count()).
  uint64_t get_current_user_count() const { return user_count_; }

  void set_state(double run_time_s, uint64_t user_count) {  // engine use, before each tick()
    run_time_s_ = run_time_s;
    user_count_ = user_count;
  }

 private:
  double run_time_s_ = 0;
  uint64_t user_count_ = 0;
};

}  // namespace endure

// Exports the locustfile's load shape: ENDURE_SHAPE(StagesShape)
#define ENDURE_SHAPE(T)                                                               \
  extern "C" __attribute__((visibility("default"))) ::endure::LoadTestShape*          \
  endure_make_shape_v1() {                                                            \
    return new T();                                                                   \
  }
