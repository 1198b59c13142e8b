#include "rules/body.hpp"

#include <gtest/gtest.h>

using namespace endure::rules;

TEST(rules_body, json_gets_its_content_type) {
  body_input in;
  in.json = R"({"a": 1})";
  auto b = build_body(std::move(in));
  EXPECT_EQ(b.bytes, R"({"a": 1})");
  EXPECT_EQ(b.content_type, "application/json");
}

TEST(rules_body, data_wins_over_json_and_a_dict_is_form_encoded) {
  body_input in;
  in.json = "{}";
  in.form = endure::http::field_list{{"a", "1"}, {"b", "x y"}};
  auto b = build_body(std::move(in));
  EXPECT_EQ(b.bytes, "a=1&b=x+y");
  EXPECT_EQ(b.content_type, "application/x-www-form-urlencoded");
}

TEST(rules_body, raw_data_has_no_default_type_and_empty_data_lets_json_through) {
  body_input raw;
  raw.raw = "<xml/>";
  auto b = build_body(std::move(raw));
  EXPECT_EQ(b.bytes, "<xml/>");
  EXPECT_EQ(b.content_type, "");
  body_input empty;
  empty.raw = "";
  empty.json = "[1]";
  EXPECT_EQ(build_body(std::move(empty)).content_type, "application/json");
  EXPECT_EQ(build_body(body_input{}).bytes, "");
}

TEST(rules_body, files_make_a_multipart_body_with_fields_first) {
  body_input in;
  in.form = endure::http::field_list{{"k", "v"}};
  in.files.push_back({"up", "a.txt", "hello", "text/plain"});
  in.files.push_back({"raw", std::nullopt, "x", ""});
  in.boundary = "BOUND";
  auto b = build_body(std::move(in));
  EXPECT_EQ(b.content_type, "multipart/form-data; boundary=BOUND");
  EXPECT_EQ(b.bytes,
            "--BOUND\r\nContent-Disposition: form-data; name=\"k\"\r\n\r\nv\r\n"
            "--BOUND\r\nContent-Disposition: form-data; name=\"up\"; filename=\"a.txt\"\r\n"
            "Content-Type: text/plain\r\n\r\nhello\r\n"
            "--BOUND\r\nContent-Disposition: form-data; name=\"raw\"\r\n\r\nx\r\n"
            "--BOUND--\r\n");
}

TEST(rules_body, a_default_header_never_overrides_the_users_own) {
  endure::http::field_list h = {{"content-type", "text/xml"}};
  add_default_header(h, "Content-Type", "application/json");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].second, "text/xml");
  endure::http::field_list none;
  add_default_header(none, "Content-Type", "application/json");
  ASSERT_EQ(none.size(), 1u);
  EXPECT_EQ(none[0].first, "Content-Type");
}
