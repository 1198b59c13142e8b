// http::cookie_jar: RFC 6265 cookie storage for one session: Set-Cookie parsing, domain and path
// matching, expiry, Cookie header generation. Pure: the current time is always a parameter.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/url.hpp"

namespace endure::http {

struct cookie {
  std::string name, value;
  std::string domain;   // lowercase, no leading dot; empty: sent to every host (user-set)
  std::string path = "/";
  bool host_only = false;  // only the exact host (no Domain attribute)
  bool secure = false;
  bool http_only = false;
  std::optional<double> expires_s;  // Unix seconds; none: session cookie
  uint64_t creation = 0;            // insertion order, for stable ordering
};

// Parses an HTTP date (RFC 1123, RFC 850, asctime, and the usual Set-Cookie variants such as
// "Wed, 09-Jun-2021 10:18:14 GMT") into Unix seconds; nullopt when it is not a date.
std::optional<int64_t> parse_http_date(std::string_view text);

class cookie_jar {
 public:
  // Stores (or deletes) the cookie of one Set-Cookie header value received from request_url.
  // Returns false when the header was rejected (no '=', empty name, foreign Domain).
  bool set_from_header(std::string_view set_cookie, const url& request_url, double now_s);
  // Stores every Set-Cookie header in a response's header list.
  void update_from_response(const field_list& headers, const url& request_url, double now_s);
  void update_from_response(const raw_fields& headers, const url& request_url, double now_s);

  // "a=1; b=2" for a request to u (domain, path, secure and expiry rules; longest path first),
  // or empty. Appended to out when out is non-empty (separated by "; ").
  void cookie_header(const url& u, double now_s, std::string& out) const;
  std::string cookie_header(const url& u, double now_s) const;

  // For users (Locust's client.cookies): domain "" sends the cookie to every host.
  void set(std::string name, std::string value, std::string domain = "", std::string path = "/");
  // Value of the first cookie with this name (any domain), or nullopt.
  std::optional<std::string> get(std::string_view name) const;
  bool erase(std::string_view name);
  void clear() { cookies_.clear(); }
  size_t size() const { return cookies_.size(); }
  bool empty() const { return cookies_.empty(); }
  const std::vector<cookie>& all() const { return cookies_; }
  void remove_expired(double now_s);

 private:
  void store(cookie c);
  std::vector<cookie> cookies_;
  uint64_t next_creation_ = 0;
};

}  // namespace endure::http
