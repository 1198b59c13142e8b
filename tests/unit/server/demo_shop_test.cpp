// Integration tests of the demo shop (routes, session journey, counters, switches) and of
// demo_shop_main's flag handling, over real sockets on 127.0.0.1.
#include "server/demo_shop.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "server/demo_shop_main.hpp"
#include "server/http_server.hpp"
#include "unit/server/raw_client.hpp"

namespace endure::server {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using server_test::round_trip;
using server_test::get;
using server_test::post;
using server_test::raw_conn;

demo_shop_options opts() {
  demo_shop_options o;
  o.port = 0;
  return o;
}

class demo_shop_test : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(shop.start().ok()); }
  demo_shop shop{opts()};
};

TEST_F(demo_shop_test, pages_and_products) {
  const auto index = round_trip(shop.port(), get("/"));
  EXPECT_EQ(index.status, 200);
  EXPECT_NE(index.header("content-type").value_or("").find("text/html"), std::string::npos);
  EXPECT_EQ(round_trip(shop.port(), get("/about/")).status, 200);

  const auto list = round_trip(shop.port(), get("/products"));
  ASSERT_EQ(list.status, 200);
  const json products = json::parse(list.body);
  ASSERT_TRUE(products.is_array());
  EXPECT_EQ(products.size(), 20u);
  EXPECT_GT(list.body.size(), 700u);
  EXPECT_LT(list.body.size(), 2000u);
  for (const auto& p : products) {
    EXPECT_TRUE(p["id"].is_number_integer());
    EXPECT_TRUE(p["name"].is_string());
    EXPECT_TRUE(p["price"].is_number());
  }

  const auto one = round_trip(shop.port(), get("/products/123"));
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(json::parse(one.body)["id"], 123);
  EXPECT_EQ(round_trip(shop.port(), get("/products/200")).status, 200);
  EXPECT_EQ(round_trip(shop.port(), get("/products/0")).status, 404);
  EXPECT_EQ(round_trip(shop.port(), get("/products/999999")).status, 404);
  EXPECT_EQ(round_trip(shop.port(), get("/products/abc")).status, 404);

  const auto add = round_trip(shop.port(), post("/cart/add/7", R"({"quantity": 3})",
                                              "Content-Type: application/json\r\n"));
  ASSERT_EQ(add.status, 201);
  const json cart = json::parse(add.body);
  EXPECT_EQ(cart["items"][0]["id"], 7);
  EXPECT_EQ(cart["items"][0]["quantity"], 3);
  EXPECT_EQ(round_trip(shop.port(), post("/cart/add/100000", "")).status, 404);
}

TEST_F(demo_shop_test, login_cart_checkout_logout_journey) {
  raw_conn c(shop.port());
  // Without a session: cart and checkout need a login.
  ASSERT_TRUE(c.send(get("/cart")));
  EXPECT_EQ(c.read_response().status, 401);

  ASSERT_TRUE(c.send(post("/login", "username=ann&password=secret",
                          "Content-Type: application/x-www-form-urlencoded\r\n")));
  const auto login = c.read_response();
  ASSERT_EQ(login.status, 200);
  const std::string set_cookie = login.header("set-cookie").value_or("");
  ASSERT_EQ(set_cookie.rfind("session=", 0), 0u) << set_cookie;
  EXPECT_NE(set_cookie.find("Path=/"), std::string::npos);
  const std::string session = set_cookie.substr(8, set_cookie.find(';') - 8);
  EXPECT_GE(session.size(), 16u);
  const std::string cookie = "Cookie: session=" + session + "\r\n";

  ASSERT_TRUE(c.send(post("/checkout", "", cookie)));
  EXPECT_EQ(c.read_response().status, 409);  // empty cart

  ASSERT_TRUE(c.send(post("/cart/add/5", "", cookie)));
  EXPECT_EQ(c.read_response().status, 201);
  ASSERT_TRUE(c.send(post("/cart/add/5", "", cookie)));
  EXPECT_EQ(c.read_response().status, 201);
  ASSERT_TRUE(c.send(get("/cart", cookie)));
  const auto cart = c.read_response();
  ASSERT_EQ(cart.status, 200);
  EXPECT_EQ(json::parse(cart.body)["items"][0]["quantity"], 2);

  ASSERT_TRUE(c.send(post("/checkout", "", cookie)));
  const auto order = c.read_response();
  ASSERT_EQ(order.status, 200);
  EXPECT_TRUE(json::parse(order.body)["order_id"].is_string());
  ASSERT_TRUE(c.send(post("/checkout", "", cookie)));
  EXPECT_EQ(c.read_response().status, 409);  // the cart was emptied by the order

  ASSERT_TRUE(c.send(post("/logout", "", cookie)));
  const auto logout = c.read_response();
  EXPECT_EQ(logout.status, 200);
  EXPECT_NE(logout.header("set-cookie").value_or("").find("Max-Age=0"), std::string::npos);
  ASSERT_TRUE(c.send(get("/cart", cookie)));
  EXPECT_EQ(c.read_response().status, 401);  // the session is gone
}

TEST_F(demo_shop_test, json_login_and_bad_login) {
  const auto ok = round_trip(shop.port(), post("/login", R"({"username":"bob","password":"pw"})",
                                             "Content-Type: application/json\r\n"));
  EXPECT_EQ(ok.status, 200);
  EXPECT_TRUE(ok.header("set-cookie").has_value());
  EXPECT_EQ(round_trip(shop.port(), post("/login", "username=bob")).status, 401);
}

TEST_F(demo_shop_test, stats_count_requests_per_method_and_path) {
  raw_conn c(shop.port());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.send(get("/products")));
    ASSERT_EQ(c.read_response().status, 200);
  }
  ASSERT_TRUE(c.send(get("/products/123")));
  ASSERT_EQ(c.read_response().status, 200);
  ASSERT_TRUE(c.send(post("/cart/add/1", "")));
  ASSERT_EQ(c.read_response().status, 201);
  ASSERT_TRUE(c.send(get("/missing?x=1")));
  ASSERT_EQ(c.read_response().status, 404);

  ASSERT_TRUE(c.send(get("/__stats")));
  const auto stats = c.read_response();
  ASSERT_EQ(stats.status, 200);
  const json j = json::parse(stats.body);
  EXPECT_EQ(j["requests"]["GET /products"], 3);
  EXPECT_EQ(j["requests"]["GET /products/123"], 1);
  EXPECT_EQ(j["requests"]["POST /cart/add/1"], 1);
  EXPECT_EQ(j["requests"]["GET /missing"], 1);
  EXPECT_FALSE(j["requests"].contains("GET /__stats"));
  EXPECT_EQ(j["total"], 6);
  EXPECT_EQ(shop.count("GET /products"), 3u);
  EXPECT_EQ(shop.total(), 6u);
}

TEST(demo_shop_switches, error_rate_one_gives_500s) {
  demo_shop_options o = opts();
  o.error_rate = 1.0;
  demo_shop shop(o);
  ASSERT_TRUE(shop.start().ok());
  raw_conn c(shop.port());
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(c.send(get("/products/1")));
    EXPECT_EQ(c.read_response().status, 500);
  }
  EXPECT_EQ(shop.count("GET /products/1"), 10u);
  EXPECT_EQ(round_trip(shop.port(), get("/__stats")).status, 200);  // never failed
}

TEST(demo_shop_switches, latency_is_added_by_timer) {
  demo_shop_options o = opts();
  o.latency_ms = 80;
  demo_shop shop(o);
  ASSERT_TRUE(shop.start().ok());
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(round_trip(shop.port(), get("/")).status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 80ms);
}

TEST(demo_shop_switches, leak_retains_bytes_per_request) {
  demo_shop_options o = opts();
  o.leak = true;
  demo_shop shop(o);
  ASSERT_TRUE(shop.start().ok());
  raw_conn c(shop.port());
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(c.send(get("/products")));
    ASSERT_EQ(c.read_response().status, 200);
  }
  EXPECT_EQ(shop.leaked_bytes(), 100u * 256u);
  EXPECT_EQ(json::parse(shop.stats_json())["leaked_bytes"], 100 * 256);
}

TEST(demo_shop_switches, fault_modes_leak_memory_and_files_as_counted) {
  demo_shop_options o = opts();
  o.leak_kb_per_request = 4;
  o.fd_leak_every = 10;
  demo_shop shop(o);
  ASSERT_TRUE(shop.start().ok());
  raw_conn c(shop.port());
  for (int i = 0; i < 35; ++i) {
    ASSERT_TRUE(c.send(get("/products")));
    ASSERT_EQ(c.read_response().status, 200);
  }
  EXPECT_EQ(shop.leaked_bytes(), 35u * 4096u);
  EXPECT_EQ(shop.leaked_fds(), 4u);  // requests 1, 11, 21, 31
  EXPECT_EQ(json::parse(shop.stats_json())["leaked_fds"], 4);
}

TEST(demo_shop_args, parses_the_fault_modes) {
  const char* argv[] = {"demo-shop", "--leak-kb-per-request", "64", "--slowdown-ms-per-hour=120",
                        "--fd-leak-every", "100"};
  const auto r = parse_demo_shop_args(6, argv);
  ASSERT_TRUE(r.ok()) << r.err().message;
  EXPECT_EQ(r->leak_kb_per_request, 64u);
  EXPECT_EQ(r->slowdown_ms_per_hour, 120);
  EXPECT_EQ(r->fd_leak_every, 100u);
  const char* bad[] = {"demo-shop", "--fd-leak-every", "0"};
  const auto b = parse_demo_shop_args(3, bad);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.err().message.find("--fd-leak-every"), std::string::npos);
}

TEST(demo_shop_args, parses_every_flag) {
  const char* argv[] = {"demo-shop", "--port", "0", "--host=127.0.0.1", "--latency-ms", "5",
                        "--latency-jitter-ms", "2", "--error-rate", "0.25", "--leak",
                        "--threads", "2"};
  const auto r = parse_demo_shop_args(13, argv);
  ASSERT_TRUE(r.ok()) << r.err().message;
  EXPECT_EQ(r->port, 0);
  EXPECT_EQ(r->latency_ms, 5);
  EXPECT_EQ(r->latency_jitter_ms, 2);
  EXPECT_DOUBLE_EQ(r->error_rate, 0.25);
  EXPECT_TRUE(r->leak);
  EXPECT_EQ(r->threads, 2u);
}

TEST(demo_shop_args, bad_flags_name_the_flag_and_value) {
  const char* bad_rate[] = {"demo-shop", "--error-rate", "1.5"};
  const auto r = parse_demo_shop_args(3, bad_rate);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.err().message.find("--error-rate"), std::string::npos);
  EXPECT_NE(r.err().message.find("1.5"), std::string::npos);
  const char* unknown[] = {"demo-shop", "--frobnicate"};
  EXPECT_FALSE(parse_demo_shop_args(2, unknown).ok());
  const char* missing[] = {"demo-shop", "--port"};
  EXPECT_FALSE(parse_demo_shop_args(2, missing).ok());
}

TEST(demo_shop_main_fn, bad_flag_returns_2) {
  char a0[] = "demo-shop";
  char a1[] = "--port";
  char a2[] = "notaport";
  char* argv[] = {a0, a1, a2, nullptr};
  testing::internal::CaptureStderr();
  const int rc = demo_shop_main(3, argv);
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(rc, 2);
  EXPECT_NE(err.find("--port"), std::string::npos) << err;
  EXPECT_NE(err.find("notaport"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1);
}

TEST(demo_shop_main_fn, port_in_use_returns_2) {
  http_server taken;
  ASSERT_TRUE(taken.start().ok());
  std::string port = std::to_string(taken.port());
  char a0[] = "demo-shop";
  char a1[] = "--port";
  char* argv[] = {a0, a1, port.data(), nullptr};
  testing::internal::CaptureStderr();
  const int rc = demo_shop_main(3, argv);
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(rc, 2);
  EXPECT_NE(err.find("address already in use"), std::string::npos) << err;
}

TEST(demo_shop_main_fn, help_returns_0) {
  char a0[] = "demo-shop";
  char a1[] = "--help";
  char* argv[] = {a0, a1, nullptr};
  testing::internal::CaptureStdout();
  EXPECT_EQ(demo_shop_main(2, argv), 0);
  EXPECT_NE(testing::internal::GetCapturedStdout().find("--error-rate"), std::string::npos);
}

}  // namespace
}  // namespace endure::server
