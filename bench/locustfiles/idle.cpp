// Memory benchmark scenario (C++): mostly idle users, between(5, 10) s waits, one small GET.
#include <endure/endure.hpp>
using namespace endure;
using namespace std::chrono_literals;

struct IdleUser : HttpUser {
  static void define(UserSpec<IdleUser>& u) {
    u.wait_time(between(5s, 10s)).task("index", &IdleUser::index);
  }

  Task index() { co_await client.get("/"); }
};
ENDURE_USERS(IdleUser)
