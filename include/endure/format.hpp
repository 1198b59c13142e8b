// endure::format: "{}" placeholders filled from arguments, for failure messages and names
// (`r.failure("cart refused: {}", r.status_code())`). A small subset of std::format / {fmt}: only
// "{}" and the escapes "{{" and "}}"; numbers as std::to_string would write integers and as
// %g writes floating point. No dependency beyond the standard library.
#pragma once
#include <cstdio>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace endure {

namespace detail {

inline void append_value(std::string& out, std::string_view s) { out.append(s); }
inline void append_value(std::string& out, const char* s) { out.append(s ? s : "(null)"); }
inline void append_value(std::string& out, const std::string& s) { out.append(s); }
inline void append_value(std::string& out, char c) { out.push_back(c); }
inline void append_value(std::string& out, bool b) { out.append(b ? "true" : "false"); }
template <class T>
  requires std::is_arithmetic_v<T>
void append_value(std::string& out, T v) {
  if constexpr (std::is_floating_point_v<T>) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", static_cast<double>(v));
    out.append(buf);
  } else {
    out.append(std::to_string(v));
  }
}
// Anything else with a dump() (nlohmann::json) or a to_string() found by lookup.
template <class T>
  requires(!std::is_arithmetic_v<T> && requires(const T& t) { t.dump(); })
void append_value(std::string& out, const T& v) {
  out.append(v.dump());
}

inline void format_rest(std::string& out, std::string_view f) {
  for (size_t i = 0; i < f.size(); ++i) {
    if ((f[i] == '{' || f[i] == '}') && i + 1 < f.size() && f[i + 1] == f[i]) ++i;
    out.push_back(f[i]);
  }
}

template <class A, class... Rest>
void format_rest(std::string& out, std::string_view f, A&& a, Rest&&... rest) {
  for (size_t i = 0; i < f.size(); ++i) {
    if ((f[i] == '{' || f[i] == '}') && i + 1 < f.size() && f[i + 1] == f[i]) {
      out.push_back(f[i++]);
    } else if (f[i] == '{' && i + 1 < f.size() && f[i + 1] == '}') {
      append_value(out, std::forward<A>(a));
      format_rest(out, f.substr(i + 2), std::forward<Rest>(rest)...);
      return;
    } else {
      out.push_back(f[i]);
    }
  }
  // More arguments than placeholders: the rest are left out, as Python's str.format does.
}

}  // namespace detail

// format("Failed to add to cart: {}", 500) == "Failed to add to cart: 500"
template <class... A>
std::string format(std::string_view f, A&&... args) {
  std::string out;
  out.reserve(f.size() + 16 * sizeof...(A));
  detail::format_rest(out, f, std::forward<A>(args)...);
  return out;
}

}  // namespace endure
