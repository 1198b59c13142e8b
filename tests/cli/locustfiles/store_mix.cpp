// Requests that succeed, fail (404) and tasks that raise, with short waits: every table of the
// run store and every CSV file has rows. For the store's CLI tests.
#include <endure/endure.hpp>
#include <stdexcept>
using namespace endure;

struct Shopper : HttpUser {
  static void define(UserSpec<Shopper>& u) {
    u.wait_time(constant(0.02))
        .task("browse", &Shopper::browse, 6)
        .task("missing", &Shopper::missing)
        .task("boom", &Shopper::boom);
  }
  Task browse() { co_await client.get("/products"); }
  Task missing() { co_await client.get("/no/such/page"); }
  Task boom() {
    co_await client.get("/products/123");
    throw std::runtime_error("out of stock");
  }
};

struct Browser : HttpUser {
  static void define(UserSpec<Browser>& u) {
    u.wait_time(constant(0.05)).weight(2).task("details", &Browser::details);
  }
  Task details() { co_await client.get("/products/123"); }
};
ENDURE_USERS(Shopper, Browser)
