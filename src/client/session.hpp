// client::session: one user's HTTP/1.1 session (Locust HttpUser semantics): keep-alive connections
// reused per (scheme, host, port), cookie jar, redirects, gzip/deflate, timeouts, TLS.
// Lives on one shard thread (the io_context that runs it); not thread-safe. Asio stays in the .cpp.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace endure::http {
class cookie_jar;
}

namespace endure::client {

using header_list = std::vector<std::pair<std::string, std::string>>;

struct client_options {
  std::chrono::milliseconds request_timeout{60'000};  // --request-timeout: whole request
  std::chrono::milliseconds connect_timeout{60'000};  // capped by request_timeout
  bool insecure = false;                               // --insecure: no certificate verification
  uint64_t max_body_bytes = 64ull << 20;  // bodies beyond this are counted, not kept in memory
  int max_redirects = 30;
};

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

// response::error strings: stable, one per category (docs/failures.md is built from this table).
//
//   ConnectionRefusedError: connection refused          nothing listens on the port
//   ConnectionResetError: connection reset by peer      RST (or EPIPE) while sending or receiving
//   RemoteDisconnected: connection closed before the response was complete
//                                                       EOF mid-response, or on a fresh connection
//                                                       before any byte (a reused keep-alive
//                                                       connection is retried once silently)
//   TimeoutError: request timed out after <N>s          whole-request deadline (connect, TLS,
//                                                       write, response, redirects); N like 60, 0.5
//   ConnectTimeoutError: connect timed out after <N>s   TCP connect (+TLS handshake) deadline
//   DNSError: cannot resolve host '<host>'              getaddrinfo failed
//   SSLError: <reason>                                  handshake or verification failure, e.g.
//                                                       "SSLError: certificate verify failed:
//                                                       self-signed certificate"
//   ProtocolError: <parser message>                     invalid status line | invalid header |
//                                                       headers too large | invalid chunked
//                                                       encoding | invalid content-length |
//                                                       invalid gzip body | invalid deflate body
//   TooManyRedirects: exceeded <max_redirects> redirects
//   InvalidURL: <message>                               "invalid URL 'x': expected http:// ..."
//   ConnectionError: <system message>                   any other socket error (unreachable ...)
//   SessionBusy: a request is already in flight on this session
//   cancelled                                           session::cancel()
struct response {
  int status = 0;                 // 0 when no response was received (error is set)
  std::string reason;
  header_list headers;            // as received (final response of a redirect chain)
  std::string body;               // decoded (gzip/deflate), at most max_body_bytes kept
  uint64_t content_bytes = 0;     // full decoded length, even beyond max_body_bytes
  std::string url;                // final URL after redirects
  std::string error;              // empty: transport OK; otherwise a stable error string
  int64_t start_ns = 0;           // base::mono_now_ns() when the request was handed to execute
  int64_t first_byte_ns = 0;      // when the first response byte arrived (0: never)
  int64_t last_byte_ns = 0;       // when the last bytes received so far arrived (0: none)
  int64_t done_ns = 0;            // when the response completed or failed
  int redirects = 0;              // how many redirects were followed

  // First header value with this name (case-insensitive), or nullptr.
  const std::string* header(std::string_view name) const;
};

// Per-shard transport: the io_context, TLS contexts, DNS cache. Create one per shard thread.
class transport {
 public:
  transport(boost::asio::io_context& io, client_options options);
  ~transport();
  transport(const transport&) = delete;
  transport& operator=(const transport&) = delete;
  const client_options& options() const;
  boost::asio::io_context& io();
  struct impl;
  impl& get_impl() { return *impl_; }

 private:
  std::unique_ptr<impl> impl_;
};

using completion = std::function<void(response&&)>;

class session {
 public:
  // base_url: "http://host:port" (may be empty when every request uses an absolute URL).
  session(transport& t, std::string base_url);
  ~session();  // closes connections; a pending completion is never called after destruction
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  // Starts a request. on_done is called exactly once, from the transport's io_context, never
  // inline from execute(). Transport failures arrive as response::error, never as exceptions.
  void execute(request&& req, completion&& on_done);
  // Aborts the request in flight (if any): its completion is called with error "cancelled".
  void cancel();

  http::cookie_jar& cookies();
  header_list& default_headers();  // sent with every request (Locust's client.headers)
  const std::string& base_url() const;

 private:
  struct impl;
  // Asio handlers never point at the session: they hold a pooled request state of the transport
  // and a generation number (see session.cpp), so an idle session is small.
  std::unique_ptr<impl> impl_;
};

}  // namespace endure::client
