// http::request_writer: serializes one HTTP/1.1 request (head + body) into one contiguous byte
// string, with endure's default headers unless the caller overrides them. Pure: no I/O.
#pragma once
#include <span>
#include <string>
#include <string_view>

#include "http/fields.hpp"

namespace endure::http {

inline constexpr std::string_view default_user_agent = "endure/0.1";

struct request_head {
  std::string_view method = "GET";
  std::string_view target = "/";   // origin-form: path + query
  std::string_view host;           // Host header value ("h" or "h:port")
  // Header layers, lowest priority first (e.g. session defaults, then the request's own). A field
  // is written unless a later layer has a field of the same name (case-insensitive).
  std::span<const field_list* const> layers;
  std::string_view cookie;         // Cookie value from the jar; skipped when a layer sets Cookie
  std::string_view authorization;  // forced Authorization value (basic auth); overrides layers
  std::string_view body;
};

// Appends the request bytes to out (out is not cleared, so a buffer can be reused):
// "METHOD target HTTP/1.1\r\nHost: ...\r\n" + built-in defaults (User-Agent, Accept-Encoding:
// gzip, deflate, Accept: */*, Connection: keep-alive) unless overridden + layers + Cookie +
// Content-Length (for a body, and "0" for POST/PUT/PATCH without one) + "\r\n" + body.
void write_request(std::string& out, const request_head& head);

std::string base64_encode(std::string_view data);
// "Basic base64(user:password)".
std::string basic_auth_value(std::string_view user, std::string_view password);

}  // namespace endure::http
