// client::error: every stable error string, byte for byte as docs/failures.md lists them.
#include "client/error.hpp"

#include <gtest/gtest.h>

#include <cerrno>

namespace endure::client {
namespace {

using namespace std::chrono_literals;

TEST(error, every_kind_spells_its_documented_string) {
  struct row {
    error_kind kind;
    const char* detail;
    const char* text;
  };
  const row rows[] = {
      {error_kind::refused, "", "ConnectionRefusedError: connection refused"},
      {error_kind::reset, "", "ConnectionResetError: connection reset by peer"},
      {error_kind::disconnected, "",
       "RemoteDisconnected: connection closed before the response was complete"},
      {error_kind::timeout, "60", "TimeoutError: request timed out after 60s"},
      {error_kind::timeout, "0.5", "TimeoutError: request timed out after 0.5s"},
      {error_kind::connect_timeout, "0.2", "ConnectTimeoutError: connect timed out after 0.2s"},
      {error_kind::dns, "nowhere.invalid", "DNSError: cannot resolve host 'nowhere.invalid'"},
      {error_kind::tls, "certificate verify failed: self-signed certificate",
       "SSLError: certificate verify failed: self-signed certificate"},
      {error_kind::protocol, "invalid chunked encoding",
       "ProtocolError: invalid chunked encoding"},
      {error_kind::too_many_redirects, "30", "TooManyRedirects: exceeded 30 redirects"},
      {error_kind::invalid_url, "invalid URL 'ftp://x/': unsupported scheme 'ftp', expected http or https",
       "InvalidURL: invalid URL 'ftp://x/': unsupported scheme 'ftp', expected http or https"},
      {error_kind::connection, "Network is unreachable",
       "ConnectionError: Network is unreachable"},
      {error_kind::session_busy, "",
       "SessionBusy: a request is already in flight on this session"},
      {error_kind::cancelled, "", "cancelled"},
  };
  for (const auto& r : rows) EXPECT_EQ(error_string(r.kind, r.detail), r.text);
}

TEST(error, socket_errors_by_errno) {
  EXPECT_EQ(errno_kind(ECONNREFUSED), error_kind::refused);
  EXPECT_EQ(errno_kind(ECONNRESET), error_kind::reset);
  EXPECT_EQ(errno_kind(EPIPE), error_kind::reset);
  EXPECT_EQ(errno_kind(ECONNABORTED), error_kind::reset);
  EXPECT_EQ(errno_kind(ENETUNREACH), error_kind::connection);
  EXPECT_EQ(errno_kind(EMFILE), error_kind::connection);
  EXPECT_EQ(error_string(error_kind::connection, errno_detail(ENETUNREACH)),
            "ConnectionError: Network is unreachable");
  EXPECT_EQ(errno_detail(EHOSTUNREACH), "No route to host");
}

TEST(error, seconds_as_a_user_wrote_them) {
  EXPECT_EQ(format_seconds(60000ms), "60");
  EXPECT_EQ(format_seconds(500ms), "0.5");
  EXPECT_EQ(format_seconds(200ms), "0.2");
  EXPECT_EQ(format_seconds(1500ms), "1.5");
  EXPECT_EQ(format_seconds(0ms), "0");
  EXPECT_EQ(format_seconds(1ms), "0.001");
}

}  // namespace
}  // namespace endure::client
