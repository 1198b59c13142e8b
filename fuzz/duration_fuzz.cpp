// Fuzz target: base::parse_duration ("7d", "1h30m", "90", "0.5s", ...): never crashes, never
// returns a negative duration.
#include "base/duration.hpp"
#include "fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view data(reinterpret_cast<const char*>(bytes), size);
  auto d = endure::base::parse_duration(data);
  if (d) ENDURE_FUZZ_CHECK(d->count() >= 0);
  return 0;
}
