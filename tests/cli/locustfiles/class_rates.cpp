#include <endure/endure.hpp>
using namespace endure;
// Per-class arrival rates (the open model): Buyer has its own 10/s; Browser shares --arrival-rate.
struct Buyer : HttpUser {
  static void define(UserSpec<Buyer>& u) {
    u.arrival_rate(10);
    u.task("buy", &Buyer::buy);
  }
  Task buy() { co_await client.get("/", {.name = "buy"}); }
};
struct Browser : HttpUser {
  static void define(UserSpec<Browser>& u) { u.task("browse", &Browser::browse); }
  Task browse() { co_await client.get("/products", {.name = "browse"}); }
};
ENDURE_USERS(Buyer, Browser)
