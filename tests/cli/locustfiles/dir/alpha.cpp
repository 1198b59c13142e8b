#include <endure/endure.hpp>
using namespace endure;
struct Alpha : HttpUser {
  static void define(UserSpec<Alpha>& u) {
    u.host("http://127.0.0.1:1").weight(3).task("one", &Alpha::one, 1).task("two", &Alpha::two, 3);
  }
  Task one() { co_await client.get("/1"); }
  Task two() { co_await client.get("/2"); }
};
ENDURE_USERS(Alpha)
