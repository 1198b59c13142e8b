// client::request: what a user asks the HTTP client to send (Locust's request arguments, already
// encoded). Plain data; no I/O.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace endure::client {

using header_list = std::vector<std::pair<std::string, std::string>>;

struct request {
  std::string method = "GET";
  std::string url;                 // absolute ("https://h/p") or relative to the session's base
  header_list headers;             // added after the session's default headers (override by name)
  header_list params;              // appended to the query string, url-encoded
  std::string body;                // already encoded (JSON, form, raw); Content-Length is set
  bool allow_redirects = true;
  std::optional<std::chrono::milliseconds> timeout;  // overrides client_options::request_timeout
  std::optional<bool> verify;                        // overrides --insecure for this request
  std::optional<std::pair<std::string, std::string>> basic_auth;  // user, password
  header_list cookies;             // extra cookies for this request only
};

}  // namespace endure::client
