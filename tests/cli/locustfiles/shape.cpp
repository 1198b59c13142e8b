#include <endure/endure.hpp>
using namespace endure;
using namespace std::chrono_literals;

struct Visitor : HttpUser {
  static void define(UserSpec<Visitor>& u) {
    u.host("http://127.0.0.1:1").wait_time(constant(50ms)).task("look", &Visitor::look);
  }
  Task look() { co_return; }  // no traffic needed: the test watches the user count
};

// Two stages, then the end of the test (Locust's StagesShape pattern).
struct Stages : LoadTestShape {
  std::optional<shape_tick> tick() override {
    double t = get_run_time();
    if (t < 2.5) return shape_tick{.users = 4, .spawn_rate = 100};
    if (t < 5.0) return shape_tick{.users = 1, .spawn_rate = 100};
    return std::nullopt;
  }
};

ENDURE_USERS(Visitor)
ENDURE_SHAPE(Stages)
