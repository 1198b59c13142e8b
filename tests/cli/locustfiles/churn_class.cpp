#include <endure/endure.hpp>
using namespace endure;
using namespace std::chrono_literals;
// Session churn for one class only (u.session_length): Churner logs in about once a second,
// Stayer once for the whole run.
struct Churner : HttpUser {
  static void define(UserSpec<Churner>& u) {
    u.fixed_count(1).wait_time(constant(50ms)).session_length(1s, 1s);
    u.task("browse", &Churner::browse);
  }
  Task on_start() override { co_await client.get("/", {.name = "churner login"}); }
  Task browse() { co_await client.get("/products"); }
};
struct Stayer : HttpUser {
  static void define(UserSpec<Stayer>& u) {
    u.fixed_count(1).wait_time(constant(50ms));
    u.task("browse", &Stayer::browse);
  }
  Task on_start() override { co_await client.get("/", {.name = "stayer login"}); }
  Task browse() { co_await client.get("/products"); }
};
ENDURE_USERS(Churner, Stayer)
