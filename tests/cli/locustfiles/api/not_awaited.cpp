// A request whose co_await is forgotten is never sent: it must not compile.
#include <endure/endure.hpp>
using namespace endure;

struct Forgetful : HttpUser {
  ENDURE_TASK(index) {
    client.get("/");
    co_return;
  }
};
ENDURE_USERS(Forgetful)
