// test_support::fault_server: a deliberately broken HTTP target on 127.0.0.1:0 for the fault
// matrix, one fault per server (per port). Blocking sockets, one thread per connection, so each
// fault is a few straight lines of bytes and timing. Tests only; never a load target.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace endure::test_support {

enum class fault {
  close_at_once,          // accept, send FIN at once without reading the request
  reset_in_headers,       // read the request, send half a status/header block, then RST
  reset_in_body,          // read the request, send headers and half the body, then RST
  never_answer,           // read the request, then stay silent until the client leaves
  drip_body,              // headers at once, then the 100-byte body one byte per drip_interval
  not_http,               // a status line that is not HTTP ("SSH-2.0-OpenSSH_9.2"), then close
  bad_header,             // a header line without a colon
  huge_header,            // one 1 MiB header value
  short_body_then_close,  // Content-Length: 100, 5 bytes, then FIN
  bad_chunked,            // Transfer-Encoding: chunked with a chunk size that is not hex
  huge_body,              // Content-Length: huge_body_bytes, streamed from a small buffer
  http10_close,           // HTTP/1.0 response without Content-Length: the body ends at FIN
  interim_1xx,            // 100 Continue and 103 Early Hints before a 200
  keepalive_close_idle,   // one good keep-alive response per connection, then close while idle
  keepalive_partial,      // one good response, then on the reused connection a partial one
  tls_garbage,            // plain TCP that answers a TLS ClientHello with HTTP text
  backlog_full,           // listen(backlog) and never accept: the queue fills, SYNs get dropped
};

struct fault_options {
  std::chrono::milliseconds drip_interval{100};
  uint64_t huge_body_bytes = 200ull << 20;
  int backlog = 1;
};

class fault_server {
 public:
  // Starts listening (and accepting, except backlog_full) at once; throws std::runtime_error.
  explicit fault_server(fault f, fault_options options = {});
  ~fault_server();
  fault_server(const fault_server&) = delete;
  fault_server& operator=(const fault_server&) = delete;

  uint16_t port() const;
  std::string url(std::string_view path = "/") const;  // "http://127.0.0.1:PORT/path"
  uint64_t connections() const;  // accepted
  uint64_t requests() const;     // request heads read completely
  uint64_t answered() const;     // complete, well-formed responses sent
  void stop();                   // idempotent; also done by the destructor

  // A port on 127.0.0.1 where nothing listens (bound, then closed): connection refused.
  static uint16_t closed_port();

  struct state;

 private:
  std::unique_ptr<state> state_;
};

}  // namespace endure::test_support
