#include "rules/naming.hpp"

#include <gtest/gtest.h>

using namespace endure::rules;

TEST(rules_naming, absolute_urls_are_recognized_case_insensitively) {
  EXPECT_TRUE(is_absolute_url("http://h/x"));
  EXPECT_TRUE(is_absolute_url("HTTPS://h"));
  EXPECT_FALSE(is_absolute_url("/x"));
  EXPECT_FALSE(is_absolute_url("ftp://h/x"));
  EXPECT_FALSE(is_absolute_url("http:/x"));
}

TEST(rules_naming, the_host_path_is_kept_by_concatenation_as_locust_does) {
  EXPECT_EQ(join_url("http://h:1/base", "/x"), "http://h:1/base/x");
  EXPECT_EQ(join_url("http://h:1/", "/x"), "http://h:1//x");  // Locust sends //x too
  EXPECT_EQ(join_url("http://h:1/base", "http://other/y"), "http://other/y");
  EXPECT_TRUE(needs_join("http://h:1/base", "/x"));
  EXPECT_TRUE(needs_join("http://h:1/", "/x"));
  EXPECT_FALSE(needs_join("http://h:1/", "x"));  // resolving gives the same URL
  EXPECT_FALSE(needs_join("http://h:1", "/x"));  // no path: resolving is joining
  EXPECT_FALSE(needs_join("http://h:1/base", "https://o/x"));
  EXPECT_FALSE(needs_join("", "/x"));
}

TEST(rules_naming, path_url_is_path_and_query) {
  EXPECT_EQ(path_url("http://h:1/a/b?q=1#frag"), "/a/b?q=1");
  EXPECT_EQ(path_url("http://h:1"), "/");
  EXPECT_EQ(path_url("http://h:1?x=1"), "/?x=1");
  EXPECT_EQ(path_url("/rel?x"), "/rel?x");
}

TEST(rules_naming, requests_names_by_path_fasthttp_by_the_url_as_written) {
  EXPECT_EQ(request_name(flavor::requests, "http://127.0.0.1:9/abs/path?q=1", "http://127.0.0.1:9/abs/path?q=1"),
            "/abs/path?q=1");
  EXPECT_EQ(request_name(flavor::requests, "/p", "http://h/base/p?a=1"), "/base/p?a=1");
  EXPECT_EQ(request_name(flavor::fasthttp, "http://h/fabs?x=2", "http://h/fabs?x=2"), "http://h/fabs?x=2");
  EXPECT_EQ(request_name(flavor::fasthttp, "/status/404", "http://h/base/status/404"), "/status/404");
}

TEST(rules_naming, params_are_appended_form_encoded) {
  EXPECT_EQ(with_query("http://h/p", {{"a", "1"}, {"b", "x y/z"}}), "http://h/p?a=1&b=x+y%2Fz");
  EXPECT_EQ(with_query("http://h/p?x=0", {{"a", "1"}}), "http://h/p?x=0&a=1");
  EXPECT_EQ(with_query("http://h/p", {}), "http://h/p");
}
