#include "http/url.hpp"

#include <charconv>

namespace endure::http {
namespace {

base::error url_error(std::string_view text, std::string_view why) {
  std::string m = "invalid URL '";
  m.append(text);
  m += "': ";
  m.append(why);
  return base::make_error(std::move(m));
}

bool is_scheme_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '-' || c == '.';
}

// Length of "scheme:" prefix's scheme part, or npos when the reference has no scheme.
size_t scheme_length(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == ':') return i == 0 ? std::string_view::npos : i;
    if (!is_scheme_char(c) || (i == 0 && !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))))
      return std::string_view::npos;
  }
  return std::string_view::npos;
}

std::string lower(std::string_view s) {
  std::string r(s);
  for (auto& c : r) c = ascii_lower(c);
  return r;
}

// Parses "userinfo@host:port" into u. Returns an error message or empty.
std::string_view parse_authority(std::string_view auth, url& u) {
  size_t at = auth.rfind('@');
  if (at != std::string_view::npos) {
    u.userinfo.assign(auth.substr(0, at));
    auth.remove_prefix(at + 1);
  } else {
    u.userinfo.clear();
  }
  std::string_view host, port;
  if (!auth.empty() && auth.front() == '[') {
    size_t close = auth.find(']');
    if (close == std::string_view::npos) return "unterminated IPv6 address";
    host = auth.substr(1, close - 1);
    std::string_view rest = auth.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return "unexpected characters after IPv6 address";
      port = rest.substr(1);
    }
    if (host.empty()) return "empty host";
    for (char c : host)
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
            c == ':' || c == '.'))
        return "invalid IPv6 address";
  } else {
    size_t colon = auth.rfind(':');
    if (colon != std::string_view::npos) {
      host = auth.substr(0, colon);
      port = auth.substr(colon + 1);
    } else {
      host = auth;
    }
    if (host.empty()) return "empty host";
    // A ':' left in the host ("h:80x:81") would be taken for an IPv6 literal and printed in
    // brackets: only a bracketed host may hold one (found by fuzz_url).
    for (char c : host)
      if (c == ' ' || c == '/' || c == '?' || c == '#' || c == '@' || c == '[' || c == ']' ||
          c == '\\' || c == ':' || static_cast<unsigned char>(c) < 0x21)
        return "invalid host";
  }
  u.host = lower(host);
  u.port = u.is_https() ? 443 : 80;
  if (!port.empty()) {
    unsigned value = 0;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || p != port.data() + port.size() || value == 0 || value > 65535)
      return "invalid port";
    u.port = static_cast<uint16_t>(value);
  }
  return {};
}

// RFC 3986 5.2.4.
std::string remove_dot_segments(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  while (!in.empty()) {
    if (in.starts_with("../")) {
      in.remove_prefix(3);
    } else if (in.starts_with("./")) {
      in.remove_prefix(2);
    } else if (in.starts_with("/./")) {
      in.remove_prefix(2);
    } else if (in == "/.") {
      in = "/";
    } else if (in.starts_with("/../") || in == "/..") {
      in = in.size() == 3 ? std::string_view("/") : in.substr(3);
      size_t slash = out.rfind('/');
      out.resize(slash == std::string::npos ? 0 : slash);
    } else if (in == "." || in == "..") {
      in = {};
    } else {
      size_t next = in.find('/', in.front() == '/' ? 1 : 0);
      std::string_view seg = in.substr(0, next);
      out.append(seg);
      in.remove_prefix(seg.size());
    }
  }
  return out;
}

// Splits a target "path?query#frag" into path and "?query"; drops the fragment.
void split_target(std::string_view ref, std::string_view& path, std::string_view& query) {
  size_t hash = ref.find('#');
  if (hash != std::string_view::npos) ref = ref.substr(0, hash);
  size_t q = ref.find('?');
  path = ref.substr(0, q);
  query = q == std::string_view::npos ? std::string_view() : ref.substr(q);
}

// Percent-encodes spaces and control characters in a target (requests does the same for paths).
std::string clean_target(std::string_view path, std::string_view query) {
  std::string t;
  t.reserve(path.size() + query.size() + 1);
  auto put = [&](std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    for (char c : s) {
      auto b = static_cast<unsigned char>(c);
      if (b <= 0x20 || b >= 0x7f) {
        t += '%';
        t += hex[b >> 4];
        t += hex[b & 15];
      } else {
        t += c;
      }
    }
  };
  if (path.empty() || path.front() != '/') t += '/';
  put(path);
  put(query);
  return t;
}

}  // namespace

std::string url::host_header() const {
  std::string h;
  h.reserve(host.size() + 8);
  if (is_ipv6()) {
    h += '[';
    h += host;
    h += ']';
  } else {
    h += host;
  }
  if (!is_default_port()) {
    h += ':';
    h += std::to_string(port);
  }
  return h;
}

std::string url::origin() const { return scheme + "://" + host_header(); }

std::string url::to_string() const { return origin() + target; }

std::string_view url::path() const {
  std::string_view t = target;
  return t.substr(0, t.find('?'));
}

std::string_view url::query() const {
  std::string_view t = target;
  size_t q = t.find('?');
  return q == std::string_view::npos ? std::string_view() : t.substr(q + 1);
}

base::result<url> parse_url(std::string_view text) {
  std::string_view s = text;
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  size_t slen = scheme_length(s);
  if (slen == std::string_view::npos || s.substr(slen, 3) != "://")
    return url_error(text, "expected http:// or https:// followed by a host");
  url u;
  u.scheme = lower(s.substr(0, slen));
  if (u.scheme != "http" && u.scheme != "https")
    return url_error(text, "unsupported scheme '" + u.scheme + "', expected http or https");
  s.remove_prefix(slen + 3);
  size_t end = s.find_first_of("/?#");
  std::string_view authority = s.substr(0, end);
  if (authority.empty()) return url_error(text, "missing host");
  if (std::string_view why = parse_authority(authority, u); !why.empty())
    return url_error(text, why);
  std::string_view path, query;
  split_target(end == std::string_view::npos ? std::string_view() : s.substr(end), path, query);
  u.target = clean_target(remove_dot_segments(path), query);
  return u;
}

base::result<url> resolve_url(const url& base, std::string_view reference) {
  std::string_view ref = reference;
  while (!ref.empty() && (ref.front() == ' ' || ref.front() == '\t')) ref.remove_prefix(1);
  while (!ref.empty() && (ref.back() == ' ' || ref.back() == '\t')) ref.remove_suffix(1);
  if (scheme_length(ref) != std::string_view::npos) return parse_url(ref);
  if (ref.starts_with("//")) return parse_url(base.scheme + ":" + std::string(ref));
  url u = base;
  std::string_view path, query;
  split_target(ref, path, query);
  if (path.empty()) {
    if (query.empty()) return u;  // "" or "#frag": the base itself
    u.target = std::string(base.path()) + std::string(query);
    return u;
  }
  std::string merged;
  if (path.front() == '/') {
    merged = remove_dot_segments(path);
  } else {
    std::string_view bp = base.path();
    size_t slash = bp.rfind('/');
    std::string joined(slash == std::string_view::npos ? std::string_view("/")
                                                       : bp.substr(0, slash + 1));
    joined.append(path);
    merged = remove_dot_segments(joined);
  }
  u.target = clean_target(merged, query);
  return u;
}

void url_encode_to(std::string& out, std::string_view text, bool space_as_plus) {
  static constexpr char hex[] = "0123456789ABCDEF";
  for (char c : text) {
    auto b = static_cast<unsigned char>(c);
    if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b == '-' ||
        b == '.' || b == '_' || b == '~') {
      out += c;
    } else if (b == ' ' && space_as_plus) {
      out += '+';
    } else {
      out += '%';
      out += hex[b >> 4];
      out += hex[b & 15];
    }
  }
}

std::string url_encode(std::string_view text, bool space_as_plus) {
  std::string out;
  out.reserve(text.size());
  url_encode_to(out, text, space_as_plus);
  return out;
}

std::string form_encode(const field_list& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out += '&';
    url_encode_to(out, k);
    out += '=';
    url_encode_to(out, v);
  }
  return out;
}

void append_query(std::string& target, const field_list& params) {
  if (params.empty()) return;
  target += target.find('?') == std::string::npos ? '?' : '&';
  target += form_encode(params);
}

std::string url_decode(std::string_view text, bool plus_as_space) {
  auto hexval = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%' && i + 2 < text.size() && hexval(text[i + 1]) >= 0 && hexval(text[i + 2]) >= 0) {
      out += static_cast<char>(hexval(text[i + 1]) * 16 + hexval(text[i + 2]));
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace endure::http
