// Master and workers as a user runs them: `endure --master` with two `endure --worker`
// processes, and `endure --processes 2`, against the demo shop on loopback. The shop's own counts
// are the truth the master's results must equal; a local worker killed with SIGKILL mid-run leaves
// the run going, its users moved to the other worker, and what it reported kept.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "cli/cli_support.hpp"
#include "cli/process.hpp"
#include "store/sqlite.hpp"

namespace endure::test_support {
namespace {

using namespace std::chrono_literals;


const std::string locustfile = source_dir + "/examples/locustfile.py";

uint64_t shop_total(const demo_shop& shop) { return shop.stats().value("total", uint64_t{0}); }

std::vector<int> children_of(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  std::vector<int> out;
  int c = 0;
  while (f >> c) out.push_back(c);
  return out;
}

TEST(distributed, a_master_and_two_workers_report_exactly_what_the_shop_served) {
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  const std::string dir = temp_dir("dist_master");
  const std::string port = std::to_string(free_port());
  child_process w1({endure_bin, "-f", locustfile, "--worker", "--master-port", port}, {cache_env});
  child_process w2({endure_bin, "-f", locustfile, "--worker", "--master-host", "127.0.0.1", "--master-port", port},
                   {cache_env});
  auto m = run_process({endure_bin, "-f", locustfile, "--master", "--master-bind-host", "127.0.0.1",
                        "--master-bind-port", port, "--expect-workers", "2", "--headless", "-u", "10", "-r",
                        "20", "-t", "4s", "--host", shop.url(), "--csv", dir + "/m", "--store", dir + "/run.db"},
                       {cache_env}, 60s);
  ASSERT_EQ(m.exit_code, 0) << m.err;
  EXPECT_NE(m.err.find("connected (2 workers)"), std::string::npos) << m.err;
  EXPECT_NE(m.err.find("Starting 10 users on 2 workers"), std::string::npos) << m.err;
  auto r1 = w1.wait(20s), r2 = w2.wait(20s);
  EXPECT_EQ(r1.exit_code, 0) << r1.err;
  EXPECT_EQ(r2.exit_code, 0) << r2.err;
  EXPECT_NE(r1.err.find("All users spawned: 5 users"), std::string::npos) << r1.err;
  EXPECT_NE(r2.err.find("All users spawned: 5 users"), std::string::npos) << r2.err;
  auto rows = read_stats_csv(dir + "/m_stats.csv");
  auto s = shop.stats();
  const uint64_t index = count_of(rows, "GET /"), about = count_of(rows, "GET /about/");
  EXPECT_GT(index + about, 10u);
  EXPECT_EQ(s["requests"].value("GET /", uint64_t{0}), index);
  EXPECT_EQ(s["requests"].value("GET /about/", uint64_t{0}), about);
  EXPECT_EQ(count_of(rows, " Aggregated"), index + about);
  // The master's run store holds the workers' reports: the CSV regenerated from it agrees.
  auto rep = run_process({endure_bin, "report", dir + "/run.db", "--csv", dir + "/again"}, {}, 60s);
  ASSERT_EQ(rep.exit_code, 0) << rep.err;
  auto again = read_stats_csv(dir + "/again_stats.csv");
  EXPECT_EQ(count_of(again, "GET /"), index);
  EXPECT_EQ(count_of(again, "GET /about/"), about);
}

TEST(distributed, processes_two_run_local_workers_and_survive_a_killed_one) {
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  const std::string dir = temp_dir("dist_processes");
  child_process m({endure_bin, "-f", locustfile, "--processes", "2", "--headless", "-u", "10", "-r", "20", "-t",
                   "14s", "--host", shop.url(), "--csv", dir + "/p", "--no-store"},
                  {cache_env});
  // Load flows from both workers, then one of them is killed (early enough in the run, even on a
  // busy machine, for the other to carry on for several seconds).
  std::vector<int> kids;
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline && (kids.size() < 2 || shop_total(shop) < 10)) {
    kids = children_of(m.pid());
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(kids.size(), 2u);
  ASSERT_GE(shop_total(shop), 10u);
  ASSERT_EQ(kill(kids[0], SIGKILL), 0);
  const uint64_t at_kill = shop_total(shop);
  auto r = m.wait(60s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("ended (signal 9)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("its users go to the other workers"), std::string::npos) << r.err;
  const uint64_t served = shop_total(shop);
  EXPECT_GT(served, at_kill + 10) << "the other worker carried on";
  auto rows = read_stats_csv(dir + "/p_stats.csv");
  const uint64_t reported = count_of(rows, " Aggregated");
  // What the killed worker had not yet reported (at most its last 3 s) is all that may be missing.
  EXPECT_LE(reported, served);
  // 5 users waiting 1-5 s between requests make at most 15 requests in 3 s.
  EXPECT_LE(served - reported, 15u) << "reported " << reported << " of " << served;
  EXPECT_TRUE(children_of(m.pid()).empty());
}

TEST(distributed, processes_two_equal_the_shops_counts) {
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  const std::string dir = temp_dir("dist_processes_exact");
  auto r = run_process({endure_bin, "-f", locustfile, "--processes", "2", "--headless", "-u", "6", "-r", "20",
                        "-t", "3s", "--host", shop.url(), "--csv", dir + "/p", "--no-store"},
                       {cache_env}, 60s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto rows = read_stats_csv(dir + "/p_stats.csv");
  EXPECT_GT(count_of(rows, " Aggregated"), 5u);
  EXPECT_EQ(count_of(rows, " Aggregated"), shop_total(shop));
}

// Debian's Locust 2.12.1 (tests/cli/locust_wrapper.py gives it a version string) as the master of
// an endure worker: the Locust master's CSV counts equal what the shop served.
// The worker runs the Python locustfile, or the C++ one with the same class name (WebsiteUser).
class under_a_locust_master : public ::testing::TestWithParam<std::string> {};

TEST_P(under_a_locust_master, an_endure_worker_gives_the_load_and_the_counts_match) {
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  const std::string dir = temp_dir("dist_locust_master");
  const std::string port = std::to_string(free_port());
  child_process w({endure_bin, "-f", source_dir + "/examples/" + GetParam(), "--worker", "--master-port", port},
                  {cache_env});
  auto m = run_process({"/usr/bin/python3", source_dir + "/tests/cli/locust_wrapper.py", "-f", locustfile,
                        "--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", port,
                        "--expect-workers", "1", "--headless", "-u", "6", "-r", "6", "-t", "4s", "--host",
                        shop.url(), "--csv", dir + "/loc"},
                       {}, 240s, dir);  // the C++ worker may compile its locustfile first
  ASSERT_EQ(m.exit_code, 0) << m.err;
  auto wr = w.wait(20s);
  EXPECT_EQ(wr.exit_code, 0) << wr.err;
  EXPECT_NE(wr.err.find("All users spawned: 6 users"), std::string::npos) << wr.err;
  auto rows = read_stats_csv(dir + "/loc_stats.csv");
  const uint64_t index = count_of(rows, "GET /"), about = count_of(rows, "GET /about/");
  EXPECT_GT(index + about, 5u);
  auto s = shop.stats();
  EXPECT_EQ(s["requests"].value("GET /", uint64_t{0}), index);
  EXPECT_EQ(s["requests"].value("GET /about/", uint64_t{0}), about);
}

INSTANTIATE_TEST_SUITE_P(distributed, under_a_locust_master, ::testing::Values("locustfile.py", "locustfile.cpp"),
                         [](const auto& p) { return p.param == "locustfile.py" ? "python" : "cpp"; });

// And the other way round: a Locust 2.12.1 worker under an endure master.
TEST(distributed, a_locust_worker_under_an_endure_master) {
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  const std::string dir = temp_dir("dist_locust_worker");
  const std::string port = std::to_string(free_port());
  child_process w({"/usr/bin/python3", source_dir + "/tests/cli/locust_wrapper.py", "-f", locustfile, "--worker",
                   "--master-port", port},
                  {}, dir);
  auto m = run_process({endure_bin, "-f", locustfile, "--master", "--master-bind-host", "127.0.0.1",
                        "--master-bind-port", port, "--headless", "-u", "6", "-r", "6", "-t", "4s", "--host",
                        shop.url(), "--csv", dir + "/m", "--no-store"},
                       {cache_env}, 60s);
  ASSERT_EQ(m.exit_code, 0) << m.err;
  auto wr = w.wait(20s);
  EXPECT_EQ(wr.exit_code, 0) << wr.err;
  auto rows = read_stats_csv(dir + "/m_stats.csv");
  const uint64_t index = count_of(rows, "GET /"), about = count_of(rows, "GET /about/");
  EXPECT_GT(index + about, 5u);
  auto s = shop.stats();
  EXPECT_EQ(s["requests"].value("GET /", uint64_t{0}), index);
  EXPECT_EQ(s["requests"].value("GET /about/", uint64_t{0}), about);
}

// A second host: a network namespace joined to this one by a veth pair (root only), made and
// removed by the test. Its link can be cut and healed.
class netns {
 public:
  netns() {
    const std::string id = std::to_string(getpid() % 200 + 20);
    name_ = "endure-d" + id;
    host_ip_ = "10.231." + id + ".1";
    ns_ip_ = "10.231." + id + ".2";
    veth_ = "edv" + id;
    ok_ = getuid() == 0 && ip({"netns", "add", name_}) && ip({"link", "add", veth_, "type", "veth", "peer", "name", veth_ + "n"}) &&
          ip({"link", "set", veth_ + "n", "netns", name_}) && ip({"addr", "add", host_ip_ + "/24", "dev", veth_}) &&
          ip({"link", "set", veth_, "up"}) && ip({"-n", name_, "addr", "add", ns_ip_ + "/24", "dev", veth_ + "n"}) &&
          ip({"-n", name_, "link", "set", veth_ + "n", "up"}) && ip({"-n", name_, "link", "set", "lo", "up"});
  }
  ~netns() {
    ip({"link", "del", veth_});
    ip({"netns", "del", name_});
  }
  bool ok() const { return ok_; }
  const std::string& host_ip() const { return host_ip_; }
  const std::string& name() const { return name_; }
  bool link(bool up) { return ip({"link", "set", veth_, up ? "up" : "down"}); }

 private:
  static bool ip(std::vector<std::string> args) {
    args.insert(args.begin(), "ip");
    return run_process(args, {}, 10s).exit_code == 0;
  }
  std::string name_, host_ip_, ns_ip_, veth_;
  bool ok_ = false;
};

// Two hosts: a worker here and one in a namespace. The namespace's link is cut for 8 s: its
// worker is marked missing, its users move to the other worker, and when the link heals it comes
// back and gets its share again; the requests it made are all counted (ZeroMQ delivers its late
// reports, which join the next open interval).
TEST(distributed, a_worker_on_another_host_whose_link_is_cut_and_healed) {
  netns ns;
  if (!ns.ok()) GTEST_SKIP() << "needs root and ip netns";
  demo_shop shop({"--host", ns.host_ip()});
  ASSERT_FALSE(shop.url().empty());
  const std::string dir = temp_dir("dist_netns");
  const std::string port = std::to_string(free_port());
  child_process near({endure_bin, "-f", locustfile, "--worker", "--master-host", "127.0.0.1", "--master-port", port},
                     {cache_env});
  child_process far({"ip", "netns", "exec", ns.name(), endure_bin, "-f", locustfile, "--worker", "--master-host",
                     ns.host_ip(), "--master-port", port},
                    {cache_env});
  child_process m({endure_bin, "-f", locustfile, "--master", "--master-bind-host", "*",
                   "--master-bind-port", port, "--expect-workers", "2", "--headless", "-u", "10", "-r", "50",
                   "-t", "24s", "--host", shop.url(), "--csv", dir + "/n", "--no-store", "--exit-code-on-error",
                   "0", "--worker-missing-after", "2s", "--worker-redistribute-after", "2s",
                   "--request-timeout", "2s"},
                  {cache_env});
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline && shop_total(shop) < 30) std::this_thread::sleep_for(100ms);
  ASSERT_GE(shop_total(shop), 30u);
  ASSERT_TRUE(ns.link(false));
  std::this_thread::sleep_for(8s);  // the outage itself is what is tested: a fixed length of it
  ASSERT_TRUE(ns.link(true));
  auto r = m.wait(60s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("marked missing"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("still missing: its users go to the other workers"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("is back"), std::string::npos) << r.err;
  auto rn = near.wait(20s), rf = far.wait(20s);
  EXPECT_EQ(rn.exit_code, 0) << rn.err;
  EXPECT_EQ(rf.exit_code, 0) << rf.err;
  auto rows = read_stats_csv(dir + "/n_stats.csv");
  const uint64_t requests = count_of(rows, " Aggregated"), failures = count_of(rows, " Aggregated", "Failure Count");
  const uint64_t served = shop_total(shop);
  // Every request that reached the shop is reported; at most the few in flight when the link went
  // down reached it and then failed on the worker's side.
  EXPECT_LE(requests - failures, served);
  EXPECT_LE(served, requests - failures + 10) << requests << " requests, " << failures << " failures";
}

// `-f -`: the worker runs the locustfile its master sends.
TEST(distributed, a_worker_with_dash_f_dash_runs_the_masters_locustfile) {
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  const std::string dir = temp_dir("dist_dash");
  const std::string port = std::to_string(free_port());
  child_process w({endure_bin, "-f", "-", "--worker", "--master-port", port}, {cache_env}, dir);
  auto m = run_process({endure_bin, "-f", locustfile, "--master", "--master-bind-host", "127.0.0.1",
                        "--master-bind-port", port, "--headless", "-u", "4", "-r", "10", "-t", "3s", "--host",
                        shop.url(), "--csv", dir + "/m", "--no-store"},
                       {cache_env}, 60s);
  ASSERT_EQ(m.exit_code, 0) << m.err;
  EXPECT_NE(m.err.find("sent locustfile.py to worker"), std::string::npos) << m.err;
  auto wr = w.wait(20s);
  EXPECT_EQ(wr.exit_code, 0) << wr.err;
  EXPECT_NE(wr.err.find("-f -: running locustfile.py from the master"), std::string::npos) << wr.err;
  auto rows = read_stats_csv(dir + "/m_stats.csv");
  EXPECT_GT(count_of(rows, " Aggregated"), 3u);
  // Every request counted; the shop may also have answered one per user that the stop cut off
  // before its response was read (in flight at the end, as in Locust).
  EXPECT_LE(count_of(rows, " Aggregated"), shop_total(shop));
  EXPECT_LE(shop_total(shop), count_of(rows, " Aggregated") + 4);
  // A master whose -f is a folder cannot send it: the worker says so in one line.
  const std::string port2 = std::to_string(free_port());
  child_process w2({endure_bin, "-f", "-", "--worker", "--master-port", port2}, {cache_env}, dir);
  child_process m2({endure_bin, "-f", source_dir + "/tests/cli/locustfiles/dir", "--master", "--master-bind-host",
                    "127.0.0.1", "--master-bind-port", port2, "--headless", "-u", "1", "-t", "3s",
                    "--expect-workers-max-wait", "3s", "--host", shop.url(), "--no-store"},
                   {cache_env});
  auto wr2 = w2.wait(30s);
  EXPECT_EQ(wr2.exit_code, 2) << wr2.err;
  EXPECT_NE(wr2.err.find("endure: error: -f -: the master cannot send its locustfile: the master's -f ("),
            std::string::npos)
      << wr2.err;
  m2.wait(30s);
}

// `--worker --processes 2`: one command on a load machine, two worker processes under the master.
TEST(distributed, worker_processes_two_supervises_two_workers) {
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  const std::string dir = temp_dir("dist_worker_processes");
  const std::string port = std::to_string(free_port());
  child_process w({endure_bin, "-f", locustfile, "--worker", "--processes", "2", "--master-port", port}, {cache_env});
  auto m = run_process({endure_bin, "-f", locustfile, "--master", "--master-bind-host", "127.0.0.1",
                        "--master-bind-port", port, "--expect-workers", "2", "--headless", "-u", "6", "-r", "20",
                        "-t", "3s", "--host", shop.url(), "--csv", dir + "/m", "--no-store"},
                       {cache_env}, 60s);
  ASSERT_EQ(m.exit_code, 0) << m.err;
  EXPECT_NE(m.err.find("Starting 6 users on 2 workers"), std::string::npos) << m.err;
  auto wr = w.wait(20s);
  EXPECT_EQ(wr.exit_code, 0) << wr.err;
  EXPECT_NE(wr.err.find("Supervising 2 local worker processes"), std::string::npos) << wr.err;
  auto rows = read_stats_csv(dir + "/m_stats.csv");
  EXPECT_GT(count_of(rows, " Aggregated"), 3u);
  EXPECT_EQ(count_of(rows, " Aggregated"), shop_total(shop));
}

// The master is killed with SIGKILL mid-run and a new one starts on the same port: the workers
// keep their users meanwhile, are asked to register again, and the new master runs its test with
// them (Locust's workers are never adopted).
TEST(distributed, workers_outlive_a_killed_master_and_join_the_next_one) {
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  const std::string dir = temp_dir("dist_master_restart");
  const std::string port = std::to_string(free_port());
  child_process w1({endure_bin, "-f", locustfile, "--worker", "--master-port", port}, {cache_env});
  child_process w2({endure_bin, "-f", locustfile, "--worker", "--master-port", port}, {cache_env});
  std::vector<std::string> master = {endure_bin, "-f", locustfile, "--master", "--master-bind-host", "127.0.0.1",
                                     "--master-bind-port", port, "--expect-workers", "2", "--headless", "-u", "6",
                                     "-r", "20", "--host", shop.url(), "--no-store"};
  auto first_args = master;
  first_args.insert(first_args.end(), {"-t", "1h"});
  child_process first(first_args, {cache_env});
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline && shop_total(shop) < 10) std::this_thread::sleep_for(100ms);
  ASSERT_GE(shop_total(shop), 10u);
  first.signal(SIGKILL);
  first.wait(10s);
  const uint64_t at_kill = shop_total(shop);
  auto second_args = master;
  second_args.insert(second_args.end(), {"-t", "4s", "--csv", dir + "/second"});
  auto second = run_process(second_args, {cache_env}, 60s);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.err.find("connected (2 workers)"), std::string::npos) << second.err;
  auto r1 = w1.wait(20s), r2 = w2.wait(20s);
  EXPECT_EQ(r1.exit_code, 0) << r1.err;
  EXPECT_EQ(r2.exit_code, 0) << r2.err;
  EXPECT_NE(r1.err.find("the master asks to reconnect"), std::string::npos) << r1.err;
  EXPECT_GT(shop_total(shop), at_kill);
  auto rows = read_stats_csv(dir + "/second_stats.csv");
  EXPECT_GT(count_of(rows, " Aggregated"), 0u);
  EXPECT_LE(count_of(rows, " Aggregated"), shop_total(shop) - at_kill + 12);  // + what was in flight
}

// Issue 12: the master is killed with SIGKILL mid-run and restarted with the same command (the
// same --store file): it carries the same run on. The workers keep their users, register again
// and send what the killed master had not stored; the run ends at its first start's run time, and
// the store, the CSV and endure report count every request the shop served, once.
TEST(distributed, a_master_restarted_on_its_store_carries_the_run_on_and_loses_nothing) {
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  const std::string dir = temp_dir("dist_master_resume");
  const std::string port = std::to_string(free_port());
  const std::string db = dir + "/run.db";
  child_process w1({endure_bin, "-f", locustfile, "--worker", "--master-port", port}, {cache_env});
  child_process w2({endure_bin, "-f", locustfile, "--worker", "--master-port", port}, {cache_env});
  const std::vector<std::string> master = {endure_bin, "-f", locustfile, "--master", "--master-bind-host",
                                           "127.0.0.1", "--master-bind-port", port, "--expect-workers", "2",
                                           "--headless", "-u", "6", "-r", "20", "--host", shop.url(), "-t", "18s",
                                           "--store", db, "--csv", dir + "/m"};
  const auto t0 = std::chrono::steady_clock::now();
  child_process first(master, {cache_env});
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline && shop_total(shop) < 8) std::this_thread::sleep_for(100ms);
  ASSERT_GE(shop_total(shop), 8u);
  std::this_thread::sleep_for(6s);  // some intervals stored, some still in the merge window
  first.signal(SIGKILL);
  first.wait(10s);
  std::this_thread::sleep_for(2s);  // down: the workers go on
  auto second = run_process(master, {cache_env}, 60s);
  const auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.err.find("Resuming the run recorded in " + db), std::string::npos) << second.err;
  EXPECT_NE(second.err.find("2 workers re-registered"), std::string::npos) << second.err;
  EXPECT_NE(second.err.find("Rebuilt the run's totals from "), std::string::npos) << second.err;
  EXPECT_EQ(second.err.find("from 0 stored rows"), std::string::npos) << "killed before anything was stored";
  EXPECT_LT(took, 32s) << "the run time counts from the first start";
  auto r1 = w1.wait(20s), r2 = w2.wait(20s);
  EXPECT_EQ(r1.exit_code, 0) << r1.err;
  EXPECT_EQ(r2.exit_code, 0) << r2.err;
  const uint64_t served = shop_total(shop);
  EXPECT_NE((r1.err + r2.err).find("sent the restarted master"), std::string::npos) << r1.err << r2.err;
  // One run, ended by its run time, with the restart on its timeline.
  endure::store::sql::database sdb(db, endure::store::sql::open_mode::read_only);
  EXPECT_EQ(sdb.query_text("SELECT count(*) FROM run"), "1");
  EXPECT_EQ(sdb.query_text("SELECT reason FROM run_end"), "run time");
  EXPECT_EQ(sdb.query_text("SELECT count(*) FROM event WHERE kind = 'resumed'"), "1");
  EXPECT_EQ(sdb.query_text("SELECT count(*) FROM event WHERE kind = 'test_start'"), "1");
  EXPECT_EQ(sdb.query_text("SELECT sum(requests) FROM stats WHERE tier = 0 AND entry_id = 0"), std::to_string(served))
      << second.err << "\n--- worker 1:\n" << r1.err << "\n--- worker 2:\n" << r2.err;
  auto rows = read_stats_csv(dir + "/m_stats.csv");
  EXPECT_EQ(count_of(rows, " Aggregated"), served);
  auto rep = run_process({endure_bin, "report", db, "--csv", dir + "/again"}, {}, 60s);
  ASSERT_EQ(rep.exit_code, 0) << rep.err;
  auto again = read_stats_csv(dir + "/again_stats.csv");
  EXPECT_EQ(count_of(again, " Aggregated"), served);
}

// --resume names what it carries on; bad uses are one line and exit code 2.
TEST(distributed, resume_refuses_what_it_cannot_carry_on) {
  const std::string dir = temp_dir("dist_resume_bad");
  auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = {endure_bin, "-f", locustfile, "--headless", "-u", "1", "-t", "2s",
                                  "--host", "http://127.0.0.1:9"};
    a.insert(a.end(), extra.begin(), extra.end());
    return run_process(a, {cache_env}, 30s, dir);
  };
  auto standalone = run({"--resume"});
  EXPECT_EQ(standalone.exit_code, 2);
  EXPECT_NE(standalone.err.find("--resume carries on a distributed run on its restarted master"), std::string::npos)
      << standalone.err;
  auto nothing = run({"--master", "--resume", "--master-bind-port", std::to_string(free_port())});
  EXPECT_EQ(nothing.exit_code, 2);
  EXPECT_NE(nothing.err.find("--resume: no run that did not end in runs"), std::string::npos) << nothing.err;
  auto missing = run({"--master", "--resume", "--store", dir + "/none.db"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("does not exist: nothing to resume"), std::string::npos) << missing.err;
  auto no_store = run({"--master", "--resume", "--no-store"});
  EXPECT_EQ(no_store.exit_code, 2);
  EXPECT_NE(no_store.err.find("cannot go with --no-store"), std::string::npos) << no_store.err;
  // A run that ended is not carried on.
  const auto ended = run({"--store", dir + "/ended.db", "-t", "1s"});
  ASSERT_TRUE(std::filesystem::exists(dir + "/ended.db")) << ended.err;
  auto over = run({"--master", "--resume", "--store", dir + "/ended.db"});
  EXPECT_EQ(over.exit_code, 2);
  EXPECT_NE(over.err.find("has ended: only a run that did not end can be carried on"), std::string::npos) << over.err;
}

TEST(distributed, a_master_without_workers_gives_up_after_the_max_wait) {
  auto r = run_process({endure_bin, "-f", locustfile, "--master", "--master-bind-host", "127.0.0.1",
                        "--master-bind-port", std::to_string(free_port()), "--expect-workers-max-wait", "1s",
                        "--headless", "-u", "1", "-t", "5s", "--host", "http://127.0.0.1:9", "--no-store"},
                       {cache_env}, 30s);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("endure: error: no worker connected within --expect-workers-max-wait"), std::string::npos)
      << r.err;
}

// Heartbeats come from the worker's network thread: a user that burns the CPU for 6 s without
// yielding (and holds Python's GIL) does not make its worker look dead, even with a 2 s limit.
TEST(distributed, a_worker_whose_user_burns_the_cpu_is_not_marked_missing) {
  const std::string port = std::to_string(free_port());
  const std::string file = source_dir + "/tests/locustfiles/stuck_once.py";
  child_process w({endure_bin, "-f", file, "--worker", "--master-port", port}, {cache_env});
  auto m = run_process({endure_bin, "-f", file, "--master", "--master-bind-host", "127.0.0.1", "--master-bind-port",
                        port, "--headless", "-u", "1", "-r", "1", "-t", "9s", "--worker-missing-after", "2s",
                        "--no-store"},
                       {cache_env}, 60s);
  auto wr = w.wait(30s);
  EXPECT_EQ(m.exit_code, 0) << m.err;
  EXPECT_NE(m.err.find("Starting 1 users on 1 workers"), std::string::npos) << m.err;
  EXPECT_EQ(m.err.find("marked missing"), std::string::npos) << m.err;
  EXPECT_NE(wr.err.find("Cruncher.crunch_numbers"), std::string::npos) << "the user did block: " << wr.err;
}

TEST(distributed, the_open_model_shares_the_arrival_rate_among_the_workers) {
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  const std::string dir = temp_dir("dist_open");
  const std::string lf = source_dir + "/tests/cli/locustfiles/web_shop.py";
  // 40 arrivals a second in total for 3 s, each worker starting 20 a second: about 120 requests
  // (each iteration is one request), whatever the response times.
  auto r = run_process({endure_bin, "-f", lf, "--processes", "2", "--headless", "--arrival-rate", "40/s",
                        "--max-users", "20", "-t", "3s", "--stop-timeout", "5s", "--host", shop.url(), "--csv",
                        dir + "/o", "--no-store"},
                       {cache_env}, 90s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("Starting the open model on 2 workers"), std::string::npos) << r.err;
  auto rows = read_stats_csv(dir + "/o_stats.csv");
  const uint64_t reported = count_of(rows, " Aggregated");
  EXPECT_EQ(reported, shop_total(shop));
  // Each worker's share (20/s) over the 3 s: not the whole rate on each worker (240), not none.
  EXPECT_GE(reported, 90u);
  EXPECT_LE(reported, 150u);
}

// --summary-json on a master: the merged totals equal what the shop served, a failed threshold is
// in the document and in its exit code (3), and the store holds the threshold as an event.
TEST(distributed, a_master_writes_the_run_summary_of_its_workers) {
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  const std::string dir = temp_dir("dist_summary");
  auto r = run_process({endure_bin, "-f", locustfile, "--processes", "2", "--headless", "-u", "4", "-r", "20",
                        "-t", "3s", "--host", shop.url(), "--store", dir + "/run.db", "--threshold", "p50<1us",
                        "--summary-json", dir + "/s.json"},
                       {cache_env}, 60s);
  ASSERT_EQ(r.exit_code, 3) << r.err;
  std::ifstream in(dir + "/s.json");
  ASSERT_TRUE(in.good()) << r.err;
  const auto s = nlohmann::json::parse(in);
  EXPECT_EQ(s["source"], "run");
  EXPECT_EQ(s["run"]["exit_code"], 3);
  EXPECT_EQ(s["run"]["store"], dir + "/run.db");
  ASSERT_EQ(s["run"]["exit_reasons"].size(), 1u) << s["run"].dump();
  EXPECT_EQ(s["run"]["exit_reasons"][0].get<std::string>().rfind("threshold failed: p50<1us", 0), 0u);
  const uint64_t served = shop_total(shop);
  EXPECT_GT(served, 0u);
  EXPECT_EQ(s["totals"]["aggregated"]["requests"].get<uint64_t>(), served);
  ASSERT_EQ(s["thresholds"].size(), 1u);
  EXPECT_FALSE(s["thresholds"][0]["passed"].get<bool>());
  auto q = run_process({"sqlite3", dir + "/run.db", "select count(*) from event where kind = 'threshold'"}, {}, 10s);
  EXPECT_EQ(q.out, "1\n") << q.err;
}

// The URL a process prints as "Web UI: URL" ("" when it does not within 30 s).
std::string web_ui_url(child_process& p) {
  std::string out = p.wait_for_stdout("Web UI: ", 30s);
  out += p.wait_for_stdout("\n", 2s);
  const auto at = out.find("Web UI: ");
  if (at == std::string::npos) {
    ADD_FAILURE() << "no 'Web UI:' line: " << out;
    return "";
  }
  return out.substr(at + 8, out.find('\n', at) - at - 8);
}

// One request with curl: {HTTP status, body}.
std::pair<int, std::string> http(const std::string& url, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {"curl", "-s", "-m", "10", "-w", "\n%{http_code}"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(url);
  auto r = run_process(argv, {}, 15s);
  auto nl = r.out.rfind('\n');
  if (nl == std::string::npos) return {0, ""};
  return {std::atoi(r.out.c_str() + nl + 1), r.out.substr(0, nl)};
}

nlohmann::json get_json(const std::string& url) {
  return nlohmann::json::parse(http(url).second, nullptr, false);
}

// Polls GET url until ok(answer) or the deadline; returns the last answer.
nlohmann::json poll(const std::string& url, const std::function<bool(const nlohmann::json&)>& ok,
                    std::chrono::milliseconds deadline = 20s) {
  auto end = std::chrono::steady_clock::now() + deadline;
  nlohmann::json j;
  while (std::chrono::steady_clock::now() < end) {
    j = get_json(url);
    if (!j.is_discarded() && ok(j)) return j;
    std::this_thread::sleep_for(200ms);
  }
  return j;
}

uint64_t aggregated(const nlohmann::json& j) {
  return j.contains("stats") && !j["stats"].empty() ? j["stats"].back()["num_requests"].get<uint64_t>() : 0;
}

TEST(distributed, the_masters_web_ui_starts_edits_stops_and_starts_again_on_two_workers) {
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  const std::string dir = temp_dir("dist_web");
  const std::string lf = source_dir + "/tests/cli/locustfiles/web_shop.py";
  const std::string port = std::to_string(free_port());
  // A grace time at the stop: tasks in flight finish, so every request the shop served is counted.
  child_process m({endure_bin, "-f", lf, "--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", port,
                   "--web-port", "0", "-H", shop.url(), "--stop-timeout", "5s", "--csv", dir + "/m", "--store",
                   dir + "/run.db"},
                  {cache_env});
  const std::string u = web_ui_url(m);
  ASSERT_FALSE(u.empty());
  // No worker yet: a start is refused with one sentence.
  auto early = http(u + "/swarm", {"-X", "POST", "--data", "user_count=2&spawn_rate=10"});
  EXPECT_EQ(early.first, 400) << early.second;
  EXPECT_NE(early.second.find("no worker has connected yet"), std::string::npos) << early.second;
  EXPECT_EQ(get_json(u + "/worker-count")["worker_count"], 0);

  child_process w1({endure_bin, "-f", lf, "--worker", "--master-port", port}, {cache_env});
  child_process w2({endure_bin, "-f", lf, "--worker", "--master-port", port}, {cache_env});
  auto count = poll(u + "/worker-count", [](const nlohmann::json& j) { return j["worker_count"] == 2; }, 30s);
  ASSERT_EQ(count["worker_count"], 2) << count.dump();

  // Start: 4 users over the two workers.
  auto started = http(u + "/swarm", {"-X", "POST", "--data", "user_count=4&spawn_rate=100&host=" + shop.url()});
  ASSERT_EQ(started.first, 200) << started.second;
  EXPECT_NE(started.second.find("Swarming started"), std::string::npos);
  auto running = poll(u + "/stats/requests", [](const nlohmann::json& j) {
    if (j["user_count"] != 4 || aggregated(j) < 20 || !j.contains("workers") || j["workers"].size() != 2) return false;
    for (auto& w : j["workers"])
      if (w["user_count"] != 2) return false;
    return true;
  });
  EXPECT_EQ(running["state"], "running") << running.dump();
  EXPECT_EQ(running["user_count"], 4);
  EXPECT_EQ(running["worker_count"], 2);
  ASSERT_EQ(running["workers"].size(), 2u) << running.dump();
  for (auto& w : running["workers"]) {
    EXPECT_EQ(w["user_count"], 2) << running.dump();
    EXPECT_EQ(w["state"], "running") << running.dump();
    EXPECT_TRUE(w["cpu_usage"].is_number());
    EXPECT_NE(w["id"].get<std::string>(), "");
  }
  // The edit: 2 users, one on each worker.
  ASSERT_EQ(http(u + "/swarm", {"-X", "POST", "--data", "user_count=2&spawn_rate=100"}).first, 200);
  auto edited = poll(u + "/stats/requests", [](const nlohmann::json& j) { return j["user_count"] == 2; });
  EXPECT_EQ(edited["user_count"], 2) << edited.dump();
  // Stop: the totals equal what the shop served.
  auto stop = http(u + "/stop");
  EXPECT_EQ(stop.first, 200);
  auto stopped = poll(u + "/stats/requests", [&](const nlohmann::json& j) {
    return j["state"] == "stopped" && aggregated(j) == shop_total(shop);
  });
  EXPECT_EQ(stopped["state"], "stopped") << stopped.dump();
  EXPECT_EQ(aggregated(stopped), shop_total(shop));
  EXPECT_GT(aggregated(stopped), 20u);
  // A second test on the same workers, then its stop: its own totals equal what the shop served since.
  const uint64_t before = shop_total(shop);
  ASSERT_EQ(http(u + "/swarm", {"-X", "POST", "--data", "user_count=2&spawn_rate=100"}).first, 200);
  // The master publishes a second once every worker's report of it is in (6 s): until then the
  // table still shows the last test.
  auto again = poll(u + "/stats/requests", [&](const nlohmann::json& j) {
    return j["state"] == "running" && j["user_count"] == 2 && aggregated(j) > 10 && aggregated(j) < before;
  });
  EXPECT_EQ(again["state"], "running") << again.dump();
  EXPECT_LT(aggregated(again), before) << "the second test counts from zero";
  // The master's Prometheus page on the UI's port carries the merged run.
  auto metrics = http(u + "/metrics");
  EXPECT_EQ(metrics.first, 200);
  EXPECT_NE(metrics.second.find("endure_requests"), std::string::npos) << metrics.second.substr(0, 500);
  EXPECT_EQ(http(u + "/stop").first, 200);
  auto second = poll(u + "/stats/requests", [&](const nlohmann::json& j) {
    return j["state"] == "stopped" && aggregated(j) == shop_total(shop) - before;
  });
  EXPECT_EQ(aggregated(second), shop_total(shop) - before) << second.dump();
  // The Soak verdict panel's endpoint answers on a master too (the merged run's judgement).
  auto verdict = http(u + "/verdict");
  EXPECT_EQ(verdict.first, 200) << verdict.second;
  const auto vj = nlohmann::json::parse(verdict.second, nullptr, false);
  EXPECT_TRUE(!vj.is_discarded() && vj.contains("state")) << verdict.second;

  // Ctrl-C: the master tells the workers to quit and ends with its outputs written.
  m.signal(SIGINT);
  auto r = m.wait(60s);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto r1 = w1.wait(20s), r2 = w2.wait(20s);
  EXPECT_EQ(r1.exit_code, 0) << r1.err;
  EXPECT_EQ(r2.exit_code, 0) << r2.err;
  auto rows = read_stats_csv(dir + "/m_stats.csv");
  EXPECT_EQ(count_of(rows, " Aggregated"), shop_total(shop) - before) << "the CSV is the last test's";
}

// The master's start form sets the locustfile's own options on its workers (Locust's
// parsed_options in spawn): the form's values over the master's command line's, typed; a second
// test takes new ones. The request names show the values the worker's users saw.
TEST(distributed, the_masters_start_form_sets_the_locustfiles_options_on_the_workers) {
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  const std::string lf = source_dir + "/tests/cli/locustfiles/web_options.py";
  const std::string port = std::to_string(free_port());
  child_process m({endure_bin, "-f", lf, "--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", port,
                   "--web-port", "0", "-H", shop.url(), "--section", "toys", "--no-store"},
                  {cache_env});
  const std::string u = web_ui_url(m);
  ASSERT_FALSE(u.empty());
  child_process w({endure_bin, "-f", lf, "--worker", "--master-port", port}, {cache_env});
  ASSERT_EQ(poll(u + "/worker-count", [](const nlohmann::json& j) { return j["worker_count"] == 1; }, 30s)["worker_count"], 1);

  auto named = [](const nlohmann::json& j, const std::string& name) {
    for (auto& e : j["stats"])
      if (e["name"] == name && e["num_requests"].get<uint64_t>() > 0) return true;
    return false;
  };
  auto started = http(u + "/swarm", {"-X", "POST", "--data",
                                     "user_count=2&spawn_rate=100&shape_class=Default&page_size=42&with_cart=true"});
  ASSERT_EQ(started.first, 200) << started.second;
  auto first = poll(u + "/stats/requests", [&](const nlohmann::json& j) { return named(j, "/products size=42 toys cart=True"); });
  EXPECT_TRUE(named(first, "/products size=42 toys cart=True")) << first.dump();
  ASSERT_EQ(http(u + "/stop").first, 200);
  poll(u + "/stats/requests", [](const nlohmann::json& j) { return j["state"] == "stopped"; });
  auto again = http(u + "/swarm", {"-X", "POST", "--data",
                                   "user_count=2&spawn_rate=100&shape_class=Default&page_size=7&section=books"});
  ASSERT_EQ(again.first, 200) << again.second;
  auto second = poll(u + "/stats/requests", [&](const nlohmann::json& j) { return named(j, "/products size=7 books cart=True"); });
  EXPECT_TRUE(named(second, "/products size=7 books cart=True")) << second.dump();
  auto bad = http(u + "/swarm", {"-X", "POST", "--data", "user_count=2&spawn_rate=100&page_size=lots"});
  EXPECT_EQ(bad.first, 400) << bad.second;
  m.signal(SIGINT);
  EXPECT_EQ(m.wait(60s).exit_code, 0);
  EXPECT_EQ(w.wait(20s).exit_code, 0);
}

TEST(distributed, the_masters_load_shape_sets_the_workers_users_and_ends_the_run) {
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  const std::string dir = temp_dir("dist_shape");
  const std::string lf = source_dir + "/tests/cli/locustfiles/web_shop.py";
  auto r = run_process({endure_bin, "-f", lf, "--processes", "2", "--headless", "--shape", "steps:2,4@2s", "-r", "100",
                        "--stop-timeout", "5s", "--host", shop.url(), "--csv", dir + "/s", "--no-store"},
                       {cache_env}, 90s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("Starting the load shape on 2 workers"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("All users spawned: 4 on 2 workers"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Stopping (shape)"), std::string::npos) << r.err;
  auto rows = read_stats_csv(dir + "/s_stats.csv");
  EXPECT_GT(count_of(rows, " Aggregated"), 20u);
  EXPECT_EQ(count_of(rows, " Aggregated"), shop_total(shop));
}

TEST(distributed, iterations_are_shared_by_the_workers_and_run_exactly) {
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  const std::string dir = temp_dir("dist_iterations");
  const std::string lf = source_dir + "/tests/cli/locustfiles/web_shop.py";
  // Each task makes one request: 41 iterations, 21 on one worker and 20 on the other. As standalone,
  // a user that was already in a task when the count was reached finishes it (at most one request
  // per user beyond the count).
  auto r = run_process({endure_bin, "-f", lf, "--processes", "2", "--headless", "-u", "4", "-r", "100", "-i", "41",
                        "-t", "60s", "--host", shop.url(), "--csv", dir + "/i", "--no-store"},
                       {cache_env}, 90s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("Stopping (iterations)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("ran its 21 iterations"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("ran its 20 iterations"), std::string::npos) << r.err;
  auto rows = read_stats_csv(dir + "/i_stats.csv");
  const uint64_t reported = count_of(rows, " Aggregated");
  EXPECT_EQ(reported, shop_total(shop));
  EXPECT_GE(reported, 41u);
  EXPECT_LE(reported, 41u + 4u);
}

TEST(distributed, a_master_with_autostart_and_autoquit_runs_one_test_and_ends) {
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  const std::string dir = temp_dir("dist_autostart");
  const std::string lf = source_dir + "/tests/cli/locustfiles/web_shop.py";
  // --processes: local workers; --autostart waits for them, --autoquit ends the process after the run.
  auto r = run_process({endure_bin, "-f", lf, "--processes", "2", "--web-port", "0", "--autostart", "--autoquit",
                        "1", "-u", "2", "-r", "100", "-t", "3s", "--stop-timeout", "5s", "--host", shop.url(),
                        "--csv", dir + "/a", "--no-store", "--monitor-pid", std::to_string(shop.pid())},
                       {cache_env}, 90s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Web UI: http://127.0.0.1:"), std::string::npos) << r.out;
  auto rows = read_stats_csv(dir + "/a_stats.csv");
  EXPECT_GT(count_of(rows, " Aggregated"), 20u);
  EXPECT_EQ(count_of(rows, " Aggregated"), shop_total(shop));
  // --monitor-pid runs on the master: the shop's RSS, sampled every second of the run.
  const std::string mon = read_file(dir + "/a_monitor.csv");
  size_t rss = 0;
  for (size_t p = mon.find("rss_bytes"); p != std::string::npos; p = mon.find("rss_bytes", p + 1)) ++rss;
  EXPECT_GE(rss, 2u) << mon;
}

TEST(distributed, a_port_in_use_is_one_clear_line) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  auto r = run_process({endure_bin, "-f", locustfile, "--master", "--master-bind-host", "127.0.0.1",
                        "--master-bind-port", std::to_string(ntohs(a.sin_port)), "--headless", "-u", "1", "-t",
                        "1s", "--host", "http://127.0.0.1:9", "--no-store"},
                       {cache_env}, 30s);
  close(fd);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("endure: error: cannot listen for workers on 127.0.0.1:"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace endure::test_support
