// client::error: see error.hpp.
#include "client/error.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace endure::client {

std::string error_string(error_kind kind, std::string_view detail) {
  auto with = [detail](std::string_view prefix, std::string_view suffix = {}) {
    std::string s;
    s.reserve(prefix.size() + detail.size() + suffix.size());
    s.append(prefix).append(detail).append(suffix);
    return s;
  };
  switch (kind) {
    case error_kind::refused:
      return "ConnectionRefusedError: connection refused";
    case error_kind::reset:
      return "ConnectionResetError: connection reset by peer";
    case error_kind::disconnected:
      return "RemoteDisconnected: connection closed before the response was complete";
    case error_kind::timeout:
      return with("TimeoutError: request timed out after ", "s");
    case error_kind::connect_timeout:
      return with("ConnectTimeoutError: connect timed out after ", "s");
    case error_kind::dns:
      return with("DNSError: cannot resolve host '", "'");
    case error_kind::tls:
      return with("SSLError: ");
    case error_kind::protocol:
      return with("ProtocolError: ");
    case error_kind::too_many_redirects:
      return with("TooManyRedirects: exceeded ", " redirects");
    case error_kind::invalid_url:
      return with("InvalidURL: ");
    case error_kind::connection:
      return with("ConnectionError: ");
    case error_kind::session_busy:
      return "SessionBusy: a request is already in flight on this session";
    case error_kind::cancelled:
      return "cancelled";
  }
  return with("ConnectionError: ");
}

error_kind errno_kind(int err) {
  switch (err) {
    case ECONNREFUSED:
      return error_kind::refused;
    case ECONNRESET:
    case EPIPE:
    case ECONNABORTED:
      return error_kind::reset;
    default:
      return error_kind::connection;
  }
}

std::string errno_detail(int err) {
  char buf[256];
  // The GNU strerror_r returns the message (possibly a static string, not buf).
  return ::strerror_r(err, buf, sizeof buf);
}

std::string format_seconds(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", static_cast<double>(d.count()) / 1000.0);
  return buf;
}

}  // namespace endure::client
