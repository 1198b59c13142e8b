// Requests grouped by name=: the failures table shows the name, the log the real URL.
#include <endure/endure.hpp>
using namespace endure;
using namespace std::chrono_literals;

struct Named : HttpUser {
  static void define(auto& u) { u.wait_time(constant(10ms)); }
  ENDURE_TASK(get) {
    co_await client.get("/status/503", {.name = "/status/[code]"});
    co_await client.get("/fast", {.name = "/fast-named"});
  }
};
ENDURE_USERS(Named)
