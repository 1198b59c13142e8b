// proto::msgpack: MessagePack to and from nlohmann::json, as Locust's wire needs it. Locust
// (Python msgpack, strict_map_key=False) sends maps with integer keys (response_times,
// num_reqs_per_sec): decoding turns any non-string key into its decimal text, and encoding writes
// the keys of chosen objects back as integers. nlohmann's own from_msgpack refuses integer keys,
// hence this codec. Pure: no I/O; bounded depth and sizes, so any byte string is safe to decode.
#pragma once
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "base/result.hpp"

namespace endure::proto {

struct msgpack_options {
  // Objects stored under these keys (at any depth) have integer keys on the wire: a key that is
  // a decimal integer is written as one (Locust's response_times and per-second counts).
  std::set<std::string, std::less<>> integer_keyed;
};

// Appends the encoding of j to out. Strings are msgpack str, binary values bin, floats float64.
void msgpack_encode(const nlohmann::json& j, std::string& out, const msgpack_options& o = {});
std::string msgpack_encode(const nlohmann::json& j, const msgpack_options& o = {});

// Decodes exactly one value filling `bytes`; an error names what is wrong and where. Extension
// types are refused (Locust sends none); nesting deeper than 64 is refused.
base::result<nlohmann::json> msgpack_decode(std::string_view bytes);

}  // namespace endure::proto
