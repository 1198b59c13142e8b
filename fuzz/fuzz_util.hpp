// fuzz helpers: an invariant check that traps (so libFuzzer and the replay build both stop on it)
// and a deterministic split of the input, so parsers see the same bytes in arbitrary pieces.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#define ENDURE_FUZZ_CHECK(cond) \
  do {                          \
    if (!(cond)) __builtin_trap(); \
  } while (0)

namespace endure::fuzz {

// Takes one control byte off the front: returns it (0 when the input is empty).
inline uint8_t take_byte(std::string_view& data) {
  if (data.empty()) return 0;
  auto b = static_cast<uint8_t>(data.front());
  data.remove_prefix(1);
  return b;
}

// Piece sizes 1..stride, cycling: the same input always splits the same way.
inline size_t piece_size(size_t i, uint8_t stride) { return 1 + (i * 7 + stride) % (stride + 1u); }

}  // namespace endure::fuzz
