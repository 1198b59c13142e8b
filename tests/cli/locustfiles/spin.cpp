#include <endure/endure.hpp>
#include <atomic>
using namespace endure;
// One task makes a request, the other never yields (a CPU loop): the run must still end on time
// with its outputs, abandoning the stuck thread.
std::atomic<bool> forever{true};
struct Spinner : HttpUser {
  static void define(UserSpec<Spinner>& u) { u.host("http://127.0.0.1:1").task("spin", &Spinner::spin); }
  Task spin() {
    co_await client.get("/before-spin");
    while (forever.load(std::memory_order_relaxed)) {
    }
  }
};
ENDURE_USERS(Spinner)
