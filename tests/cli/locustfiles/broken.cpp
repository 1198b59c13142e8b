#include <endure/endure.hpp>
using namespace endure;

struct Broken : HttpUser {
  static void define(UserSpec<Broken>& u) { u.task("t", &Broken::t); }
  Task t() { co_await client.get(this_is_not_declared); }
};
ENDURE_USERS(Broken)
