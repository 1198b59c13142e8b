#include "report/console.hpp"

#include <gtest/gtest.h>

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
}

}  // namespace
}  // namespace endure::report
