#include <endure/endure.hpp>
using namespace endure;
struct Beta : HttpUser {
  static void define(UserSpec<Beta>& u) { u.host("http://127.0.0.1:1").task("only", &Beta::only); }
  Task only() { co_await client.get("/b"); }
};
struct Gamma : HttpUser {
  static void define(UserSpec<Gamma>& u) { u.host("http://127.0.0.1:1").task("only", &Gamma::only); }
  Task only() { co_await client.get("/g"); }
};
ENDURE_USERS(Beta, Gamma)
