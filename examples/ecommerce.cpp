// The e-commerce seed example, line for line in C++.
//   endure -f examples/ecommerce.cpp --headless -u 100 -r 10 --run-time 1h
#include <endure/endure.hpp>
using namespace endure;
using namespace std::chrono_literals;

struct EcommerceUser : HttpUser {
  static void define(auto& u) { u.wait_time(between(2s, 10s)).host("http://localhost:8080"); }

  ENDURE_TASK(browse_and_add_to_cart) {
    auto response = co_await client.get("/products", {.catch_response = true});
    if (response.status_code() == 200 && !response.text().empty()) {
      auto product_id = response.json()[0]["id"].get<int>();
      auto add_response = co_await client.post(format("/cart/add/{}", product_id),
                                               {.json = {{"quantity", 1}}, .catch_response = true});
      if (add_response.status_code() != 201)
        add_response.failure("Failed to add to cart: {}", add_response.status_code());
    }  // a caught response is reported when it goes out of scope, like Python's `with`
  }

  ENDURE_TASK(view_product_details, 2) {  // twice as likely
    auto response = co_await client.get("/products/123", {.catch_response = true});
    if (response.status_code() != 200)
      response.failure("Failed to view product details: {}", response.status_code());
  }
};
ENDURE_USERS(EcommerceUser)
