#include "http/fields.hpp"

#include <gtest/gtest.h>

namespace endure::http {
namespace {

// The word-at-a-time comparison must agree with the byte-wise definition for every byte pair,
// in the 8-byte part and in the tail.
TEST(fields, iequals_agrees_with_bytewise_folding_for_every_byte_pair) {
  for (int a = 0; a < 256; ++a)
    for (int b = 0; b < 256; ++b) {
      const bool want = ascii_lower(static_cast<char>(a)) == ascii_lower(static_cast<char>(b));
      for (size_t at : {size_t{0}, size_t{5}, size_t{7}, size_t{11}}) {
        std::string x = "Content-Encoding", y = "cONTENT-eNCODING";
        x[at] = static_cast<char>(a);
        y[at] = static_cast<char>(b);
        ASSERT_EQ(iequals(x, y), want) << a << " " << b << " at " << at;
      }
    }
}

TEST(fields, iequals_and_lookups) {
  EXPECT_TRUE(iequals("Set-Cookie", "set-cookie"));
  EXPECT_FALSE(iequals("Set-Cookie", "set-cookiE2"));
  EXPECT_FALSE(iequals("Set-Cookie", "Set_Cookie"));
  EXPECT_TRUE(iequals("", ""));
  EXPECT_FALSE(iequals("[", "{"));  // '[' | 0x20 is '{': not letters, not equal
  EXPECT_FALSE(iequals("@", "`"));
  field_list f = {{"Content-Type", "a"}, {"X-LONGER-HEADER-NAME", "b"}};
  EXPECT_EQ(*find_field(f, "x-longer-header-name"), "b");
  EXPECT_EQ(find_field(f, "x-longer-header-nam"), nullptr);
  EXPECT_TRUE(has_token("keep-alive, Upgrade", "upgrade"));
}

}  // namespace
}  // namespace endure::http
