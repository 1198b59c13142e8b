// A task without co_await or co_return is not a coroutine: it must not compile.
#include <endure/endure.hpp>
using namespace endure;

struct Forgetful : HttpUser {
  ENDURE_TASK(nothing) { }
};
ENDURE_USERS(Forgetful)
