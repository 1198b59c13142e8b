#include <endure/endure.hpp>
using namespace endure;
// The open model's timer on its own: each arrival's iteration records one "iteration" event and
// makes no request, so the achieved rate and the timer's lateness are the scheduler's alone.
struct Probe : User {
  static void define(UserSpec<Probe>& u) { u.task("tick", &Probe::tick); }
  Task tick() {
    environment().events().request.fire({.request_type = "ARRIVAL", .name = "iteration",
                                         .response_time_ms = 0, .response_length = 0});
    co_return;
  }
};
ENDURE_USERS(Probe)
