// The generator-CPU warning reaches every output that a person reads.
#include <gtest/gtest.h>

#include "report/console.hpp"
#include "report/html.hpp"
#include "report/json.hpp"

TEST(report, a_saturated_generator_is_marked_in_the_outputs) {
  endure::stats::snapshot s;
  s.is_final = true;
  s.aggregated.name = "Aggregated";
  EXPECT_EQ(endure::report::final_summary(s, {}).find("not trustworthy"), std::string::npos);
  EXPECT_FALSE(endure::report::run_json(s)["generator_cpu_warning"].get<bool>());
  s.generator_cpu_warning = true;
  EXPECT_NE(endure::report::final_summary(s, {}).find("not trustworthy"), std::string::npos);
  EXPECT_TRUE(endure::report::run_json(s)["generator_cpu_warning"].get<bool>());
  EXPECT_NE(endure::report::html_report(s, {}, {}).find("not trustworthy"), std::string::npos);
}
