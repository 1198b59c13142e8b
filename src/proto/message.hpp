// proto::message: one message of Locust's master/worker protocol, (type, data, node_id) encoded
// as a MessagePack array of three, as Locust 2.x sends it over ZeroMQ. Pure: no sockets. Include
// only where messages are built or read (it brings nlohmann/json.hpp).
#pragma once
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.hpp"

namespace endure::proto {

struct message {
  std::string type;     // "client_ready", "spawn", "stats", "heartbeat", ...
  nlohmann::json data;  // null when the message carries none
  std::string node_id;  // the worker's "<hostname>_<uuid hex>"; the master uses its own
};

// Locust's payload: msgpack [type, data, node_id]; objects under response_times,
// num_reqs_per_sec and num_fail_per_sec get integer keys as Python's dicts have.
std::string encode(const message& m);
// One line naming what is wrong: not MessagePack, not an array of three, a type that is not text.
base::result<message> decode(std::string_view payload);

// The protocol version endure announces in client_ready (a Locust version a 2.x master accepts
// with at most a warning), and endure's own, sent beside it in an extra key.
inline constexpr const char* locust_compat_version = "2.12.1";

}  // namespace endure::proto
