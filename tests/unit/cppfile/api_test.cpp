// The public C++ locustfile API without a run: format(), responses (empty ones, json() parsed
// once, failure() with arguments), ENDURE_TASK's names, weights, tags and order (with base
// classes and define()), event hooks, and what events.request.fire records.
#include <gtest/gtest.h>

#include <endure/endure.hpp>

#include "cppfile/cpp_environment.hpp"

using namespace endure;
using namespace std::chrono_literals;

TEST(cpp_api, format_fills_placeholders_in_order) {
  EXPECT_EQ(format("Failed to add to cart: {}", 500), "Failed to add to cart: 500");
  EXPECT_EQ(format("{} {} {}", "a", std::string("b"), std::string_view("c")), "a b c");
  EXPECT_EQ(format("{}/{}", 1.5, true), "1.5/true");
  EXPECT_EQ(format("{{}} {}", 'x'), "{} x");
  EXPECT_EQ(format("{} and {}", 1), "1 and {}");           // too few arguments: kept as written
  EXPECT_EQ(format("none", 1, 2), "none");                 // too many: left out
  EXPECT_EQ(format("id={}", json{{"id", 7}}), "id={\"id\":7}");
  EXPECT_EQ(format("{}", static_cast<uint64_t>(18446744073709551615ULL)), "18446744073709551615");
}

TEST(cpp_api, an_empty_response_is_safe_to_query) {
  response r;
  EXPECT_EQ(r.status_code(), 0);
  EXPECT_EQ(r.text(), "");
  EXPECT_EQ(r.reason(), "");
  EXPECT_EQ(r.url(), "");
  EXPECT_EQ(r.error(), "");
  EXPECT_EQ(r.header("Content-Type"), "");
  EXPECT_TRUE(r.headers().empty());
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(static_cast<bool>(r));
  EXPECT_EQ(r.elapsed().count(), 0);
  EXPECT_EQ(r.content_size(), 0u);
  r.success();
  r.failure("nothing to mark: {}", 1);
  r.finish();
  EXPECT_THROW(r.json(), json::parse_error);
  // Moved from: empty too.
  response moved = std::move(r);
  EXPECT_EQ(r.status_code(), 0);
}

namespace {
response make_response(std::string body, int status = 200) {
  auto* d = new detail::response_data();
  d->body = std::move(body);
  d->status = status;
  d->catch_response = true;
  return response(detail::response_data_ptr(d));
}
}  // namespace

TEST(cpp_api, json_is_parsed_once_and_failure_formats_its_message) {
  auto r = make_response(R"([{"id": 3}, {"id": 4}])", 503);
  json& first = r.json();
  EXPECT_EQ(first[0]["id"].get<int>(), 3);
  first[0]["id"] = 99;  // the same object comes back: it was parsed once
  EXPECT_EQ(&r.json(), &first);
  EXPECT_EQ(r.json()[0]["id"].get<int>(), 99);
  // A missing key is null (non-const access), not undefined behaviour.
  EXPECT_TRUE(r.json()[1]["missing"].is_null());

  r.failure("Failed to view product {}: {}", 123, r.status_code());
  response_view v = r;
  EXPECT_EQ(v.status_code(), 503);
  auto bad = make_response("<html>");
  EXPECT_THROW(bad.json(), json::parse_error);
  EXPECT_THROW(bad.json(), json::parse_error);  // still not JSON the second time
}

namespace {

struct Base : HttpUser {
  ENDURE_TASK(shared) { co_return; }
};

struct Shop : Base {
  static void define(auto& u) {
    u.wait_time(constant(1s)).host("http://shop").task("legacy", &Shop::legacy, 4).tag_task("browse", "b");
  }
  ENDURE_TASK(browse) { co_return; }
  ENDURE_TASK(buy, 3, "cart", "money") { co_return; }
  Task legacy() { co_return; }
};

struct NoDefine : User {
  ENDURE_TASK(only) { co_return; }
};

struct Sub : TaskSet<Shop> {
  ENDURE_TASK(inner, 2) { interrupt(); }
};

struct Outer;
struct Inner : TaskSet<Outer> {
  ENDURE_TASK(look) { co_return; }
};
struct Outer : HttpUser {
  ENDURE_TASK(first) { co_return; }
  ENDURE_TASK_SET(Inner, 5);
  ENDURE_TASK(last) { co_return; }
};

}  // namespace

TEST(cpp_api, task_sets_are_declared_in_the_class_in_order_with_the_tasks) {
  const auto& o = detail::spec_of<Outer>();
  ASSERT_EQ(o.tasks.size(), 3u);
  EXPECT_EQ(o.tasks[0].name, "first");
  EXPECT_EQ(o.tasks[1].name, "Inner");
  EXPECT_TRUE(o.tasks[1].is_task_set);
  EXPECT_EQ(o.tasks[1].weight, 5);
  EXPECT_EQ(o.tasks[1].nested, &detail::spec_of<Inner>());
  EXPECT_EQ(o.tasks[2].name, "last");
}

TEST(cpp_api, tasks_are_named_once_where_they_are_defined) {
  const auto& s = detail::spec_of<Shop>();
  ASSERT_EQ(s.tasks.size(), 4u);
  // Declaration order: the base class's task first, then this class's, then define()'s.
  EXPECT_EQ(s.tasks[0].name, "shared");
  EXPECT_EQ(s.tasks[1].name, "browse");
  EXPECT_EQ(s.tasks[1].weight, 1);
  EXPECT_EQ(s.tasks[1].tags, std::vector<std::string>{"b"});
  EXPECT_EQ(s.tasks[2].name, "buy");
  EXPECT_EQ(s.tasks[2].weight, 3);
  EXPECT_EQ(s.tasks[2].tags, (std::vector<std::string>{"cart", "money"}));
  EXPECT_EQ(s.tasks[3].name, "legacy");
  EXPECT_EQ(s.tasks[3].weight, 4);
  EXPECT_EQ(s.host, "http://shop");
  EXPECT_TRUE(static_cast<bool>(s.wait_time));
  // A class without define(), and a task set.
  const auto& n = detail::spec_of<NoDefine>();
  ASSERT_EQ(n.tasks.size(), 1u);
  EXPECT_EQ(n.tasks[0].name, "only");
  EXPECT_EQ(n.name, "NoDefine");
  const auto& t = detail::spec_of<Sub>();
  ASSERT_EQ(t.tasks.size(), 1u);
  EXPECT_EQ(t.tasks[0].name, "inner");
  EXPECT_EQ(t.tasks[0].weight, 2);
  // The base class alone has its own task only.
  EXPECT_EQ(detail::spec_of<Base>().tasks.size(), 1u);
}

TEST(cpp_api, hooks_call_listeners_in_order_and_report_what_they_throw) {
  static std::vector<std::string> errors;
  events ev;
  ev.for_each([](auto& h) {
    h.bind([](const char* hook, const char* what) noexcept { errors.push_back(std::string(hook) + ": " + what); });
  });
  std::vector<int> calls;
  ev.quit.add_listener([&](int code) { calls.push_back(code); });
  ev.quit.add_listener([](int) { throw std::runtime_error("boom"); });
  ev.quit.add_listener([&](int code) { calls.push_back(code * 10); });
  ev.quit.fire(3);
  EXPECT_EQ(calls, (std::vector<int>{3, 30}));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "quit: boom");
  ev.quit.seal();
  EXPECT_THROW(ev.quit.add_listener([](int) {}), std::logic_error);
}

TEST(cpp_api, request_fire_records_a_sample_with_locust_arguments) {
  request_event e{.request_type = "QUEUE", .name = "depth", .response_time_ms = 12.5,
                  .response_length = 3, .exception = "too deep"};
  auto s = cppfile::cpp_environment::sample_of(e, 1000.0);
  EXPECT_EQ(s.method, "QUEUE");
  EXPECT_EQ(s.name, "depth");
  EXPECT_EQ(s.latency_us, 12500);
  EXPECT_EQ(s.intended_latency_us, 12500);
  EXPECT_EQ(s.content_bytes, 3u);
  EXPECT_EQ(s.error, "too deep");
  EXPECT_DOUBLE_EQ(s.wall_s, 1000.0);
  e.start_time = 50;
  e.response_time_ms = -4;  // nonsense is clamped, not recorded as a huge unsigned latency
  s = cppfile::cpp_environment::sample_of(e, 1000.0);
  EXPECT_EQ(s.latency_us, 0);
  EXPECT_DOUBLE_EQ(s.wall_s, 50.0);
}
