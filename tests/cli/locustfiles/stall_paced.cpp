#include <endure/endure.hpp>
using namespace endure;
using namespace std::chrono_literals;
// Paced users (a request every 25 ms each) against a stalling shop: their intended-start latency
// must carry the whole delay of every iteration the stall pushed back.
struct Paced : HttpUser {
  static void define(UserSpec<Paced>& u) { u.wait_time(constant_pacing(25ms)).task("get", &Paced::get); }
  Task get() { co_await client.get("/"); }
};
ENDURE_USERS(Paced)
