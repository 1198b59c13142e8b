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

// A received head's fields as the bytes they came in: names and values are views into one
// buffer, made into strings only when asked (to_list). A response parser fills it with one copy
// of the head instead of two strings per field. `spans` holds four offsets per field: name
// offset, name length, value offset, value length (into `bytes`). Plain members, so a type with
// the same two members (the C++ locustfile API's response data) can swap them in.
struct raw_fields {
  std::string bytes;
  std::vector<uint32_t> spans;

  size_t size() const { return spans.size() / 4; }
  bool empty() const { return spans.empty(); }
  std::string_view name(size_t i) const { return {bytes.data() + spans[4 * i], spans[4 * i + 1]}; }
  std::string_view value(size_t i) const {
    return {bytes.data() + spans[4 * i + 2], spans[4 * i + 3]};
  }
  // Index of the first field with this name (case-insensitive), or npos.
  size_t index_of(std::string_view n) const {
    for (size_t i = 0; i < size(); ++i)
      if (iequals(name(i), n)) return i;
    return std::string_view::npos;
  }
  bool has(std::string_view n) const { return index_of(n) != std::string_view::npos; }
  void clear() {
    bytes.clear();
    spans.clear();
  }
  void swap(raw_fields& o) noexcept {
    bytes.swap(o.bytes);
    spans.swap(o.spans);
  }
  // The fields as (name, value) strings, in order; out's strings are refilled.
  void to_list(field_list& out) const {
    out.resize(size());
    for (size_t i = 0; i < size(); ++i) {
      out[i].first.assign(name(i));
      out[i].second.assign(value(i));
    }
  }
  field_list to_list() const {
    field_list out;
    to_list(out);
    return out;
  }
  // Same fields in the same order (the bytes around them may differ).
  friend bool operator==(const raw_fields& a, const raw_fields& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (a.name(i) != b.name(i) || a.value(i) != b.value(i)) return false;
    return true;
  }
  // Appends a field (tests, and heads built by hand).
  void add(std::string_view n, std::string_view v) {
    spans.push_back(static_cast<uint32_t>(bytes.size()));
    spans.push_back(static_cast<uint32_t>(n.size()));
    bytes.append(n);
    spans.push_back(static_cast<uint32_t>(bytes.size()));
    spans.push_back(static_cast<uint32_t>(v.size()));
    bytes.append(v);
  }
};

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
