// base::keep_log_tail: the last N lines logged, in order, never more than N.
#include <gtest/gtest.h>

#include "base/log.hpp"

namespace endure::base {

TEST(log_tail, keeps_the_last_lines_in_order_and_no_more) {
  EXPECT_TRUE(log_tail().empty());  // off by default
  set_log_level(log_level::info);
  keep_log_tail(3);
  for (int i = 0; i < 10; ++i) log_info("tail", "line " + std::to_string(i));
  log_debug("tail", "below the level: not kept");
  auto t = log_tail();
  ASSERT_EQ(t.size(), 3u);
  EXPECT_NE(t[0].find("INFO [tail]: line 7"), std::string::npos) << t[0];
  EXPECT_NE(t[2].find("INFO [tail]: line 9"), std::string::npos) << t[2];
  EXPECT_EQ(t[2].back(), '9');  // no newline kept
  keep_log_tail(1);
  ASSERT_EQ(log_tail().size(), 1u);
  keep_log_tail(0);
  EXPECT_TRUE(log_tail().empty());
}

}  // namespace endure::base
