// Locust's events from a C++ locustfile: every run event in order, request listeners that see the
// engine's requests and the fired ones, request.fire from a task and from a thread of its own,
// the locustfile's own options in parsed_options, the environment's user count and totals.
#include <endure/endure.hpp>

#include <atomic>
#include <cstdio>
#include <thread>
using namespace endure;
using namespace std::chrono_literals;

namespace {
std::atomic<uint64_t> seen{0}, seen_ok{0}, with_response{0}, with_context{0};
std::thread metrics;

void say(const std::string& line) {
  std::printf("EVENT %s\n", line.c_str());
  std::fflush(stdout);
}
}  // namespace

void listen(events& ev) {
  ev.init_command_line_parser.add_listener([](parser& p) {
    p.add_argument("--shop-user", {.default_value = "ada", .help = "who logs in"});
    p.add_argument("--count", {.type = arg_type::integer, .default_value = "1", .help = "a number"});
    p.add_argument("--ratio", {.type = arg_type::number, .default_value = "0.5", .help = "a number"});
    p.add_argument("--fast", {.type = arg_type::flag, .help = "a switch"});
    p.add_argument("--mode", {.default_value = "fast", .help = "a choice", .choices = {"fast", "slow"}});
  });
  ev.init.add_listener([](environment& env) {
    const auto& o = env.parsed_options();
    say(format("init users={} shop_user={} count={} ratio={} fast={} mode={}", o["num_users"],
               o["shop_user"].get<std::string>(), o["count"].get<int64_t>(), o["ratio"].get<double>(),
               o["fast"].get<bool>(), o["mode"].get<std::string>()));
  });
  ev.test_start.add_listener([](environment& env) {
    // The options as this test sees them (the web UI's form may have changed them since init).
    const auto& o = env.parsed_options();
    say(format("test_start count={} mode={} fast={}", o["count"].get<int64_t>(), o["mode"].get<std::string>(),
               o["fast"].get<bool>()));
    // A custom metric from a thread of the locustfile's own, while the test runs.
    metrics = std::thread([&env] {
      env.events().request.fire({.request_type = "METRIC", .name = "from a thread",
                                 .response_time_ms = 7, .response_length = 1});
    });
  });
  ev.spawning_complete.add_listener([](environment& env, uint64_t n) {
    say(format("spawning_complete {} user_count={}", n, env.user_count()));
  });
  ev.reset_stats.add_listener([](environment&) { say("reset_stats"); });
  ev.test_stopping.add_listener([](environment&) { say("test_stopping"); });
  ev.test_stop.add_listener([](environment& env) {
    if (metrics.joinable()) metrics.join();
    auto t = env.stats_total();
    say(format("test_stop requests={} ok={} total={} failures={} with_response={} with_context={}",
               seen.load(), seen_ok.load(), t.num_requests, t.num_failures, with_response.load(),
               with_context.load()));
  });
  ev.quitting.add_listener([](environment&) { say("quitting"); });
  ev.quit.add_listener([](int code) { say(format("quit {}", code)); });
  ev.request.add_listener([](const request_event& e) {
    ++seen;
    if (e.exception.empty()) ++seen_ok;
    if (e.response != nullptr && e.response->status_code() > 0) ++with_response;
    if (e.context != nullptr && (*e.context)["tag"] == "ctx") ++with_context;
  });
}
ENDURE_EVENTS(listen)

struct CustomClient : User {
  static void define(auto& u) { u.fixed_count(1); }
  ENDURE_TASK(custom) {
    environment().events().request.fire(
        {.request_type = "CUSTOM", .name = "fired", .response_time_ms = 12.5, .response_length = 3});
    environment().events().request.fire({.request_type = "CUSTOM", .name = "fired-fail",
                                         .response_time_ms = 1, .exception = "custom failure"});
    co_await sleep(10ms);
    stop();
  }
};

struct Web : HttpUser {
  static void define(auto& u) { u.wait_time(between(1ms, 2ms)).fixed_count(2); }
  ENDURE_TASK(get) {
    if (environment().user_count() < 1) throw std::logic_error("no users?");
    co_await client.get("/fast", {.context = {{"tag", "ctx"}}});
    co_await client.get("/status/503");
  }
};
ENDURE_USERS(CustomClient, Web)
