#include <endure/endure.hpp>
using namespace endure;
using namespace std::chrono_literals;
// A task that does no I/O and no wait (a `pass` task) shares a shard with users that make
// requests: it must hand control back after every task, so they keep their pace and the test
// stops on time.
struct Idle : HttpUser {
  static void define(UserSpec<Idle>& u) { u.task("nothing", &Idle::nothing); }
  Task nothing() { co_return; }
};
struct Worker : HttpUser {
  static void define(UserSpec<Worker>& u) { u.wait_time(constant(0.01)).task("work", &Worker::work); }
  Task work() { co_await client.get("/"); }
};
ENDURE_USERS(Idle, Worker)
