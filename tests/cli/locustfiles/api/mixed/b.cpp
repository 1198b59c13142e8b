#include <endure/endure.hpp>
struct B : endure::HttpUser {
  ENDURE_TASK(index) { co_await client.get("/"); }
};
ENDURE_USERS(B)
