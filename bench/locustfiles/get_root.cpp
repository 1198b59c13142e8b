// Benchmark scenario (C++): GET / in a tight loop, no wait. Same as get_root_http.py.
#include <endure/endure.hpp>
using namespace endure;
using namespace std::chrono_literals;

struct RootUser : HttpUser {
  static void define(UserSpec<RootUser>& u) {
    u.wait_time(constant(0s)).task("index", &RootUser::index);
  }

  Task index() { co_await client.get("/"); }
};
ENDURE_USERS(RootUser)
