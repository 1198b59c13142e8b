// A request kept in a variable and never awaited compiles (the variable is "used") but sends
// nothing: the run says so in its exceptions table.
#include <endure/endure.hpp>
using namespace endure;
using namespace std::chrono_literals;

struct Forgetful : HttpUser {
  static void define(auto& u) { u.wait_time(constant(50ms)); }
  ENDURE_TASK(index) {
    auto pending = client.get("/fast");
    co_await client.get("/status/204");
  }
};
ENDURE_USERS(Forgetful)
