#include <endure/endure.hpp>
using namespace endure;
// A login per session (on_start) and a logout (on_stop): session churn repeats both.
struct Shopper : HttpUser {
  static void define(UserSpec<Shopper>& u) {
    u.wait_time(constant(0.05));
    u.task("browse", &Shopper::browse);
  }
  Task on_start() override { co_await client.get("/", {.name = "login"}); }
  Task on_stop() override { co_await client.get("/", {.name = "logout"}); }
  Task browse() { co_await client.get("/products"); }
};
ENDURE_USERS(Shopper)
