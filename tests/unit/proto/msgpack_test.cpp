// proto::msgpack and proto::message: round trips, Locust's integer keys, refusal of bad bytes.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "proto/message.hpp"
#include "proto/msgpack.hpp"

namespace endure::proto {
namespace {

using nlohmann::json;

TEST(msgpack, round_trips_every_type_and_size_class) {
  json j = {{"null", nullptr},
            {"t", true},
            {"f", false},
            {"small", 5},
            {"u8", 200},
            {"u16", 60000},
            {"u32", 4000000000ULL},
            {"u64", 18000000000000000000ULL},
            {"neg_fix", -5},
            {"i8", -100},
            {"i16", -30000},
            {"i32", -2000000000},
            {"i64", -9000000000000000000LL},
            {"float", 1.5},
            {"str", std::string(40, 'x')},
            {"str16", std::string(300, 'y')},
            {"str32", std::string(70000, 'z')},
            {"arr", json::array({1, "a", nullptr})},
            {"big_arr", json(std::vector<int>(20, 7))},
            {"map", {{"a", 1}}}};
  json big_map = json::object();
  for (int i = 0; i < 20; ++i) big_map["k" + std::to_string(i)] = i;
  j["big_map"] = big_map;
  auto back = msgpack_decode(msgpack_encode(j));
  ASSERT_TRUE(back) << back.err().message;
  EXPECT_EQ(*back, j);
}

TEST(msgpack, encodes_as_python_msgpack_does) {
  // msgpack.dumps(("heartbeat", None, "w1")) == b'\x93\xa9heartbeat\xc0\xa2w1'
  EXPECT_EQ(encode(message{"heartbeat", nullptr, "w1"}), std::string("\x93\xa9heartbeat\xc0\xa2w1", 15));
  // msgpack.dumps({150: 3}) == b'\x81\xcc\x96\x03' (integer key)
  msgpack_options o{{"response_times"}};
  EXPECT_EQ(msgpack_encode(json{{"response_times", {{"150", 3}}}}, o),
            std::string("\x81\xaeresponse_times\x81\xcc\x96\x03", 20));
}

TEST(msgpack, integer_keys_decode_as_their_decimal_text) {
  // {"response_times": {150: 3, -1: 1}}, as Python's msgpack sends it.
  std::string b("\x81\xaeresponse_times\x82\xcc\x96\x03\xff\x01", 22);
  auto j = msgpack_decode(b);
  ASSERT_TRUE(j) << j.err().message;
  EXPECT_EQ((*j)["response_times"]["150"], 3);
  EXPECT_EQ((*j)["response_times"]["-1"], 1);
}

TEST(msgpack, refuses_truncation_at_every_byte_and_trailing_bytes) {
  json j = {{"type", "stats"}, {"data", {{"a", json::array({1, 2.5, "x", nullptr, true})}}}};
  const std::string b = msgpack_encode(j);
  for (size_t n = 0; n < b.size(); ++n) EXPECT_FALSE(msgpack_decode(b.substr(0, n))) << "prefix " << n;
  auto extra = msgpack_decode(b + "x");
  ASSERT_FALSE(extra);
  EXPECT_NE(extra.err().message.find("after the value"), std::string::npos);
}

TEST(msgpack, refuses_ext_types_deep_nesting_and_lying_lengths) {
  EXPECT_FALSE(msgpack_decode(std::string("\xd4\x01\x00", 3)));  // fixext1
  EXPECT_FALSE(msgpack_decode(std::string(100, '\x91')));           // 100 nested arrays
  EXPECT_FALSE(msgpack_decode(std::string("\xdd\xff\xff\xff\xff", 5)));  // 4 G elements, no bytes
  EXPECT_FALSE(msgpack_decode(std::string("\xdf\xff\xff\xff\xff", 5)));
}

TEST(message, decodes_locust_messages_and_refuses_other_shapes) {
  auto m = decode(encode(message{"spawn", {{"user_classes_count", {{"A", 2}}}}, "host_abc"}));
  ASSERT_TRUE(m) << m.err().message;
  EXPECT_EQ(m->type, "spawn");
  EXPECT_EQ(m->node_id, "host_abc");
  EXPECT_EQ(m->data["user_classes_count"]["A"], 2);
  // A null node id (some Locust messages) is accepted as empty.
  auto n = decode(msgpack_encode(json::array({"quit", nullptr, nullptr})));
  ASSERT_TRUE(n);
  EXPECT_EQ(n->node_id, "");
  EXPECT_FALSE(decode(msgpack_encode(json::array({"quit", nullptr}))));
  EXPECT_FALSE(decode(msgpack_encode(json::array({1, nullptr, "x"}))));
  EXPECT_FALSE(decode(msgpack_encode(json{{"type", "quit"}})));
  EXPECT_FALSE(decode("not msgpack at all"));
}

}  // namespace
}  // namespace endure::proto
