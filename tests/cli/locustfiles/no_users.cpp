#include <endure/endure.hpp>
// A valid C++ file that forgets ENDURE_USERS(...).
struct Lonely : endure::HttpUser {
  static void define(endure::UserSpec<Lonely>&) {}
};
