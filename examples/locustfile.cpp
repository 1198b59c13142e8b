// The seed example, in C++: run it exactly as Locust is run.
//   endure -f examples/locustfile.cpp --host http://localhost:8080 --headless -u 100 -r 10 --run-time 7d
#include <endure/endure.hpp>
using namespace endure;
using namespace std::chrono_literals;

struct WebsiteUser : HttpUser {
  static void define(auto& u) { u.wait_time(between(1s, 5s)).host("http://localhost:8080"); }

  ENDURE_TASK(index) { co_await client.get("/"); }

  ENDURE_TASK(about, 2) { co_await client.get("/about/"); }
};
ENDURE_USERS(WebsiteUser)
