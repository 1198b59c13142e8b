#include <endure/endure.hpp>
using namespace endure;
struct NoHost : HttpUser {
  static void define(UserSpec<NoHost>& u) { u.task("t", &NoHost::t); }
  Task t() { co_await client.get("/"); }
};
ENDURE_USERS(NoHost)
