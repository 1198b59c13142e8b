// Fuzz target: proto::decode (Locust's msgpack messages) and the stats report readers: never
// crash; a decoded message encodes and decodes to the same value; records read are sane.
#include "fuzz/fuzz_util.hpp"
#include "proto/locust_stats.hpp"
#include "proto/message.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view data(reinterpret_cast<const char*>(bytes), size);
  auto m = endure::proto::decode(data);
  if (!m) return 0;
  auto again = endure::proto::decode(endure::proto::encode(*m));
  ENDURE_FUZZ_CHECK(again && again->type == m->type && again->node_id == m->node_id);
  if (m->data.is_object()) {
    auto records = endure::proto::records_of(m->data);
    if (records)
      for (const auto& r : *records)
        for (const auto& e : r.data.entries) ENDURE_FUZZ_CHECK(e.requests == 0 || e.min_us <= e.max_us);
    auto delta = endure::proto::delta_of_locust(m->data);
    static_cast<void>(delta);
  }
  return 0;
}
