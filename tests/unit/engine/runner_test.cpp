// Engine runs of about a second against the in-process test server: server-side counts are
// compared exactly with the statistics the engine reports.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "endure/endure.hpp"
#include "engine/async_output.hpp"
#include "support/engine_run.hpp"
#include "support/test_server.hpp"

using namespace endure;
using namespace std::chrono_literals;
using endure::test_support::test_server;

namespace {

const stats::row* find_row(const stats::snapshot& s, const std::string& method, const std::string& name) {
  for (const auto& r : s.rows)
    if (r.method == method && r.name == name) return &r;
  return nullptr;
}

uint64_t requests_of(const stats::snapshot& s, const std::string& method, const std::string& name) {
  auto* r = find_row(s, method, name);
  return r ? r->num_requests : 0;
}

stats::snapshot_ptr run_classes(std::vector<const detail::class_spec*> classes, test_support::run_config cfg) {
  test_support::runner r(cfg, std::move(classes));
  return r.run();
}

test_support::run_config config_for(const test_server& srv, uint64_t users, std::chrono::milliseconds t) {
  test_support::run_config c;
  c.users = users;
  c.spawn_rate = 1000;
  c.run_time = t;
  c.threads = 2;
  c.host = srv.base_url();
  c.seed = 42;
  c.client.request_timeout = 5s;
  // Exact server-side comparisons need the last requests to finish: a killed request reached
  // the server but is not a result (as in Locust).
  c.stop_timeout = 5s;
  return c;
}

struct WeightedUser : HttpUser {
  static void define(UserSpec<WeightedUser>& u) {
    u.wait_time(constant(0.002)).task("index", &WeightedUser::index).task("about", &WeightedUser::about, 2);
  }
  Task index() { co_await client.get("/status/200"); }
  Task about() { co_await client.get("/fast"); }
};

}  // namespace

TEST(engine_run, weighted_tasks_counts_match_server_exactly) {
  test_server srv;
  auto snap = run_classes({&detail::spec_of<WeightedUser>()}, config_for(srv, 10, 1200ms));
  ASSERT_TRUE(snap);
  EXPECT_TRUE(snap->is_final);
  uint64_t index = requests_of(*snap, "GET", "/status/200");
  uint64_t about = requests_of(*snap, "GET", "/fast");
  EXPECT_EQ(index, srv.count("GET /status/200"));
  EXPECT_EQ(about, srv.count("GET /fast"));
  EXPECT_EQ(snap->aggregated.num_requests, srv.total());
  EXPECT_EQ(snap->aggregated.num_failures, 0u);
  ASSERT_GT(index, 100u);
  EXPECT_NEAR(static_cast<double>(about) / static_cast<double>(index), 2.0, 0.25);
  EXPECT_GT(snap->aggregated.percentiles_ms[0], 0.0);
  EXPECT_DOUBLE_EQ(snap->aggregated.percentiles_ms[10], snap->aggregated.max_ms);
}

namespace {
struct CatchUser : HttpUser {
  static void define(UserSpec<CatchUser>& u) { u.task("t", &CatchUser::t); }
  Task t() {
    {
      request_options o{.name = "manual-fail", .catch_response = true};  // g++ 12: no braced temporaries in co_await
      auto r = co_await client.get("/status/200", o);
      if (r.status_code() == 200) r.failure("Failed on purpose: " + std::to_string(r.status_code()));
    }
    {
      request_options o{.name = "forgiven", .catch_response = true};
      auto r = co_await client.get("/status/404", o);
      if (r.status_code() == 404) r.success();
    }
    {
      request_options o{.name = "default-rule", .catch_response = true};
      auto r = co_await client.get("/status/503", o);
    }
    request_options plain{.name = "plain-500"};
    co_await client.get("/status/500", plain);
    stop();
  }
};
}  // namespace

TEST(engine_run, catch_response_success_failure_and_default_rule) {
  test_server srv;
  auto snap = run_classes({&detail::spec_of<CatchUser>()}, config_for(srv, 3, 800ms));
  ASSERT_TRUE(snap);
  auto* mf = find_row(*snap, "GET", "manual-fail");
  auto* fg = find_row(*snap, "GET", "forgiven");
  auto* dr = find_row(*snap, "GET", "default-rule");
  auto* p5 = find_row(*snap, "GET", "plain-500");
  ASSERT_TRUE(mf && fg && dr && p5);
  EXPECT_EQ(mf->num_requests, 3u);
  EXPECT_EQ(mf->num_failures, 3u);
  EXPECT_EQ(fg->num_failures, 0u);
  EXPECT_EQ(dr->num_failures, 3u);
  EXPECT_EQ(p5->num_failures, 3u);
  bool saw_manual = false, saw_http = false;
  for (const auto& f : snap->failures) {
    if (f.name == "manual-fail") {
      EXPECT_EQ(f.error, "CatchResponseError('Failed on purpose: 200')");  // Locust's text
      EXPECT_EQ(f.occurrences, 3u);
      saw_manual = true;
    }
    if (f.name == "plain-500") {
      // Locust's text; outside catch_response requests' URL is swapped for the name= given.
      EXPECT_EQ(f.error, "HTTPError('500 Server Error: Internal Server Error for url: plain-500')");
      saw_http = true;
    }
  }
  EXPECT_TRUE(saw_manual && saw_http);
}

namespace {
std::atomic<int> g_starts{0}, g_stops{0};
struct LifecycleUser : HttpUser {
  static void define(UserSpec<LifecycleUser>& u) { u.wait_time(constant(0.01)).task("boom", &LifecycleUser::boom); }
  Task on_start() override {
    g_starts++;
    request_options o{.name = "on_start"};
    co_await client.get("/echo", o);
  }
  Task on_stop() override {
    g_stops++;
    co_return;
  }
  int n = 0;
  Task boom() {
    co_await client.get("/fast");
    if (++n % 2 == 0) throw std::runtime_error("out of stock");
  }
};
}  // namespace

TEST(engine_run, exceptions_are_recorded_and_users_carry_on) {
  test_server srv;
  g_starts = g_stops = 0;
  auto cfg = config_for(srv, 4, 600ms);
  cfg.stop_timeout = 2s;
  auto snap = run_classes({&detail::spec_of<LifecycleUser>()}, cfg);
  ASSERT_TRUE(snap);
  EXPECT_EQ(g_starts.load(), 4);
  EXPECT_EQ(g_stops.load(), 4);
  EXPECT_EQ(srv.count("GET /echo"), 4u);
  ASSERT_EQ(snap->exceptions.size(), 1u);
  EXPECT_EQ(snap->exceptions[0].message, "std::runtime_error: out of stock");
  EXPECT_EQ(snap->exceptions[0].traceback, "LifecycleUser.boom");
  uint64_t fast = requests_of(*snap, "GET", "/fast");
  EXPECT_GT(fast, 8u);  // users carried on after throwing
  EXPECT_NEAR(static_cast<double>(snap->exceptions[0].count), fast / 2.0, 4.0);
}

namespace {
// Locust's control exceptions thrown by a task: RescheduleTaskImmediately skips the (long) wait,
// StopUser ends the user (its on_stop runs), RescheduleTask keeps the wait, and InterruptTaskSet
// outside a task set is an exception of the task (the wait kept).
std::atomic<int> g_control_stops{0};
struct StoppingUser : HttpUser {
  static void define(UserSpec<StoppingUser>& u) {
    u.wait_time(constant(30.0)).task("step", &StoppingUser::step);
  }
  Task on_stop() override {
    g_control_stops++;
    co_return;
  }
  int n = 0;
  Task step() {
    co_await client.get("/fast");
    if (++n == 3) throw stop_user{};
    throw reschedule_task_immediately{};
  }
};
struct WaitingUser : HttpUser {
  static void define(UserSpec<WaitingUser>& u) {
    u.wait_time(constant(30.0)).task("step", &WaitingUser::step);
  }
  Task step() {
    co_await client.get("/status/204");
    throw reschedule_task{};
  }
};
struct InterruptingUser : HttpUser {
  static void define(UserSpec<InterruptingUser>& u) {
    u.wait_time(constant(30.0)).task("step", &InterruptingUser::step);
  }
  Task step() {
    co_await client.get("/status/205");
    throw interrupt_task_set{};
  }
};
// Exceptions of on_start and on_stop carry them as their traceback.
struct BrokenHooksUser : HttpUser {
  static void define(UserSpec<BrokenHooksUser>& u) {
    u.wait_time(constant(30.0)).task("step", &BrokenHooksUser::step);
  }
  Task on_start() override {
    co_await client.get("/status/206");
    throw std::runtime_error("no login");
  }
  Task on_stop() override {
    co_await client.get("/status/207");
    throw std::logic_error("no logout");
  }
  Task step() { co_await client.get("/status/208"); }
};
}  // namespace

TEST(engine_run, control_exceptions_of_a_task_follow_locusts_rules) {
  test_server srv;
  g_control_stops = 0;
  auto cfg = config_for(srv, 4, 600ms);
  cfg.stop_timeout = 2s;
  auto snap = run_classes({&detail::spec_of<StoppingUser>(), &detail::spec_of<WaitingUser>(),
                           &detail::spec_of<InterruptingUser>(), &detail::spec_of<BrokenHooksUser>()},
                          cfg);
  ASSERT_TRUE(snap);
  EXPECT_EQ(srv.count("GET /fast"), 3u);  // no waits, then stopped
  EXPECT_EQ(g_control_stops.load(), 1);
  EXPECT_EQ(srv.count("GET /status/204"), 1u);  // the 30 s wait kept
  EXPECT_EQ(srv.count("GET /status/205"), 1u);
  EXPECT_EQ(srv.count("GET /status/206"), 1u);
  EXPECT_EQ(srv.count("GET /status/207"), 1u);
  EXPECT_EQ(srv.count("GET /status/208"), 0u);  // on_start failed: no tasks, on_stop still runs
  std::map<std::string, std::string> traceback_of;
  for (const auto& x : snap->exceptions) {
    EXPECT_EQ(x.count, 1u) << x.message;
    traceback_of[x.message] = x.traceback;
  }
  EXPECT_EQ(traceback_of.size(), 3u);
  EXPECT_EQ(traceback_of["interrupt_task_set: interrupt() called outside a task set"],
            "InterruptingUser.step");
  EXPECT_EQ(traceback_of["std::runtime_error: no login"], "BrokenHooksUser.on_start");
  EXPECT_EQ(traceback_of["std::logic_error: no logout"], "BrokenHooksUser.on_stop");
}

namespace {
struct Browse;
struct ShopUser : HttpUser {
  static void define(UserSpec<ShopUser>& u);
  Task top() { co_await client.get("/status/201"); }
};
struct Browse : TaskSet<ShopUser> {
  static void define(TaskSetSpec<Browse>& s) {
    s.task("view", &Browse::view, 3).task("leave", &Browse::leave, 1);
  }
  Task view() { co_await client.get("/status/202"); }
  Task leave() {
    co_await client.get("/status/203");
    interrupt();
  }
};
void ShopUser::define(UserSpec<ShopUser>& u) {
  u.wait_time(constant(0.002)).task("top", &ShopUser::top).task_set<Browse>(2);
}

struct Sequence : HttpUser {
  static void define(UserSpec<Sequence>& u) {
    u.sequential().task("a", &Sequence::a).task("b", &Sequence::b).task("c", &Sequence::c);
  }
  Task a() { co_await client.get("/status/210"); }
  Task b() { co_await client.get("/status/211"); }
  Task c() { co_await client.get("/status/212"); }
};
}  // namespace

TEST(engine_run, nested_task_sets_interrupt_and_sequential_order) {
  test_server srv;
  auto snap = run_classes({&detail::spec_of<ShopUser>()}, config_for(srv, 4, 700ms));
  ASSERT_TRUE(snap);
  EXPECT_GT(srv.count("GET /status/202"), 0u);
  EXPECT_GT(srv.count("GET /status/203"), 0u);
  EXPECT_GT(srv.count("GET /status/201"), 0u);
  // 3:1 inside the task set.
  double ratio = static_cast<double>(srv.count("GET /status/202")) / srv.count("GET /status/203");
  EXPECT_NEAR(ratio, 3.0, 1.0);
  EXPECT_TRUE(snap->exceptions.empty());

  test_server srv2;
  auto cfg = config_for(srv2, 1, 5s);
  cfg.iterations = 30;
  cfg.threads = 1;
  auto s2 = run_classes({&detail::spec_of<Sequence>()}, cfg);
  EXPECT_EQ(srv2.count("GET /status/210"), 10u);
  EXPECT_EQ(srv2.count("GET /status/211"), 10u);
  EXPECT_EQ(srv2.count("GET /status/212"), 10u);
}

namespace {
struct Tagged : HttpUser {
  static void define(UserSpec<Tagged>& u) {
    u.task("a", &Tagged::a).tag("checkout").task("b", &Tagged::b).tag("browse");
  }
  Task a() { co_await client.get("/status/220"); }
  Task b() { co_await client.get("/status/221"); }
};
struct Cookies : HttpUser {
  static void define(UserSpec<Cookies>& u) { u.task("t", &Cookies::t); }
  Task t() {
    co_await client.get("/set-cookie?session=abc123");
    request_options o{.catch_response = true};
    auto r = co_await client.get("/cookies", o);
    if (r.json().value("session", "") != "abc123") r.failure("cookie lost: " + r.text());
    stop();
  }
};
}  // namespace

TEST(engine_run, tags_select_tasks_and_cookies_persist_per_user) {
  test_server srv;
  auto cfg = config_for(srv, 2, 400ms);
  cfg.tags = {"checkout"};
  run_classes({&detail::spec_of<Tagged>()}, cfg);
  EXPECT_GT(srv.count("GET /status/220"), 0u);
  EXPECT_EQ(srv.count("GET /status/221"), 0u);

  test_server srv2;
  auto snap = run_classes({&detail::spec_of<Cookies>()}, config_for(srv2, 3, 500ms));
  ASSERT_TRUE(snap);
  EXPECT_EQ(snap->aggregated.num_failures, 0u);
  EXPECT_EQ(requests_of(*snap, "GET", "/cookies"), 3u);
}

namespace {
struct Refused : HttpUser {
  static void define(UserSpec<Refused>& u) { u.task("t", &Refused::t); }
  Task t() {
    request_options o{.name = "refused"};
    co_await client.get("http://127.0.0.1:1/nothing", o);
    stop();
  }
};
}  // namespace

TEST(engine_run, transport_failures_are_counted_data) {
  test_server srv;
  auto snap = run_classes({&detail::spec_of<Refused>()}, config_for(srv, 2, 400ms));
  ASSERT_TRUE(snap);
  auto* r = find_row(*snap, "GET", "refused");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->num_failures, 2u);
  ASSERT_FALSE(snap->failures.empty());
  EXPECT_EQ(snap->failures[0].error, "ConnectionRefusedError(111, 'Connection refused')");
}

namespace {
struct TaggedSet;
struct TagSetUser : HttpUser {
  static void define(UserSpec<TagSetUser>& u);
  Task plain() { co_await client.get("/status/230"); }
};
struct TaggedSet : TaskSet<TagSetUser> {
  static void define(TaskSetSpec<TaggedSet>& s) { s.task("inner", &TaggedSet::inner); }
  Task inner() {
    co_await client.get("/status/231");
    interrupt();
  }
};
void TagSetUser::define(UserSpec<TagSetUser>& u) {
  u.wait_time(constant(0.005)).task("plain", &TagSetUser::plain).task_set<TaggedSet>().tag("set");
}

std::atomic<int> g_killed_stops{0};
struct KilledUser : HttpUser {
  static void define(UserSpec<KilledUser>& u) { u.task("slow", &KilledUser::slow); }
  Task slow() { co_await client.get("/slow?ms=5000"); }
  Task on_stop() override {
    co_await client.get("/status/240");  // a logout at the end: it must run and count
    g_killed_stops++;
  }
};
}  // namespace

TEST(engine_run, a_tag_on_a_task_set_selects_all_its_tasks) {
  test_server srv;
  auto cfg = config_for(srv, 2, 400ms);
  cfg.tags = {"set"};
  auto snap = run_classes({&detail::spec_of<TagSetUser>()}, cfg);
  ASSERT_TRUE(snap);
  EXPECT_GT(srv.count("GET /status/231"), 0u);
  EXPECT_EQ(srv.count("GET /status/230"), 0u);
  EXPECT_TRUE(snap->exceptions.empty());
}

TEST(engine_run, killed_users_still_run_on_stop_and_its_requests_count) {
  test_server srv;
  g_killed_stops = 0;
  auto cfg = config_for(srv, 3, 500ms);
  cfg.stop_timeout = 0s;  // the slow request is killed
  auto t0 = std::chrono::steady_clock::now();
  auto snap = run_classes({&detail::spec_of<KilledUser>()}, cfg);
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(snap);
  EXPECT_LT(took, 3s);
  EXPECT_EQ(g_killed_stops.load(), 3);
  EXPECT_EQ(requests_of(*snap, "GET", "/status/240"), 3u);
  EXPECT_EQ(requests_of(*snap, "GET", "/slow?ms=5000"), 0u);  // aborted requests are not results
}

namespace {
struct Chooser : HttpUser {
  static void define(UserSpec<Chooser>& u) {
    u.task("a", &Chooser::a, 1).task("b", &Chooser::b, 2).task("c", &Chooser::c, 3);
  }
  Task a() { co_await client.get("/status/250"); }
  Task b() { co_await client.get("/status/251"); }
  Task c() { co_await client.get("/status/252"); }
};

std::vector<uint64_t> choice_counts(uint64_t seed, uint64_t users = 1) {
  test_server srv;
  auto cfg = config_for(srv, users, 10s);
  cfg.threads = 1;
  cfg.seed = seed;
  cfg.iterations = 60;
  run_classes({&detail::spec_of<Chooser>()}, cfg);
  return {srv.count("GET /status/250"), srv.count("GET /status/251"), srv.count("GET /status/252")};
}
}  // namespace

TEST(engine_run, the_same_seed_gives_the_same_task_choices) {
  auto first = choice_counts(1234);
  auto again = choice_counts(1234);
  auto other = choice_counts(99);
  EXPECT_EQ(first[0] + first[1] + first[2], 60u);
  auto many = choice_counts(5, 7);  // -i is exact with many users too: every claimed run finishes
  EXPECT_EQ(many[0] + many[1] + many[2], 60u);
  EXPECT_EQ(first, again) << "seed 1234";
  EXPECT_NE(first, other) << "seeds 1234 and 99 (a tie is possible but unlikely)";
}

TEST(engine_run, reset_stats_forgets_the_ramp) {
  test_server srv;
  auto cfg = config_for(srv, 4, 800ms);
  cfg.spawn_rate = 8;  // the ramp takes ~0.4 s
  cfg.reset_stats = true;
  auto snap = run_classes({&detail::spec_of<WeightedUser>()}, cfg);
  ASSERT_TRUE(snap);
  EXPECT_GT(snap->aggregated.num_requests, 0u);
  EXPECT_LT(snap->aggregated.num_requests, srv.total());
}

namespace {
struct ShapeA : HttpUser {
  static void define(UserSpec<ShapeA>& u) { u.wait_time(constant(0.01)).task("a", &ShapeA::a); }
  Task a() { co_await client.get("/status/260"); }
};
struct ShapeB : HttpUser {
  static void define(UserSpec<ShapeB>& u) { u.wait_time(constant(0.01)).task("b", &ShapeB::b); }
  Task b() { co_await client.get("/status/261"); }
};
}  // namespace

TEST(engine_run, a_load_shape_ramps_up_down_picks_classes_and_ends_the_test) {
  test_server srv;
  auto cfg = config_for(srv, 1, 30s);  // the shape ends the test long before the run time
  std::vector<std::pair<double, uint64_t>> seen;  // (run time, live users) at each tick
  cfg.shape = [&](double t, uint64_t live) -> std::optional<engine::shape_tick> {
    seen.emplace_back(t, live);
    if (t < 1.5) return engine::shape_tick{6, 100, {}};
    if (t < 3.5) return engine::shape_tick{2, 100, {"ShapeB"}};
    return std::nullopt;
  };
  std::vector<std::vector<std::pair<std::string, uint64_t>>> by_class;
  std::vector<const detail::class_spec*> specs = {&detail::spec_of<ShapeA>(), &detail::spec_of<ShapeB>()};
  test_support::runner r(cfg, specs);
  r.on_snapshot([&](const stats::snapshot_ptr& s) { by_class.push_back(s->user_count_by_class); });
  auto t0 = std::chrono::steady_clock::now();
  auto snap = r.run();
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(snap);
  EXPECT_EQ(r.outcome().stop_reason, "shape");
  EXPECT_LT(took, 8s);
  ASSERT_GE(seen.size(), 4u);
  // At ~1 s: 6 users, 3 of each; at ~3 s: only ShapeB, 2 users.
  bool saw_six = false, saw_two_b = false;
  for (const auto& c : by_class) {
    if (c.size() == 2 && c[0].second == 3 && c[1].second == 3) saw_six = true;
    if (c.size() == 2 && c[0].second == 0 && c[1].second == 2) saw_two_b = true;
  }
  EXPECT_TRUE(saw_six);
  EXPECT_TRUE(saw_two_b);
  EXPECT_GT(srv.count("GET /status/260"), 0u);
  EXPECT_GT(srv.count("GET /status/261"), 0u);
  for (const auto& [t, live] : seen) {
    if (t > 2.5 && t < 3.4) {
      EXPECT_EQ(live, 2u) << "at " << t << " s";
    }
  }
}

namespace {
struct SteadyUser : HttpUser {
  static void define(UserSpec<SteadyUser>& u) { u.wait_time(constant(0.005)).task("t", &SteadyUser::t); }
  Task t() { co_await client.get("/fast"); }
};
}  // namespace

// An output that takes 3 s per snapshot (a stalled disk, a slow database): the engine publishes
// and never waits, so intervals still close every second and requests keep their rate.
TEST(engine_run, a_slow_output_slows_neither_the_requests_nor_the_intervals) {
  test_server srv;
  auto cfg = config_for(srv, 4, 4000ms);
  std::vector<std::chrono::steady_clock::time_point> closed;
  std::mutex m;
  auto slow = std::make_shared<engine::async_output<stats::snapshot_ptr>>(
      "slow", engine::output_policy::lossless, 100,
      [](const stats::snapshot_ptr&) { std::this_thread::sleep_for(3s); });
  test_support::runner r(cfg, {&detail::spec_of<SteadyUser>()});
  r.on_snapshot([slow](const stats::snapshot_ptr& s) { slow->push(s); });
  r.on_event([&](const engine::run_event&) {});
  r.on_record([&](const stats::record_ptr&) {
    std::lock_guard lock(m);
    closed.push_back(std::chrono::steady_clock::now());
  });
  auto snap = r.run();
  ASSERT_TRUE(snap);
  // Every interval closed on time: about 1 s apart, never the output's 3 s.
  ASSERT_GE(closed.size(), 4u);
  for (size_t i = 1; i + 1 < closed.size(); ++i)
    EXPECT_LT(closed[i] - closed[i - 1], 1500ms) << "interval " << i;
  // Requests went on at full speed: each user ~1 request per 5 ms wait plus the request.
  EXPECT_EQ(snap->aggregated.num_requests, srv.total());
  EXPECT_GT(snap->aggregated.num_requests, 4u * 4u * 100u);
  EXPECT_GE(slow->counters().pushed, 4u);
  slow->stop(0ms);
}
