#include <endure/endure.hpp>
#include <stdexcept>
#include <string>
using namespace endure;
// Users that never wait and whose task raises at once, each time with a new message (a KeyError
// on data that is not there): they must be recorded, keep going at full speed, and stay bounded.
struct Flood : HttpUser {
  static void define(UserSpec<Flood>& u) { u.host("http://127.0.0.1:1").task("boom", &Flood::boom); }
  int n = 0;
  Task boom() {
    throw std::runtime_error("missing key 'item-" + std::to_string(++n) + "'");
    co_return;
  }
};
ENDURE_USERS(Flood)
