#include "proto/message.hpp"

#include "proto/msgpack.hpp"

namespace endure::proto {

std::string encode(const message& m) {
  static const msgpack_options options{{"response_times", "num_reqs_per_sec", "num_fail_per_sec"}};
  nlohmann::json a = nlohmann::json::array({m.type, m.data, m.node_id});
  return msgpack_encode(a, options);
}

base::result<message> decode(std::string_view payload) {
  auto j = msgpack_decode(payload);
  if (!j) return j.err();
  if (!j->is_array() || j->size() != 3)
    return base::make_error("bad message: not a [type, data, node_id] array");
  auto& a = *j;
  if (!a[0].is_string()) return base::make_error("bad message: the type is not text");
  if (!a[2].is_string() && !a[2].is_null()) return base::make_error("bad message: the node id is not text");
  message m;
  m.type = a[0].get<std::string>();
  m.data = std::move(a[1]);
  if (a[2].is_string()) m.node_id = a[2].get<std::string>();
  return m;
}

}  // namespace endure::proto
