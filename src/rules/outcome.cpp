#include "rules/outcome.hpp"

#include <array>
#include <cstdio>

namespace endure::rules {

std::string py_repr(std::string_view text) {
  bool has_single = text.find('\'') != std::string_view::npos;
  bool has_double = text.find('"') != std::string_view::npos;
  char quote = has_single && !has_double ? '"' : '\'';
  std::string out;
  out.reserve(text.size() + 2);
  out += quote;
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == static_cast<unsigned char>(quote) || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);  // UTF-8 passes through (printable in Python's repr)
    }
  }
  out += quote;
  return out;
}

std::string http_error_text(flavor f, int status, std::string_view reason, std::string_view url) {
  if (f == flavor::fasthttp)
    return "BadStatusCode(" + py_repr(url) + ", code=" + std::to_string(status) + ")";
  std::string message = std::to_string(status) + (status >= 500 ? " Server Error: " : " Client Error: ");
  message.append(reason).append(" for url: ").append(url);
  return "HTTPError(" + py_repr(message) + ")";
}

std::string transport_error_text(std::string_view client_error) {
  // The OS errors Python raises with their errno, as Locust shows them.
  struct os_error {
    std::string_view endure_type, python;
  };
  static constexpr std::array<os_error, 2> os_errors = {{
      {"ConnectionRefusedError", "ConnectionRefusedError(111, 'Connection refused')"},
      {"ConnectionResetError", "ConnectionResetError(104, 'Connection reset by peer')"},
  }};
  size_t colon = client_error.find(": ");
  std::string_view type = colon == std::string_view::npos ? client_error : client_error.substr(0, colon);
  for (const auto& e : os_errors)
    if (type == e.endure_type) return std::string(e.python);
  if (type == "RemoteDisconnected")  // http.client's words, which Locust unwraps and shows
    return "RemoteDisconnected('Remote end closed connection without response')";
  if (colon == std::string_view::npos) return std::string(client_error) + "()";
  return std::string(type) + "(" + py_repr(client_error.substr(colon + 2)) + ")";
}

std::string catch_failure_text(std::string_view message) {
  return "CatchResponseError(" + py_repr(message) + ")";
}

std::string normalize_error(std::string_view repr) {
  static constexpr std::string_view target = "object at 0x";
  size_t at = repr.find(target);
  if (at == std::string_view::npos) return std::string(repr);
  size_t start = at + target.size() - 2;  // at the "0x"
  size_t end = repr.find('>', start);
  if (end == std::string_view::npos) return std::string(repr);
  std::string address(repr.substr(start, end - start));
  std::string out(repr);
  for (size_t p = out.find(address); p != std::string::npos; p = out.find(address, p + 6))
    out.replace(p, address.size(), "0x....");
  return out;
}

std::optional<std::string> verdict(mark m, std::string_view manual_failure,
                                   std::string_view client_error, int status,
                                   std::string_view reason, std::string_view url, flavor f) {
  if (m == mark::success) return std::nullopt;
  if (m == mark::failure) return std::string(manual_failure);
  if (!client_error.empty()) return transport_error_text(client_error);
  if (status >= 400) return http_error_text(f, status, reason, url);
  return std::nullopt;
}

}  // namespace endure::rules
