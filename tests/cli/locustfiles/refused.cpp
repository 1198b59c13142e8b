#include <endure/endure.hpp>
using namespace endure;
using namespace std::chrono_literals;
// Every request goes to a closed port: each one is a failure, the run still ends on time.
struct Refused : HttpUser {
  static void define(UserSpec<Refused>& u) {
    u.host("http://127.0.0.1:1").wait_time(constant(100ms)).task("t", &Refused::t);
  }
  Task t() { co_await client.get("/nothing"); }
};
ENDURE_USERS(Refused)
