// environment().quit() from a task: the test stops as --run-time would, outputs written, and the
// log says so. A reset_stats listener reports --reset-stats after the ramp.
#include <endure/endure.hpp>

#include <atomic>
#include <cstdio>
using namespace endure;

namespace {
std::atomic<int> done{0};
}

void listen(events& ev) {
  ev.reset_stats.add_listener([](environment& env) {
    std::printf("EVENT reset_stats user_count=%llu\n", static_cast<unsigned long long>(env.user_count()));
    std::fflush(stdout);
  });
}
ENDURE_EVENTS(listen)

struct Quitter : HttpUser {
  static void define(auto& u) { u.wait_time(constant(0.01)); }
  ENDURE_TASK(work) {
    co_await client.get("/fast");
    if (++done == 50) environment().quit();
  }
};
ENDURE_USERS(Quitter)
