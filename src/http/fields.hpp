// http::fields: the header list type shared by the HTTP modules and case-insensitive name helpers.
// Pure: no I/O. Header names are compared case-insensitively everywhere.
#pragma once
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace endure::http {

// Ordered (name, value) pairs as sent or received; duplicates allowed.
using field_list = std::vector<std::pair<std::string, std::string>>;

// RFC 9110 token characters (header names, methods), as a table: parsers check names per byte.
inline constexpr auto token_char_table = [] {
  std::array<bool, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[static_cast<size_t>(c)] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<size_t>(c)] = true;
  for (int c = '0'; c <= '9'; ++c) t[static_cast<size_t>(c)] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}();

inline bool is_token_char(char c) { return token_char_table[static_cast<unsigned char>(c)]; }

// Without optional whitespace (spaces and tabs) at either end.
inline std::string_view trim_ows(std::string_view s) {
  const char* b = s.data();
  const char* e = b + s.size();
  while (b < e && (*b == ' ' || *b == '\t')) ++b;
  while (e > b && (e[-1] == ' ' || e[-1] == '\t')) --e;
  return {b, static_cast<size_t>(e - b)};
}

inline char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

// Eight bytes with ASCII A-Z lowered (other bytes, including non-ASCII ones, unchanged).
inline uint64_t ascii_lower8(uint64_t w) {
  constexpr uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  const uint64_t low7 = w & ~highs;
  const uint64_t at_least_A = low7 + ones * (0x80 - 'A');
  const uint64_t above_Z = low7 + ones * (0x80 - 'Z' - 1);
  const uint64_t upper = (at_least_A ^ above_Z) & ~w & highs;
  return w | (upper >> 2);
}

// ASCII case-insensitive equality (header names, tokens), eight bytes at a time.
inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  size_t i = 0;
  for (; i + 8 <= a.size(); i += 8) {
    uint64_t x, y;
    std::memcpy(&x, a.data() + i, 8);
    std::memcpy(&y, b.data() + i, 8);
    if (x != y && ascii_lower8(x) != ascii_lower8(y)) return false;
  }
  for (; i < a.size(); ++i)
    if (a[i] != b[i] && ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

// First value with this name (case-insensitive), or nullptr.
inline const std::string* find_field(const field_list& fields, std::string_view name) {
  for (const auto& f : fields)
    if (iequals(f.first, name)) return &f.second;
  return nullptr;
}

inline bool has_field(const field_list& fields, std::string_view name) {
  return find_field(fields, name) != nullptr;
}

// Removes every field with this name; returns how many were removed.
inline size_t erase_field(field_list& fields, std::string_view name) {
  size_t before = fields.size();
  std::erase_if(fields, [&](const auto& f) { return iequals(f.first, name); });
  return before - fields.size();
}

// True when a comma-separated header value contains this token (case-insensitive),
// e.g. has_token("keep-alive, Upgrade", "upgrade").
inline bool has_token(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    if (iequals(trim_ows(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace endure::http
