// The store output under a real engine run against the in-process test server: everything the run
// reports is in the store; and a store whose disk is slow on purpose (each commit waits) does not
// slow the engine: the request rate stays that of a run without a store, the queue merges
// intervals instead of growing, and one warning says it fell behind.
#include "app/store_output.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "base/log.hpp"
#include "endure/endure.hpp"
#include "store/reader.hpp"
#include "support/engine_run.hpp"
#include "support/test_server.hpp"

using namespace endure;
using namespace std::chrono_literals;
using endure::test_support::test_server;

namespace {

// Paced users: the request rate is set by the wait time, not by how fast the machine is.
struct PacedUser : HttpUser {
  static void define(UserSpec<PacedUser>& u) {
    u.wait_time(constant(0.02)).task("fast", &PacedUser::fast);
  }
  Task fast() { co_await client.get("/fast"); }
};

test_support::run_config config_for(const test_server& srv) {
  test_support::run_config c;
  c.users = 10;
  c.spawn_rate = 1000;
  c.run_time = 3s;
  c.threads = 1;
  c.host = srv.base_url();
  c.seed = 7;
  c.stop_timeout = 2s;
  c.interval = 100ms;  // ten records a second: a slow store falls behind within a second
  return c;
}

std::string temp_path(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("endure-store-output-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto p = dir / name;
  for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(p.string() + s);
  return p.string();
}

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t p = 0; (p = text.find(needle, p)) != std::string::npos; p += needle.size()) ++n;
  return n;
}

struct store_run {
  stats::snapshot_ptr final_snapshot;
  engine::output_counters counters;
  std::string path;
};

// One run with a store whose commits each take `commit_delay`.
store_run run_with_store(const test_server& srv, const std::string& name,
                         std::chrono::milliseconds commit_delay, size_t queue) {
  store_run out;
  out.path = temp_path(name);
  store::run_meta meta;
  meta.start_wall_s = 1;
  meta.endure_version = "test";
  store::writer_settings ws;
  if (commit_delay.count() > 0)
    ws.before_commit = [commit_delay] { std::this_thread::sleep_for(commit_delay); };
  auto s = app::store_output::open(out.path, meta, ws, queue);
  EXPECT_TRUE(s) << (s ? "" : s.err().message);
  if (!s) return out;
  test_support::runner r(config_for(srv), {&detail::spec_of<PacedUser>()});
  r.on_record([&](const stats::record_ptr& rec) { (*s)->push(engine::run_item{rec}); });
  r.on_event([&](const engine::run_event& e) { (*s)->push(engine::run_item{e}); });
  out.final_snapshot = r.run();
  EXPECT_TRUE((*s)->drain(60s));
  out.counters = (*s)->counters();
  EXPECT_TRUE((*s)->finish(2, "run time", 0));
  EXPECT_FALSE((*s)->problem());
  return out;
}

}  // namespace

TEST(store_output, a_slow_store_does_not_slow_the_run_and_loses_nothing) {
  test_server srv;
  const std::string log = temp_path("log.txt");
  ASSERT_TRUE(base::set_log_file(log));

  // The run without a store and the one with a slow store side by side, at the same moment, so a
  // busy machine slows both alike.
  stats::snapshot_ptr baseline;
  std::thread side([&] {
    test_support::runner plain(config_for(srv), {&detail::spec_of<PacedUser>()});
    baseline = plain.run();
  });
  const store_run slow = run_with_store(srv, "slow.db", 250ms, 4);
  side.join();
  const store_run fast = run_with_store(srv, "fast.db", 0ms, 120);
  ASSERT_TRUE(baseline && fast.final_snapshot && slow.final_snapshot);

  const auto base_n = static_cast<double>(baseline->aggregated.num_requests);
  EXPECT_GT(base_n, 600);  // 10 users, one request every 20 ms, 3 s: 1,500 on an idle machine
  EXPECT_NEAR(static_cast<double>(slow.final_snapshot->aggregated.num_requests), base_n,
              0.1 * base_n);

  // The slow store fell behind and merged intervals rather than queueing them: its queue held at
  // most its 4 records plus the run's few events (which never merge), not the ~30 records.
  EXPECT_GT(slow.counters.coalesced, 10u);
  EXPECT_LE(slow.counters.max_depth, 4u + 5u);
  EXPECT_EQ(fast.counters.coalesced, 0u);

  // Nothing lost: both stores hold the run's own totals.
  for (const auto* run : {&fast, &slow}) {
    auto rd = store::reader::open(run->path);
    ASSERT_TRUE(rd) << rd.err().message;
    auto t = (*rd)->totals();
    ASSERT_TRUE(t);
    EXPECT_EQ((*t)->aggregated.num_requests, run->final_snapshot->aggregated.num_requests)
        << run->path;
    EXPECT_EQ((*t)->aggregated.percentiles_ms, run->final_snapshot->aggregated.percentiles_ms)
        << run->path;
  }

  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(count(text.str(), "falls behind"), 1u) << text.str();
  EXPECT_EQ(count(text.str(), "the run store " + slow.path + " falls behind"), 1u) << text.str();
}
