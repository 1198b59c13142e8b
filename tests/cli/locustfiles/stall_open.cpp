#include <endure/endure.hpp>
using namespace endure;
// One request per iteration, for the open model's ground truth against a stalling shop.
struct Probe : HttpUser {
  static void define(UserSpec<Probe>& u) { u.task("get", &Probe::get); }
  Task get() { co_await client.get("/"); }
};
ENDURE_USERS(Probe)
