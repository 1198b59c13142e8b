#include "report/console.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>
#include <vector>

#include "report/format.hpp"
#include "unit/report/sample_snapshot.hpp"

namespace endure::report {
namespace {

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

TEST(console, stats_table_layout_matches_locust) {
  const auto s = test::make_snapshot();
  const auto l = lines(stats_table(s, rate_kind::current));
  ASSERT_EQ(l.size(), 6u);
  const std::string name_pad(76 - 4, ' ');
  EXPECT_EQ(l[0], "Type     Name" + std::string(76 - 4, ' ') +
                      "  # reqs      # fails |    Avg     Min     Max    Med |   req/s  failures/s");
  EXPECT_EQ(l[1], std::string(8, '-') + "|" + std::string(76, '-') +
                      "|-------|-------------|-------|-------|-------|-------|--------|-----------");
  EXPECT_EQ(l[2], "GET      /a" + std::string(74, ' ') +
                      "     100     4(4.00%) |  0.229  0.0765    1.53  0.153 |   20.00        0.80");
  EXPECT_EQ(l[4], l[1]);
  EXPECT_EQ(l[5].substr(0, 19), "         Aggregated");
  // All lines of a table have the same width (columns stay aligned).
  EXPECT_EQ(l[0].size(), l[2].size());
  EXPECT_EQ(l[1].size(), l[5].size());
  // Whole-run rates in the summary variant.
  const auto w = lines(stats_table(s, rate_kind::whole_run));
  EXPECT_NE(w[2].find("|   10.00        0.40"), std::string::npos) << w[2];
}

TEST(console, periodic_table_states_time_elapsed_users_and_current_median_and_p95) {
  auto s = test::make_snapshot();
  s.test_start_wall_s = s.start_wall_s - 3 * 86400 - 4 * 3600 - 12 * 60;  // reset since
  s.peak_user_count = 40;
  const auto l = lines(periodic_table(s));
  ASSERT_EQ(l.size(), 7u);
  EXPECT_EQ(l[0], "2023-11-14T22:13:30Z, 3d 4h 12m 11s into the test, 25 users (peak 40)");
  EXPECT_EQ(l[1], "Type     Name" + std::string(76 - 4, ' ') +
                      "  # reqs      # fails |    Avg     Min     Max    Med | Med 10s p95 10s |   req/s  failures/s");
  EXPECT_EQ(l[2], std::string(8, '-') + "|" + std::string(76, '-') +
                      "|-------|-------------|-------|-------|-------|-------|-----------------|--------|-----------");
  // Whole-run median 0.153 beside the window's median 0.306 and p95 0.153 x 7.
  EXPECT_EQ(l[3], "GET      /a" + std::string(74, ' ') +
                      "     100     4(4.00%) |  0.229  0.0765    1.53  0.153 |   0.306    1.07 |   20.00        0.80");
  EXPECT_EQ(l[1].size(), l[3].size());
  EXPECT_EQ(l[2].size(), l[6].size());
  // An empty window is N/A, not 0; without a peak above the count, no "(peak)".
  s.rows[0].current_requests = 0;
  s.peak_user_count = 25;
  const auto n = lines(periodic_table(s));
  EXPECT_NE(n[3].find("|     N/A     N/A |"), std::string::npos) << n[3];
  EXPECT_EQ(n[0], "2023-11-14T22:13:30Z, 3d 4h 12m 11s into the test, 25 users");
  // Without a test start (older snapshots) the elapsed time counts from the statistics' start.
  s.test_start_wall_s = 0;
  EXPECT_EQ(status_line(s), "2023-11-14T22:13:30Z, 11s into the test, 25 users\n");
}

TEST(console, percentiles_table) {
  const auto s = test::make_snapshot();
  const auto l = lines(percentiles_table(s));
  ASSERT_EQ(l.size(), 7u);
  EXPECT_EQ(l[0], "Response time percentiles (approximated)");
  EXPECT_EQ(l[1].substr(0, 13), "Type     Name");
  EXPECT_NE(l[1].find("      50%    66%    75%    80%    90%    95%    98%    99%  99.9% 99.99%   100% # reqs"),
            std::string::npos) << l[1];
  EXPECT_EQ(l[2], std::string(8, '-') + "|" + std::string(80, '-') + "|--------" +
                      "|------|------|------|------|------|------|------|------|------|------|------");
  EXPECT_EQ(l[3], "GET      /a" + std::string(78, ' ') +
                      "    0.153  0.306  0.459  0.612  0.765  0.918   1.07   1.22   1.38   1.53   1.68    100");
  EXPECT_EQ(l[1].size(), l[3].size());
  EXPECT_EQ(l[6].substr(0, 19), "         Aggregated");
}

TEST(console, error_and_exception_reports) {
  auto s = test::make_snapshot();
  const auto e = lines(error_report(s));
  ASSERT_EQ(e.size(), 6u);
  EXPECT_EQ(e[0], "Error report");
  EXPECT_EQ(e[1], "# occurrences      Error" + std::string(95, ' '));
  EXPECT_EQ(e[2], std::string(18, '-') + "|" + std::string(141, '-'));
  EXPECT_EQ(e[3].substr(0, 64),
            "4                  GET /a: HTTPError('500 Server Error')        ");
  EXPECT_EQ(e[5], "");
  const auto x = lines(exceptions_report(s));
  ASSERT_GE(x.size(), 5u);
  EXPECT_EQ(x[0], "Exceptions");
  EXPECT_EQ(x[3].substr(0, 51), "2                  std::runtime_error: out of stock");
  EXPECT_NE(x[4].find("at EcommerceUser::browse"), std::string::npos);
  s.failures.clear();
  s.exceptions.clear();
  EXPECT_EQ(error_report(s), "");
  EXPECT_EQ(exceptions_report(s), "");
}

TEST(console, final_summary_has_all_parts) {
  const auto s = test::make_snapshot();
  const auto text = final_summary(s);
  EXPECT_EQ(text.find(stats_table(s, rate_kind::whole_run)), 0u);
  EXPECT_NE(text.find("Response time percentiles (approximated)"), std::string::npos);
  EXPECT_NE(text.find("Error report"), std::string::npos);
  EXPECT_NE(text.find("Exceptions"), std::string::npos);
  EXPECT_EQ(text.find("no request was made"), std::string::npos);
}

// A run that made no request says so in the summary itself, not only in the log; the open model's
// dropped arrivals and the intended-start table appear when they have something to say.
TEST(console, final_summary_says_when_no_request_was_made_and_shows_the_load_model) {
  stats::snapshot empty;
  EXPECT_NE(final_summary(empty).find("WARNING: no request was made in this test"), std::string::npos);
  auto s = test::make_snapshot();
  EXPECT_EQ(final_summary(s).find("Dropped arrivals"), std::string::npos);
  s.classes.push_back({"Shopper", 0, 3, 2});
  EXPECT_EQ(final_summary(s).find("Sessions started"), std::string::npos) << "a closed run: not shown";
  console_options churn;
  churn.load_model = true;
  EXPECT_NE(final_summary(s, churn).find("Sessions started"), std::string::npos);
  s.classes[0].dropped_arrivals = 12;
  const auto text = final_summary(s);
  EXPECT_NE(text.find("Dropped arrivals"), std::string::npos);
  EXPECT_NE(text.find("12 arrivals were dropped: no user of the pool was free"), std::string::npos);
  s.aggregated.intended_percentiles_ms = s.aggregated.percentiles_ms;
  for (auto& r : s.rows) r.intended_percentiles_ms = r.percentiles_ms;
  EXPECT_EQ(final_summary(s).find("from the intended start"), std::string::npos);
  s.aggregated.intended_percentiles_ms[0] += 100;
  EXPECT_NE(final_summary(s).find("Response time percentiles from the intended start"), std::string::npos);
}

// 500 names with distinct counts: entry i has 1000 + i requests and i % 7 failures.
stats::snapshot many_names(size_t n) {
  auto s = test::make_snapshot();
  s.rows.clear();
  for (size_t i = 0; i < n; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "/item/%04zu", i);
    s.rows.push_back(test::make_row("GET", name, 1000 + i, i % 7, 1.0));
  }
  return s;
}

TEST(console, periodic_table_shows_the_busiest_rows_and_counts_the_rest) {
  const auto s = many_names(500);
  console_options o;
  o.max_rows = 20;
  const auto l = lines(stats_table(s, rate_kind::current, o));
  // Header, separator, 20 rows, the count line, separator, Aggregated.
  ASSERT_EQ(l.size(), 25u);
  // The 20 busiest are the last 20 names (480..499), printed in name order.
  for (size_t i = 0; i < 20; ++i)
    EXPECT_EQ(l[2 + i].substr(0, 19), "GET      /item/0" + std::to_string(480 + i)) << l[2 + i];
  uint64_t rest_requests = 0, rest_failures = 0;
  for (size_t i = 0; i < 480; ++i) {
    rest_requests += 1000 + i;
    rest_failures += i % 7;
  }
  EXPECT_EQ(l[22], "         ... and 480 more names (" + std::to_string(rest_requests) +
                       " requests, " + std::to_string(rest_failures) + " failures)");
  EXPECT_EQ(l[23], l[1]);
  EXPECT_EQ(l[24].substr(0, 19), "         Aggregated");
  // Ties keep name order; 0 means every row; a limit at or above the count changes nothing.
  auto tied = many_names(5);
  for (auto& r : tied.rows) r.num_requests = 7;
  o.max_rows = 2;
  const auto t = lines(stats_table(tied, rate_kind::current, o));
  EXPECT_EQ(t[2].substr(0, 19), "GET      /item/0000");
  EXPECT_EQ(t[3].substr(0, 19), "GET      /item/0001");
  EXPECT_NE(t[4].find("... and 3 more names (21 requests"), std::string::npos) << t[4];
  o.max_rows = 0;
  EXPECT_EQ(lines(stats_table(s, rate_kind::current, o)).size(), 504u);
  o.max_rows = 500;
  EXPECT_EQ(stats_table(s, rate_kind::current, o), stats_table(s, rate_kind::current));
}

TEST(console, final_summary_keeps_every_row_whatever_the_limit) {
  const auto s = many_names(50);
  console_options o;
  o.max_rows = 5;
  const auto text = final_summary(s, o);
  EXPECT_EQ(text.find("more names"), std::string::npos);
  EXPECT_EQ(text.find(stats_table(s, rate_kind::whole_run)), 0u);
  EXPECT_NE(text.find("GET      /item/0000"), std::string::npos);
}

}  // namespace
}  // namespace endure::report
