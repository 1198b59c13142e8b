// Compiles with a warning: shown on every run, also when the library comes from the cache.
#include <endure/endure.hpp>
using namespace endure;
#warning "endure test: this locustfile is a draft"

struct Draft : HttpUser {
  ENDURE_TASK(index) { co_await client.get("/"); }
};
ENDURE_USERS(Draft)
