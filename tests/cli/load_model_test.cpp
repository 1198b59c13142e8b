// The open model and session churn through the binary, C++ and Python locustfiles alike: an
// arrival with no free user is counted as dropped (PREFIX_users.csv, the summary, never silent),
// the rate is kept whatever the response times, and a session that ends runs on_stop and a fresh
// user's on_start.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include "cli_support.hpp"

using namespace endure::test_support;
using namespace std::chrono_literals;

namespace {

const std::string cpp_dir = ENDURE_SOURCE_DIR "/tests/cli/locustfiles/";
const std::string py_dir = ENDURE_SOURCE_DIR "/tests/locustfiles/";

struct class_totals {
  uint64_t rows = 0, dropped = 0, started = 0, ended = 0;
};

// Sums of PREFIX_users.csv (Timestamp,User Class,Users,Dropped Arrivals,Sessions Started,Sessions Ended).
class_totals users_csv(const std::string& path) {
  class_totals t;
  auto lines = split(read_file(path), '\n');
  EXPECT_FALSE(lines.empty()) << path;
  if (lines.empty()) return t;
  EXPECT_EQ(lines[0], "Timestamp,User Class,Users,Dropped Arrivals,Sessions Started,Sessions Ended");
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    auto c = split(lines[i], ',');
    EXPECT_EQ(c.size(), 6u) << lines[i];
    if (c.size() != 6) continue;
    ++t.rows;
    t.dropped += std::stoull(c[3]);
    t.started += std::stoull(c[4]);
    t.ended += std::stoull(c[5]);
  }
  return t;
}

struct run_result {
  process_result proc;
  csv_rows stats;
  class_totals classes;
};

run_result run(const std::string& name, const std::string& host, std::vector<std::string> args) {
  const std::string dir = temp_dir(name);
  std::vector<std::string> argv = {endure_bin, "--host", host, "--headless", "--no-store",
                                   "--csv", dir + "/out", "--only-summary"};
  argv.insert(argv.end(), args.begin(), args.end());
  run_result r;
  r.proc = run_process(argv, {cache_env}, 180s);
  r.stats = read_stats_csv(dir + "/out_stats.csv");
  r.classes = users_csv(dir + "/out_users.csv");
  return r;
}

}  // namespace

// A pool of 2 users against a 200 ms target cannot take 40 arrivals/s: about 10/s run, the rest
// are dropped and counted, per interval and in the summary. Arrivals run + dropped = the rate.
TEST(load_model, arrivals_with_no_free_user_are_dropped_and_counted_cpp_and_python) {
  demo_shop shop({"--latency-ms", "200"});
  ASSERT_FALSE(shop.url().empty());
  for (const auto& [lang, file] : {std::pair{"cpp", cpp_dir + "stall_open.cpp"},
                                   std::pair{"python", py_dir + "stall_open.py"}}) {
    SCOPED_TRACE(lang);
    auto r = run(std::string("dropped_") + lang, shop.url(),
                 {"-f", file, "--arrival-rate", "40/s", "--max-users", "2", "-t", "4s"});
    EXPECT_EQ(r.proc.exit_code, 0) << r.proc.err;
    const uint64_t done = count_of(r.stats, " Aggregated");
    // 2 users x 5 requests/s x 4 s = 40 requests; 160 arrivals in all.
    EXPECT_GE(done, 30u);
    EXPECT_LE(done, 44u);
    EXPECT_GE(r.classes.dropped, 100u);
    EXPECT_NEAR(static_cast<double>(done + r.classes.dropped), 160.0, 16.0);
    EXPECT_NE(r.proc.out.find("arrivals were dropped: no user of the pool was free"), std::string::npos)
        << r.proc.out;
    EXPECT_NE(r.proc.out.find("Dropped arrivals"), std::string::npos);
  }
}

// A fast target: the open model keeps the rate (no drop), one iteration per arrival, whatever
// the class's wait_time; Python and C++ alike.
TEST(load_model, the_arrival_rate_is_kept_cpp_and_python) {
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  for (const auto& [lang, file] : {std::pair{"cpp", cpp_dir + "stall_open.cpp"},
                                   std::pair{"python", py_dir + "stall_open.py"}}) {
    SCOPED_TRACE(lang);
    auto r = run(std::string("rate_") + lang, shop.url(),
                 {"-f", file, "--arrival-rate", "100/s", "--max-users", "50", "-t", "3s"});
    EXPECT_EQ(r.proc.exit_code, 0) << r.proc.err;
    EXPECT_NEAR(static_cast<double>(count_of(r.stats, " Aggregated")), 300.0, 9.0);
    EXPECT_EQ(r.classes.dropped, 0u);
  }
}

// --session-length 1s..1s: each user logs in (on_start), browses for a second, logs out (on_stop)
// and a fresh user takes its place; 3 users for 4 s make about 12 sessions.
TEST(load_model, session_churn_repeats_on_start_and_on_stop_cpp_and_python) {
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  for (const auto& [lang, file] : {std::pair{"cpp", cpp_dir + "churn.cpp"},
                                   std::pair{"python", py_dir + "churn.py"}}) {
    SCOPED_TRACE(lang);
    auto r = run(std::string("churn_") + lang, shop.url(),
                 {"-f", file, "-u", "3", "-r", "100", "-t", "4s", "--session-length", "1s..1s"});
    EXPECT_EQ(r.proc.exit_code, 0) << r.proc.err;
    const uint64_t logins = count_of(r.stats, "GET login");
    const uint64_t logouts = count_of(r.stats, "GET logout");
    EXPECT_GE(logins, 9u);
    EXPECT_LE(logins, 18u);
    // Every session that started ended (the last ones at the test's stop).
    EXPECT_GE(logouts + 3, logins);
    EXPECT_EQ(r.classes.started, logins);
    EXPECT_GE(r.classes.ended, logins - 3);
    EXPECT_GT(count_of(r.stats, "GET /products"), 100u);
  }
}

// A SequentialTaskSet under the open model: one arrival runs the whole journey once.
TEST(load_model, one_arrival_runs_a_whole_sequential_journey_in_python) {
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  auto r = run("journey", shop.url(),
               {"-f", py_dir + "journey_open.py", "--arrival-rate", "20/s", "--max-users", "10", "-t", "3s"});
  EXPECT_EQ(r.proc.exit_code, 0) << r.proc.err;
  const uint64_t first = count_of(r.stats, "GET 1 browse");
  EXPECT_NEAR(static_cast<double>(first), 60.0, 4.0);
  // A journey under way at the stop ends between its steps (as Locust's task sets do when a user
  // stops): at most the last one is cut short.
  const uint64_t cart = count_of(r.stats, "GET 2 cart"), checkout = count_of(r.stats, "GET 3 checkout");
  EXPECT_LE(cart, first);
  EXPECT_GE(cart + 1, first);
  EXPECT_LE(checkout, cart);
  EXPECT_GE(checkout + 1, cart);
}

// A class's own arrival rate (Python `arrival_rate = "600/m"`, C++ `u.arrival_rate(10)`): it
// keeps it, the other class takes --arrival-rate; without the flag the file alone is the open
// model and the class without a rate gets none.
TEST(load_model, a_class_has_an_arrival_rate_of_its_own_cpp_and_python) {
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  for (const auto& [lang, file] : {std::pair{"cpp", cpp_dir + "class_rates.cpp"},
                                   std::pair{"python", py_dir + "class_rates.py"}}) {
    SCOPED_TRACE(lang);
    auto r = run(std::string("class_rates_") + lang, shop.url(),
                 {"-f", file, "--arrival-rate", "30/s", "--max-users", "50", "-t", "3s"});
    EXPECT_EQ(r.proc.exit_code, 0) << r.proc.err;
    EXPECT_NEAR(static_cast<double>(count_of(r.stats, "GET buy")), 30.0, 3.0);
    EXPECT_NEAR(static_cast<double>(count_of(r.stats, "GET browse")), 90.0, 4.0);
    auto alone = run(std::string("class_rates_alone_") + lang, shop.url(), {"-f", file, "-t", "2s"});
    EXPECT_EQ(alone.proc.exit_code, 0) << alone.proc.err;
    EXPECT_NEAR(static_cast<double>(count_of(alone.stats, "GET buy")), 20.0, 2.0);
    EXPECT_EQ(count_of(alone.stats, "GET browse"), 0u);
    EXPECT_NE(alone.proc.err.find("Class Browser has no arrival_rate"), std::string::npos) << alone.proc.err;
  }
}

// A bad arrival_rate or session_length in a Python class is one line and exit 2.
TEST(load_model, a_bad_class_arrival_rate_or_session_length_is_refused) {
  const std::string dir = temp_dir("bad_class_rate");
  const std::string file = dir + "/bad.py";
  {
    std::ofstream f(file);
    f << "from locust import HttpUser, task\n"
         "class U(HttpUser):\n"
         "    arrival_rate = '5/x'\n"
         "    @task\n"
         "    def t(self):\n"
         "        pass\n";
  }
  auto r = run_process({endure_bin, "-f", file, "--host", "http://127.0.0.1:9", "--headless", "--no-store", "-t", "1s"},
                       {cache_env}, 60s);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("U.arrival_rate = '5/x': expected a rate"), std::string::npos) << r.err;
  {
    std::ofstream f(file);
    f << "from locust import HttpUser, task\n"
         "class U(HttpUser):\n"
         "    session_length = '2m..1m'\n"
         "    @task\n"
         "    def t(self):\n"
         "        pass\n";
  }
  auto s = run_process({endure_bin, "-f", file, "--host", "http://127.0.0.1:9", "--headless", "--no-store", "-t", "1s"},
                       {cache_env}, 60s);
  EXPECT_EQ(s.exit_code, 2);
  EXPECT_NE(s.err.find("U.session_length = '2m..1m': expected a range"), std::string::npos) << s.err;
}

// A class's own session length (Python `session_length = "1s..1s"`, C++ u.session_length(1s, 1s)):
// only that class churns; the other keeps its one session.
TEST(load_model, a_class_churns_with_a_session_length_of_its_own_cpp_and_python) {
  demo_shop shop;
  ASSERT_FALSE(shop.url().empty());
  for (const auto& [lang, file] : {std::pair{"cpp", cpp_dir + "churn_class.cpp"},
                                   std::pair{"python", py_dir + "churn_class.py"}}) {
    SCOPED_TRACE(lang);
    auto r = run(std::string("churn_class_") + lang, shop.url(), {"-f", file, "-u", "2", "-r", "100", "-t", "4s"});
    EXPECT_EQ(r.proc.exit_code, 0) << r.proc.err;
    EXPECT_GE(count_of(r.stats, "GET churner login"), 3u);
    EXPECT_EQ(count_of(r.stats, "GET stayer login"), 1u);
    EXPECT_NE(r.proc.out.find("Sessions started"), std::string::npos) << "the load-model table is shown";
  }
}
