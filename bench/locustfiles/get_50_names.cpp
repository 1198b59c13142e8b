// Benchmark scenario (C++): GET / in a tight loop, no wait, under 50 request names (name=), so
// every interval carries 50 entries: the run store's overhead at the maximum request rate.
#include <endure/endure.hpp>

#include <array>
#include <string>
using namespace endure;
using namespace std::chrono_literals;

namespace {
const std::array<std::string, 50> names = [] {
  std::array<std::string, 50> n;
  for (size_t i = 0; i < n.size(); ++i) n[i] = "/item/" + std::to_string(i);
  return n;
}();
}  // namespace

struct NamesUser : HttpUser {
  static void define(UserSpec<NamesUser>& u) {
    u.wait_time(constant(0s)).task("index", &NamesUser::index);
  }

  Task index() {
    request_options o{.name = names[next_++ % names.size()]};  // g++ 12: no braced temporaries in co_await
    co_await client.get("/", o);
  }

 private:
  size_t next_ = 0;
};
ENDURE_USERS(NamesUser)
