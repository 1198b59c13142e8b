// endure's C++ locustfile API: one include. See docs/cpp-locustfiles.md.
//   struct WebsiteUser : endure::HttpUser {
//     static void define(auto& u) { u.wait_time(endure::between(1s, 5s)); }
//     ENDURE_TASK(index) { co_await client.get("/"); }
//   };
//   ENDURE_USERS(WebsiteUser)
#pragma once
#include "endure/control.hpp"
#include "endure/events.hpp"
#include "endure/format.hpp"
#include "endure/http.hpp"
#include "endure/shape.hpp"
#include "endure/task.hpp"
#include "endure/user.hpp"
#include "endure/wait_time.hpp"

namespace endure {
inline constexpr const char* version = "0.1.0";
}
