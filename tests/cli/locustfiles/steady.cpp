// A light, steady load for the soak verdict's control run: GET / every 20 ms per user.
#include <endure/endure.hpp>
using namespace endure;
using namespace std::chrono_literals;

struct SteadyUser : HttpUser {
  static void define(UserSpec<SteadyUser>& u) {
    u.wait_time(constant(20ms)).task("index", &SteadyUser::index);
  }

  Task index() { co_await client.get("/"); }
};
ENDURE_USERS(SteadyUser)
