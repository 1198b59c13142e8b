// client::error: the kinds of transport failure and the one function that spells them as the
// stable strings of response::error (docs/failures.md documents every one; they are what users
// grep for and compare across runs, so a string never changes). No I/O.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace endure::client {

// A failure and what error_string() writes for it; `detail` is what the failure adds:
//
//   refused             ConnectionRefusedError: connection refused   nothing listens on the port
//   reset               ConnectionResetError: connection reset by peer
//                                              RST (or EPIPE) while sending or receiving
//   disconnected        RemoteDisconnected: connection closed before the response was complete
//                                              EOF mid-response, or on a fresh connection before
//                                              any byte (a reused keep-alive connection is
//                                              retried once, silently)
//   timeout             TimeoutError: request timed out after <detail>s
//                                              whole-request deadline (name lookup, connect,
//                                              TLS, write, response, redirects); detail like
//                                              "60" or "0.5" (format_seconds)
//   connect_timeout     ConnectTimeoutError: connect timed out after <detail>s
//                                              name lookup + TCP connect + TLS handshake
//   dns                 DNSError: cannot resolve host '<detail>'       the name did not resolve
//   tls                 SSLError: <detail>     handshake or verification failure, e.g.
//                                              "certificate verify failed: self-signed
//                                              certificate", "unexpected EOF during handshake"
//   protocol            ProtocolError: <detail>  the response parser's message: invalid status
//                                              line | invalid header | headers too large |
//                                              invalid chunked encoding | invalid content-length
//                                              | invalid gzip body | invalid deflate body
//   too_many_redirects  TooManyRedirects: exceeded <detail> redirects   (client_options::
//                                              max_redirects)
//   invalid_url         InvalidURL: <detail>   "invalid URL 'x': ..." from the URL parser
//   connection          ConnectionError: <detail>   any other socket error: the system's
//                                              message ("Network is unreachable")
//   session_busy        SessionBusy: a request is already in flight on this session
//   cancelled           cancelled              session::cancel() (never recorded as a result)
enum class error_kind : uint8_t {
  refused,
  reset,
  disconnected,
  timeout,
  connect_timeout,
  dns,
  tls,
  protocol,
  too_many_redirects,
  invalid_url,
  connection,
  session_busy,
  cancelled,
};

std::string error_string(error_kind kind, std::string_view detail = {});

// A socket error (errno) as a failure kind: refused, reset (ECONNRESET, EPIPE, ECONNABORTED) or
// connection; errno_detail() is the system's message for the connection kind.
error_kind errno_kind(int err);
std::string errno_detail(int err);

// "60" or "0.5": seconds as a user wrote them.
std::string format_seconds(std::chrono::milliseconds d);

}  // namespace endure::client
