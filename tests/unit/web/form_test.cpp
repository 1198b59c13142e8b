// The /swarm form: every field checked, one sentence naming the field and the value when wrong.
#include <gtest/gtest.h>

#include "web/form.hpp"

using namespace endure::web;
using namespace std::chrono_literals;

namespace {

using fields = std::vector<std::pair<std::string, std::string>>;

swarm_defaults defaults() {
  swarm_defaults d;
  d.users = 3;
  d.spawn_rate = 2;
  d.host = "http://default:1";
  d.known_classes = {"Browser", "Buyer"};
  return d;
}

std::string error_of(const fields& f) {
  auto r = parse_swarm_form(f, defaults());
  return r ? "" : r.err().message;
}

}  // namespace

TEST(swarm_form, good_values) {
  auto r = parse_swarm_form({{"user_count", "100"}, {"spawn_rate", "2.5"}, {"host", "https://shop:8443"},
                             {"run_time", "7d"}, {"user_classes", "Buyer"}, {"user_classes", "Browser"},
                             {"user_classes", "Buyer"}},
                            defaults());
  ASSERT_TRUE(r) << r.err().message;
  EXPECT_EQ(r->users, 100u);
  EXPECT_DOUBLE_EQ(r->spawn_rate, 2.5);
  EXPECT_EQ(r->host, "https://shop:8443");
  EXPECT_EQ(r->run_time, std::optional<std::chrono::milliseconds>(7 * 24h));
  EXPECT_EQ(r->user_classes, (std::vector<std::string>{"Buyer", "Browser"}));
  auto days = parse_swarm_form({{"run_time", "1d12h"}}, defaults());
  ASSERT_TRUE(days);
  EXPECT_EQ(days->run_time, std::optional<std::chrono::milliseconds>(36h));
}

TEST(swarm_form, missing_and_empty_fields_take_the_defaults) {
  auto r = parse_swarm_form({{"host", ""}, {"run_time", " "}, {"user_classes", ""}}, defaults());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->users, 3u);
  EXPECT_DOUBLE_EQ(r->spawn_rate, 2);
  EXPECT_EQ(r->host, "http://default:1");
  EXPECT_FALSE(r->run_time);
  EXPECT_TRUE(r->user_classes.empty());
  auto zero = parse_swarm_form({{"user_count", "0"}}, defaults());
  ASSERT_TRUE(zero);
  EXPECT_EQ(zero->users, 0u);
}

TEST(swarm_form, bad_values_name_the_field_and_the_value) {
  EXPECT_EQ(error_of({{"user_count", "-5"}}), "user_count: '-5' is not a number of users (a whole number, 0 or more)");
  EXPECT_EQ(error_of({{"user_count", "1e3"}}), "user_count: '1e3' is not a number of users (a whole number, 0 or more)");
  EXPECT_EQ(error_of({{"user_count", ""}}), "user_count: '' is not a number of users (a whole number, 0 or more)");
  EXPECT_NE(error_of({{"user_count", "99999999999"}}).find("at most 10000000"), std::string::npos);
  const std::string rate = "is not a spawn rate (users started per second, a number above 0)";
  EXPECT_EQ(error_of({{"spawn_rate", "0"}}), "spawn_rate: '0' " + rate);
  EXPECT_EQ(error_of({{"spawn_rate", "-1"}}), "spawn_rate: '-1' " + rate);
  EXPECT_EQ(error_of({{"spawn_rate", "fast"}}), "spawn_rate: 'fast' " + rate);
  EXPECT_EQ(error_of({{"spawn_rate", "nan"}}), "spawn_rate: 'nan' " + rate);
  EXPECT_EQ(error_of({{"spawn_rate", "inf"}}), "spawn_rate: 'inf' " + rate);
  EXPECT_EQ(error_of({{"run_time", "7x"}}).rfind("run_time: invalid duration '7x'", 0), 0u) << error_of({{"run_time", "7x"}});
  EXPECT_EQ(error_of({{"run_time", "0s"}}), "run_time: '0s' is not a run time above 0 (e.g. 90m, 7d, 1d12h)");
  EXPECT_EQ(error_of({{"host", "shop:80"}}), "host: 'shop:80' is not a URL starting with http:// or https://");
  EXPECT_EQ(error_of({{"user_classes", "Nobody"}}),
            "user_classes: 'Nobody' is not a user class of this locustfile (Browser, Buyer)");
}

namespace {

swarm_defaults with_options() {
  swarm_defaults d = defaults();
  d.shape_classes = {"Steps"};
  d.custom_options = {{"page-size", false, "5", "products per page", {}, "int"},
                      {"ratio", false, "0.5", "", {}, "float"},
                      {"section", false, "books", "", {"books", "toys"}, ""},
                      {"with-cart", true, "false", "", {}, ""},
                      {"label", false, "", "", {}, ""}};
  return d;
}

std::string option_error(const fields& f) {
  auto r = parse_swarm_form(f, with_options());
  return r ? "" : r.err().message;
}

}  // namespace

TEST(swarm_form, the_locustfiles_options_by_dest_name_checked_as_the_command_line_does) {
  auto r = parse_swarm_form({{"page_size", "42"}, {"ratio", "-1.5"}, {"section", "toys"}, {"with_cart", "true"},
                             {"label", " a b "}, {"unrelated", "x"}},
                            with_options());
  ASSERT_TRUE(r) << r.err().message;
  EXPECT_EQ(r->custom, (std::map<std::string, std::string>{
                           {"page-size", "42"}, {"ratio", "-1.5"}, {"section", "toys"}, {"with-cart", "true"}, {"label", "a b"}}));
  // The long name is taken too; a checkbox's "on" and an absent or empty flag are false/true.
  auto long_name = parse_swarm_form({{"page-size", "-3"}, {"with_cart", "on"}}, with_options());
  ASSERT_TRUE(long_name);
  EXPECT_EQ(long_name->custom.at("page-size"), "-3");
  EXPECT_EQ(long_name->custom.at("with-cart"), "true");
  auto none = parse_swarm_form({{"user_count", "1"}}, with_options());
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->custom.empty());
  EXPECT_FALSE(none->shape_class);
}

TEST(swarm_form, bad_option_values_name_the_field_the_value_and_the_option) {
  EXPECT_EQ(option_error({{"page_size", "5x"}}), "page_size: '5x' is not a whole number (the locustfile's option --page-size)");
  EXPECT_EQ(option_error({{"page_size", ""}}), "page_size: '' is not a whole number (the locustfile's option --page-size)");
  EXPECT_EQ(option_error({{"page_size", "-"}}), "page_size: '-' is not a whole number (the locustfile's option --page-size)");
  EXPECT_EQ(option_error({{"page_size", "1.5"}}), "page_size: '1.5' is not a whole number (the locustfile's option --page-size)");
  EXPECT_EQ(option_error({{"ratio", "half"}}), "ratio: 'half' is not a number (the locustfile's option --ratio)");
  EXPECT_EQ(option_error({{"ratio", "inf"}}), "ratio: 'inf' is not a number (the locustfile's option --ratio)");
  EXPECT_EQ(option_error({{"section", "food"}}), "section: 'food' is not one of books, toys (the locustfile's option --section)");
  EXPECT_EQ(option_error({{"with_cart", "yes please"}}),
            "with_cart: 'yes please' is not true or false (the locustfile's flag --with-cart)");
}

TEST(swarm_form, shape_class_is_default_or_the_locustfiles_shape) {
  auto shape = parse_swarm_form({{"shape_class", "Steps"}}, with_options());
  ASSERT_TRUE(shape);
  EXPECT_EQ(shape->shape_class, std::optional<std::string>("Steps"));
  for (const char* none : {"Default", ""}) {
    auto d = parse_swarm_form({{"shape_class", none}}, with_options());
    ASSERT_TRUE(d);
    EXPECT_EQ(d->shape_class, std::optional<std::string>("")) << none;
  }
  EXPECT_EQ(option_error({{"shape_class", "Waves"}}),
            "shape_class: 'Waves' is not a load shape of this locustfile (Default, Steps)");
  // A locustfile without a shape: only Default.
  EXPECT_EQ(error_of({{"shape_class", "Steps"}}), "shape_class: 'Steps' is not a load shape of this locustfile (Default)");
}
