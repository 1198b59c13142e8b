// server::request / server::response: the HTTP/1.1 messages that http_server hands to route
// handlers and takes back. Plain data plus small pure helpers; no sockets, no Asio.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace endure::server {

// One parsed request. The server reuses this object for the next request on the connection once
// the response is sent: a handler that answers later must copy what it needs. The string_views
// (method, target, query_string, header names and values) point into the request's own storage.
struct request {
  std::string_view method;        // "GET", "POST", ... as sent
  std::string_view target;        // request-target as sent: "/products?page=2"
  std::string path;               // percent-decoded path without the query: "/products"
  std::string_view query_string;  // raw query after '?', empty when none
  int version_minor = 1;          // HTTP/1.<version_minor>
  bool keep_alive = true;         // what the client asked for (version default + Connection)
  std::vector<std::pair<std::string_view, std::string_view>> headers;  // in order received
  std::vector<std::pair<std::string, std::string>> query;   // decoded ('+' is a space)
  std::vector<std::pair<std::string_view, std::string>> params;  // route captures: {id} -> "123"
  std::string body;               // de-chunked body

  // First header with this name, case-insensitive.
  std::optional<std::string_view> header(std::string_view name) const;
  // First query parameter with this (decoded) name.
  std::optional<std::string_view> query_param(std::string_view name) const;
  // A route capture ("id" for "/products/{id}", "*" for a trailing "/*"), empty when absent.
  std::string_view param(std::string_view name) const;
  // Value of one cookie from the Cookie header(s), if present.
  std::optional<std::string_view> cookie(std::string_view name) const;

  void clear();             // keeps capacities
  std::string head_storage;  // the header block the views point into (owned by the server)
};

enum class content_coding { identity, gzip, deflate };

// What happens after a raw response's bytes are written.
enum class raw_end {
  close,  // orderly close (FIN)
  reset,  // abortive close (RST: SO_LINGER 0)
  stall,  // keep the connection open and silent until the client gives up or the server stops
};

// A response. Defaults: 200, reason from the status, "text/plain", Content-Length framing.
struct response {
  int status = 200;
  std::string reason;                      // empty: the standard phrase for `status`
  std::string content_type = "text/plain"; // empty: no Content-Type header
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers, in order
  std::string body;
  std::size_t chunks = 0;  // > 0: Transfer-Encoding: chunked, body split into this many chunks
  content_coding compress = content_coding::identity;  // applied only if Accept-Encoding allows
  bool close = false;                      // send "Connection: close" and close afterwards
  std::optional<std::string> raw;          // fault injection: write exactly these bytes, then...
  raw_end raw_then = raw_end::close;       // ...do this (status/headers/body are ignored)

  response& header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  static response text(int status, std::string body, std::string content_type = "text/plain");
  static response json(int status, std::string body);
  static response raw_bytes(std::string bytes, raw_end then);
};

// Standard reason phrase ("Not Found"), "Unknown" for unregistered codes.
std::string_view reason_phrase(int status);

// Percent-decoding; `plus_is_space` for query strings and form bodies. Invalid escapes are kept.
std::string percent_decode(std::string_view in, bool plus_is_space);
// Percent-encoding of everything but unreserved characters (RFC 3986).
std::string percent_encode(std::string_view in);
// "a=1&b=x%20y" -> {{"a","1"},{"b","x y"}}; also for application/x-www-form-urlencoded bodies.
std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query);

bool iequals(std::string_view a, std::string_view b);
// Whether a comma-separated header value (Accept-Encoding, Connection) holds `token`
// (case-insensitive, parameters such as ";q=0.5" ignored; "q=0" counts as absent).
bool header_has_token(std::string_view value, std::string_view token);

// gzip (RFC 1952) or deflate (zlib, RFC 1950, as HTTP's "deflate" means) of `in`.
std::string compress_body(std::string_view in, content_coding coding);

}  // namespace endure::server
