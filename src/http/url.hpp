// http::url: absolute http/https URL parsing, reference resolution (redirect Location, relative
// request paths) and application/x-www-form-urlencoded encoding. Pure: no DNS, no I/O.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "http/fields.hpp"

namespace endure::http {

struct url {
  std::string scheme;    // "http" or "https" (lowercase)
  std::string userinfo;  // "user:password" as written (percent-encoded), usually empty
  std::string host;      // lowercase; an IPv6 literal without its brackets
  uint16_t port = 0;     // explicit port, or 80/443 by scheme
  std::string target;    // path + "?query", never empty ("/" at least); no fragment

  bool is_https() const { return scheme == "https"; }
  bool is_default_port() const { return port == (is_https() ? 443 : 80); }
  bool is_ipv6() const { return host.find(':') != std::string::npos; }
  // Host header value: "h", "h:8080", "[::1]:8080" (port omitted when it is the default).
  std::string host_header() const;
  // "scheme://host[:port]" (no userinfo).
  std::string origin() const;
  // "scheme://host[:port]/target" (no userinfo, no fragment).
  std::string to_string() const;
  std::string_view path() const;   // target up to '?'
  std::string_view query() const;  // after '?', empty when none
};

// Parses an absolute URL. Errors read "invalid URL '<text>': <why>".
base::result<url> parse_url(std::string_view text);

// Resolves a reference (absolute, "//host/p", "/p", "p", "?q", "") against base (RFC 3986 5.2,
// with dot-segment removal). A reference with another scheme than http/https is an error.
base::result<url> resolve_url(const url& base, std::string_view reference);

// Percent-encodes everything except RFC 3986 unreserved characters; space becomes '+' when
// space_as_plus (form and query encoding, like Python's urlencode).
std::string url_encode(std::string_view text, bool space_as_plus = true);
void url_encode_to(std::string& out, std::string_view text, bool space_as_plus = true);

// "a=1&b=x+y": application/x-www-form-urlencoded (also used for query parameters).
std::string form_encode(const field_list& params);

// Appends params to a target: "?a=1" or "&a=1" when the target already has a query.
void append_query(std::string& target, const field_list& params);

// Decodes %XX (and '+' as space when plus_as_space); invalid escapes are kept as written.
std::string url_decode(std::string_view text, bool plus_as_space = false);

}  // namespace endure::http
