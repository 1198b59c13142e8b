// The run controller in simulated time: fake shards, a manual clock, every command and timer.
// Nothing sleeps: a 7-day test with a shape, a stop timeout and a reset runs in well under a second.
#include "engine/controller.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <map>

#include "base/scheduler.hpp"
#include "engine/event_bus.hpp"

using namespace std::chrono_literals;

namespace endure::engine {
namespace {

// A shard whose users exist only as counts. Gracefully stopped users end after `stop_takes`
// (their task finishes); killed ones at once. A stuck shard's loop stops turning and its users
// never end. Its recorder is real: tests record samples into it.
class fake_shard final : public user_shard {
 public:
  fake_shard(base::sim_scheduler& s, std::chrono::nanoseconds stop_takes)
      : sched_(s), stop_takes_(stop_takes) {}
  void start() override {}
  bool join_for(std::chrono::milliseconds) override { return !stuck; }
  void begin_test(std::shared_ptr<const test_settings> s, std::shared_ptr<test_shared> sh) override {
    settings = std::move(s);
    shared = std::move(sh);
    targets.clear();
  }
  void set_targets(const std::vector<uint64_t>& t) override {
    ++target_calls;
    uint64_t before = 0, after = 0;
    for (auto n : targets) before += n;
    for (auto n : t) after += n;
    targets = t;
    if (after > before) live_ += after - before;
    if (after < before) end_users(before - after, false);
  }
  void set_arrivals(const arrival_targets& a) override {
    arrivals = a;
    ++arrival_calls;
  }
  std::vector<uint64_t> live_users_by_class() const override { return pool; }
  void stop_all(bool force) override {
    end_users(live_, force);
    arrivals.rate_per_class.assign(arrivals.rate_per_class.size(), 0.0);
  }
  stats::shard_recorder& recorder() override { return rec; }
  uint64_t live_users() const override { return live_; }
  uint64_t loop_turns() const override {
    return stuck ? frozen_turns : static_cast<uint64_t>(sched_.now_ns() / 100'000'000);
  }
  double take_loop_lag_ms() override { return 0; }
  std::string current_task() const override { return "FakeUser.busy"; }

  void freeze() {
    stuck = true;
    frozen_turns = loop_turns();
  }

  std::shared_ptr<const test_settings> settings;
  std::shared_ptr<test_shared> shared;
  std::vector<uint64_t> targets;
  arrival_targets arrivals;
  int arrival_calls = 0;
  std::vector<uint64_t> pool = {0, 0};  // the open model's users per class, as a test sets them
  stats::shard_recorder rec;
  int target_calls = 0;
  bool stuck = false;
  uint64_t frozen_turns = 0;

 private:
  void end_users(uint64_t n, bool force) {
    if (stuck || n == 0) return;
    if (force) {  // killed: every user ends now, those already finishing their task too
      live_ -= std::min(n + ending_, live_);
      ending_ = 0;
      ++generation_;
      return;
    }
    n = std::min(n, live_ - ending_);
    if (stop_takes_.count() == 0) {
      live_ -= n;
      return;
    }
    ending_ += n;
    sched_.call_after(stop_takes_, [this, n, g = generation_] {
      if (g != generation_) return;
      live_ -= std::min(n, live_);
      ending_ -= n;
    });
  }
  base::sim_scheduler& sched_;
  std::chrono::nanoseconds stop_takes_;
  uint64_t live_ = 0, ending_ = 0, generation_ = 0;
};

struct harness {
  bool keep_records = true;  // off for the week-long test: it checks records as they come
  base::sim_scheduler sched;
  run_bus bus;
  std::vector<fake_shard*> shards;
  std::vector<stats::record_ptr> records;
  std::vector<run_event> events;
  subscription sub;
  std::unique_ptr<controller> ctl;

  explicit harness(int threads = 2, std::chrono::nanoseconds stop_takes = 0s,
                   std::vector<user_class> classes = {{"A", 3, 0, "http://h", true, nullptr},
                                                      {"B", 1, 0, "http://h", true, nullptr}}) {
    sub = bus.subscribe([this](const run_item& item) {
      if (const auto* r = std::get_if<stats::record_ptr>(&item)) {
        if (keep_records) records.push_back(*r);
      }
      else events.push_back(std::get<run_event>(item));
    });
    controller_config cfg;
    cfg.threads = threads;
    cfg.shards.classes = std::move(classes);
    cfg.seed = 1;
    cfg.make_shard = [this, stop_takes](int, const shard_config&) {
      auto s = std::make_unique<fake_shard>(sched, stop_takes);
      shards.push_back(s.get());
      return std::unique_ptr<user_shard>(std::move(s));
    };
    ctl = std::make_unique<controller>(sched, std::move(cfg), bus);
  }
  ~harness() { ctl->shutdown(); }

  uint64_t live() const {
    uint64_t n = 0;
    for (auto* s : shards) n += s->live_users();
    return n;
  }
  uint64_t users_of(const std::string& cls) const {
    for (const auto& [name, n] : records.back()->users_by_class)
      if (name == cls) return n;
    return 0;
  }
  std::vector<event_kind> kinds() const {
    std::vector<event_kind> k;
    for (const auto& e : events) k.push_back(e.kind);
    return k;
  }
  bool stopped() const { return ctl->tests_started() > 0 && ctl->state() == stats::run_state::stopped; }
};

TEST(controller, ramps_at_the_spawn_rate_then_runs_until_the_run_time) {
  harness h;
  test_plan p;
  p.users = 40;
  p.spawn_rate = 10;
  p.run_time = 60s;
  h.ctl->start(p);
  h.sched.run_for(0ns);
  EXPECT_EQ(h.ctl->state(), stats::run_state::spawning);
  EXPECT_EQ(h.live(), 1u) << "the first user starts at once";
  h.sched.run_for(1950ms);
  EXPECT_EQ(h.live(), 20u) << "10 users a second";
  h.sched.run_for(2100ms);
  EXPECT_EQ(h.live(), 40u);
  EXPECT_EQ(h.ctl->state(), stats::run_state::running);
  // 3:1 weights over two shards, balanced.
  EXPECT_EQ(h.users_of("A"), 30u);
  EXPECT_EQ(h.users_of("B"), 10u);
  EXPECT_EQ(h.shards[0]->live_users(), 20u);
  EXPECT_EQ(h.shards[1]->live_users(), 20u);
  h.sched.run_until([&] { return h.stopped(); }, 120s);
  EXPECT_TRUE(h.stopped());
  EXPECT_EQ(h.ctl->outcome().stop_reason, "run time");
  EXPECT_EQ(h.ctl->outcome().peak_users, 40u);
  EXPECT_EQ(h.live(), 0u);
  EXPECT_EQ(h.kinds(), (std::vector<event_kind>{event_kind::test_start, event_kind::spawning_complete,
                                                event_kind::test_stopping, event_kind::test_stop}));
  EXPECT_EQ(h.events[1].user_count, 40u);
}

// Absolute per-class targets (what a master sends a worker, and a web UI's class picker): the
// controller steps each class towards its own target at the spawn rate, across the shards.
TEST(controller, class_targets_are_reached_at_the_spawn_rate_class_by_class) {
  harness h;
  test_plan p;
  p.users = 4;
  p.spawn_rate = 100;
  h.ctl->start(p);
  h.sched.run_for(2s);
  EXPECT_EQ(h.users_of("A"), 3u);
  EXPECT_EQ(h.users_of("B"), 1u);
  h.ctl->set_class_targets({2, 10}, 4);  // B: +9 at 4 a second, A: -1
  h.sched.run_for(1100ms);
  EXPECT_LT(h.live(), 12u) << "still ramping at 4 users a second";
  h.sched.run_for(3s);
  EXPECT_EQ(h.live(), 12u);
  EXPECT_EQ(h.users_of("A"), 2u);
  EXPECT_EQ(h.users_of("B"), 10u);
  h.ctl->set_class_targets({0, 0}, 100);
  h.sched.run_for(2s);
  EXPECT_EQ(h.live(), 0u);
  h.ctl->stop("test");
  h.sched.run_until([&] { return h.stopped(); }, 30s);
}

TEST(controller, records_carry_a_peak_that_a_spike_inside_one_interval_does_not_hide) {
  harness h;
  test_plan p;
  p.users = 10;
  p.spawn_rate = 100;
  p.run_time = 6s;
  h.ctl->start(p);
  h.sched.run_for(2200ms);
  h.ctl->set_users(50, 1000);
  h.sched.run_for(100ms);
  h.ctl->set_users(5, 1000);
  h.sched.run_until([&] { return h.stopped(); }, 30s);
  uint64_t peak = 0, most_counted = 0;
  for (const auto& r : h.records) {
    peak = std::max(peak, r->peak_user_count);
    most_counted = std::max(most_counted, r->user_count);
    EXPECT_GE(r->peak_user_count, r->user_count);
  }
  EXPECT_EQ(peak, 50u);
  EXPECT_EQ(h.ctl->outcome().peak_users, 50u);
  EXPECT_LT(most_counted, 50u) << "no interval closed during the spike: only the peak shows it";
}

TEST(controller, intervals_are_wall_clock_aligned_and_gapless) {
  harness h;
  // Start 0.4 s into a second of wall-clock time.
  h.sched.run_for(400ms);
  test_plan p;
  p.users = 4;
  p.spawn_rate = 100;
  p.run_time = 10s;
  h.ctl->start(p);
  h.sched.run_until([&] { return h.stopped(); }, 30s);
  ASSERT_GE(h.records.size(), 10u);
  const auto& first = *h.records.front();
  EXPECT_DOUBLE_EQ(first.start_wall_s, h.sched.wall_s() - 10.0);  // the test's start
  EXPECT_EQ(first.end_wall_s, static_cast<double>(first.id + 1)) << "ends on a second boundary";
  for (size_t i = 1; i < h.records.size(); ++i) {
    EXPECT_EQ(h.records[i]->id, h.records[i - 1]->id + 1) << i;
    EXPECT_DOUBLE_EQ(h.records[i]->start_wall_s, h.records[i - 1]->end_wall_s) << i;
    EXPECT_FALSE(h.records[i]->stalled);
  }
  EXPECT_TRUE(h.records.back()->is_final);
  EXPECT_FALSE(h.records[h.records.size() - 2]->is_final);
  EXPECT_EQ(h.records.back()->test, 1u);
  EXPECT_EQ(h.records.back()->node, "local");
}

TEST(controller, a_late_tick_emits_the_intervals_it_owes) {
  harness h;
  test_plan p;
  p.users = 2;
  p.run_time = 20s;
  h.ctl->start(p);
  h.sched.run_for(5900ms);
  // The control loop blocks for 2.35 s (a handler that takes that long), from 0.1 s before a
  // boundary: the intervals ending at 6 s and 7 s pass unclosed.
  h.sched.call_after(0ns, [&] { h.sched.block_for(2350ms); });
  h.sched.run_until([&] { return h.stopped(); }, 60s);
  size_t stalled = 0;
  for (size_t i = 1; i < h.records.size(); ++i) {
    EXPECT_EQ(h.records[i]->id, h.records[i - 1]->id + 1) << "one record per interval";
    if (h.records[i]->stalled) ++stalled;
  }
  EXPECT_EQ(stalled, 2u) << "the two seconds the loop missed";
  // 20 s of test: intervals from the start's to the stop's, none missing.
  EXPECT_EQ(h.records.back()->id - h.records.front()->id + 1, h.records.size());
}

TEST(controller, edit_users_mid_test_ramps_down_most_recent_first_then_up) {
  harness h(1);
  test_plan p;
  p.users = 8;
  p.spawn_rate = 100;
  h.ctl->start(p);
  h.sched.run_for(1s);
  EXPECT_EQ(h.live(), 8u);
  h.ctl->set_users(4, 2);
  h.sched.run_for(100ms);
  EXPECT_EQ(h.ctl->state(), stats::run_state::spawning);
  h.sched.run_for(2s);
  EXPECT_EQ(h.live(), 4u);
  EXPECT_EQ(h.ctl->state(), stats::run_state::running);
  h.ctl->set_users(12, 1000, {"B"});  // only class B now
  h.sched.run_for(1s);
  EXPECT_EQ(h.shards[0]->targets, (std::vector<uint64_t>{0, 12}));
  EXPECT_EQ(h.live(), 12u);
  h.ctl->stop();
  h.sched.run_until([&] { return h.stopped(); }, 10s);
  EXPECT_EQ(h.ctl->outcome().stop_reason, "stop requested");
  EXPECT_EQ(h.ctl->outcome().peak_users, 12u);
}

TEST(controller, the_stop_timeout_lets_tasks_finish_then_kills) {
  // Users need 3 s to finish their task; the stop timeout is 1 s: they are killed at 1 s.
  harness h(2, 3s);
  test_plan p;
  p.users = 10;
  p.spawn_rate = 1000;
  p.stop_timeout = 1s;
  p.run_time = 5s;
  h.ctl->start(p);
  h.sched.run_until([&] { return h.ctl->state() == stats::run_state::stopping; }, 10s);
  const int64_t stop_at = h.sched.now_ns();
  h.sched.run_until([&] { return h.stopped(); }, 10s);
  const double took = static_cast<double>(h.sched.now_ns() - stop_at) / 1e9;
  EXPECT_NEAR(took, 1.0, 0.05);
  EXPECT_EQ(h.ctl->outcome().abandoned_users, 0u);
  // With a longer stop timeout the tasks finish on their own.
  harness g(2, 3s);
  p.stop_timeout = 10s;
  g.ctl->start(p);
  g.sched.run_until([&] { return g.ctl->state() == stats::run_state::stopping; }, 10s);
  const int64_t g_stop = g.sched.now_ns();
  g.sched.run_until([&] { return g.stopped(); }, 30s);
  EXPECT_NEAR(static_cast<double>(g.sched.now_ns() - g_stop) / 1e9, 3.0, 0.05);
}

TEST(controller, reset_stats_drops_what_came_before_and_a_new_test_can_start) {
  harness h(1);
  test_plan p;
  p.users = 2;
  p.spawn_rate = 100;
  h.ctl->start(p);
  h.sched.run_for(1500ms);
  stats::request_sample s;
  s.method = "GET";
  s.name = "/before";
  s.latency_us = 1000;
  h.shards[0]->rec.record(s);
  h.ctl->reset_stats();
  h.sched.run_for(0ns);
  s.name = "/after";
  h.shards[0]->rec.record(s);
  h.sched.run_for(1s);
  h.ctl->stop();
  h.sched.run_until([&] { return h.stopped(); }, 10s);
  bool saw_before = false, saw_after = false;
  for (const auto& r : h.records)
    for (const auto& e : r->data.entries) {
      saw_before = saw_before || e.name == "/before";
      saw_after = saw_after || e.name == "/after";
    }
  EXPECT_FALSE(saw_before);
  EXPECT_TRUE(saw_after);
  EXPECT_NE(std::find(h.kinds().begin(), h.kinds().end(), event_kind::stats_reset), h.kinds().end());

  // Start again in the same process: test 2, fresh targets, records tagged with it.
  const size_t before = h.records.size();
  p.users = 3;
  h.ctl->start(p);
  h.sched.run_for(2s);
  EXPECT_EQ(h.ctl->state(), stats::run_state::running);
  EXPECT_EQ(h.live(), 3u);
  EXPECT_EQ(h.ctl->tests_started(), 2u);
  EXPECT_EQ(h.shards[0]->settings->test, 2u);
  h.ctl->stop();
  h.sched.run_until([&] { return h.stopped(); }, 10s);
  ASSERT_GT(h.records.size(), before);
  EXPECT_EQ(h.records.back()->test, 2u);
  // A start while running is refused (logged), not applied.
  harness g(1);
  g.ctl->start(p);
  g.sched.run_for(1s);
  p.users = 50;
  g.ctl->start(p);
  g.sched.run_for(1s);
  EXPECT_EQ(g.live(), 3u);
  EXPECT_EQ(g.ctl->tests_started(), 1u);
}

TEST(controller, iterations_and_stop_test_from_users_stop_the_test) {
  harness h(1);
  test_plan p;
  p.users = 2;
  p.iterations = 10;
  h.ctl->start(p);
  h.sched.run_for(1s);
  ASSERT_TRUE(h.shards[0]->shared);
  h.shards[0]->shared->request_stop("iterations");
  h.sched.run_until([&] { return h.stopped(); }, 120s);
  EXPECT_EQ(h.ctl->outcome().stop_reason, "iterations");
  harness g(1);
  g.ctl->start(p);
  g.sched.run_for(1s);
  g.shards[0]->shared->request_stop("stop_test");
  g.sched.run_until([&] { return g.stopped(); }, 10s);
  EXPECT_EQ(g.ctl->outcome().stop_reason, "stop_test");
}

TEST(controller, a_stuck_shard_is_named_and_its_users_abandoned) {
  harness h(2);
  test_plan p;
  p.users = 4;
  p.spawn_rate = 100;
  p.run_time = 20s;
  h.ctl->start(p);
  h.sched.run_for(2s);
  stats::request_sample s;
  s.method = "GET";
  s.name = "/before-stuck";
  s.latency_us = 500;
  h.shards[1]->rec.record(s);
  h.shards[1]->freeze();
  h.sched.run_for(5s);
  bool reported = false;
  for (const auto& e : h.events)
    if (e.kind == event_kind::stuck && e.detail == "FakeUser.busy") reported = true;
  EXPECT_TRUE(reported);
  h.sched.run_until([&] { return h.stopped(); }, 60s);
  const auto out = h.ctl->outcome();
  EXPECT_EQ(out.abandoned_users, 2u);
  EXPECT_EQ(out.stuck, std::vector<std::string>{"FakeUser.busy"});
  // What the stuck shard recorded before it got stuck is in the records.
  uint64_t n = 0;
  for (const auto& r : h.records)
    for (const auto& e : r->data.entries)
      if (e.name == "/before-stuck") n += e.requests;
  EXPECT_EQ(n, 1u);
}

TEST(controller, a_seven_day_test_with_a_shape_a_stop_timeout_and_a_reset_in_simulated_time) {
  const auto real_start = std::chrono::steady_clock::now();
  harness h(2, 2s);
  h.keep_records = false;
  uint64_t records = 0, gaps = 0, last_id = 0, users_seen_max = 0, requests_after_reset = 0;
  bool reset_seen = false;
  stats::record_ptr last;
  auto check = h.bus.subscribe([&](const run_item& item) {
    if (const auto* r = std::get_if<stats::record_ptr>(&item)) {
      if (records++ > 0 && (*r)->id != last_id + 1) ++gaps;
      last_id = (*r)->id;
      users_seen_max = std::max(users_seen_max, (*r)->user_count);
      if (reset_seen)
        for (const auto& e : (*r)->data.entries) requests_after_reset += e.requests;
      last = *r;
    } else if (std::get<run_event>(item).kind == event_kind::stats_reset) {
      reset_seen = true;
    }
  });
  // A daily wave: 50 users at night, 200 by day, changing every 6 hours, for 7 days.
  std::map<uint64_t, int> ticks_by_day;
  test_plan p;
  p.stop_timeout = 30s;
  p.run_time = std::chrono::hours(24 * 7);
  p.shape = [&](double t, uint64_t) -> std::optional<shape_tick> {
    ++ticks_by_day[static_cast<uint64_t>(t / 86400)];
    const auto quarter = static_cast<uint64_t>(t / 21600) % 4;
    return shape_tick{quarter == 1 || quarter == 2 ? 200u : 50u, 10, {}};
  };
  h.ctl->start(p);
  // One request a second on shard 0, through the real recorder.
  std::function<void()> tick = [&] {
    stats::request_sample s;
    s.method = "GET";
    s.name = "/day";
    s.latency_us = 10'000;
    h.shards[0]->rec.record(s);
    if (h.ctl->state() != stats::run_state::stopped) h.sched.call_after(1s, tick);
  };
  h.sched.call_after(500ms, tick);
  h.sched.run_for(std::chrono::hours(24 * 3));
  h.ctl->reset_stats();  // day 3: start counting again
  h.sched.run_until([&] { return h.stopped(); }, std::chrono::hours(24 * 8));
  const auto took = std::chrono::steady_clock::now() - real_start;

  ASSERT_TRUE(h.stopped());
  EXPECT_EQ(h.ctl->outcome().stop_reason, "run time");
  EXPECT_EQ(users_seen_max, 200u);
  EXPECT_EQ(ticks_by_day.size(), 7u);
  for (const auto& [day, n] : ticks_by_day) EXPECT_NEAR(n, 86400, 2) << "day " << day;
  // One record a second, gapless, for the whole week (plus the stop's draining seconds).
  EXPECT_EQ(gaps, 0u);
  EXPECT_GE(records, 604'800u);
  EXPECT_LE(records, 604'803u);
  ASSERT_TRUE(last && last->is_final);
  // The users needed 2 s to finish their tasks: the stop took that long, not the 30 s timeout.
  EXPECT_EQ(h.ctl->outcome().abandoned_users, 0u);
  EXPECT_LT(h.sched.now_ns() - int64_t{604'800} * 1'000'000'000, int64_t{3'000'000'000});
  EXPECT_NEAR(static_cast<double>(requests_after_reset), 4 * 86400, 3) << "days 4 to 7 only";
  // About 0.3 s on an idle machine (optimized build); the bound leaves room for a loaded CI
  // machine and is not checked under sanitizers, which run this many times slower.
#if !defined(__SANITIZE_THREAD__) && !defined(__SANITIZE_ADDRESS__)
  EXPECT_LT(took, 5s) << "simulated time: a week should take about a second at most";
#endif
  std::printf("a simulated week took %.2f s of real time\n",
              std::chrono::duration<double>(took).count());
}

}  // namespace
}  // namespace endure::engine
