// endure's C++ locustfile API: one include. See docs/cpp-locustfiles.md.
//   struct WebsiteUser : endure::HttpUser {
//     static void define(endure::spec<WebsiteUser>& u) { ... }
//     endure::Task index() { co_await client.get("/"); }
//   };
//   ENDURE_USERS(WebsiteUser)
#pragma once
#include "endure/control.hpp"
#include "endure/http.hpp"
#include "endure/shape.hpp"
#include "endure/task.hpp"
#include "endure/user.hpp"
#include "endure/wait_time.hpp"

namespace endure {
inline constexpr const char* version = "0.1.0";
}
