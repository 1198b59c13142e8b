// client::response: what came back for a request: the final response of its redirect chain, or
// a transport failure as a stable error string (client/error.hpp lists them all), and the
// times of its phases. Plain data; no I/O.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "client/request.hpp"
#include "http/fields.hpp"

namespace endure::client {

struct response {
  int status = 0;                 // 0 when no response was received (error is set)
  std::string reason;
  // As received (final response of a redirect chain): one copy of the head, its fields as
  // views (headers.to_list() makes strings of them).
  http::raw_fields headers;
  std::string body;               // decoded (gzip/deflate), at most max_body_bytes kept
  uint64_t content_bytes = 0;     // full decoded length, even beyond max_body_bytes
  std::string url;                // final URL after redirects
  std::string error;              // empty: transport OK; otherwise error_string() of a failure
  int64_t start_ns = 0;           // base::mono_now_ns() when the request was handed to execute
  int64_t first_byte_ns = 0;      // when the first response byte arrived (0: never)
  int64_t last_byte_ns = 0;       // when the last bytes received so far arrived (0: none)
  int64_t done_ns = 0;            // when the response completed or failed
  int redirects = 0;              // how many redirects were followed

  // First header value with this name (case-insensitive), or nullopt.
  std::optional<std::string_view> header(std::string_view name) const;
};

}  // namespace endure::client
