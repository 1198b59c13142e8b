// server::http_server: a small, fast HTTP/1.1 server (keep-alive, router, delayed answers, gzip,
// chunked, TLS, fault injection) used as the demo shop and as the load target in tests.
// Asio stays in the .cpp (pimpl). It knows nothing of load testing, stats or the engine.
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "server/message.hpp"

namespace endure::server {

// A response body the server keeps sending from (server-sent events, a log tail): push() from any
// thread. What the client has not taken yet is bounded: a client that falls that far behind is
// dropped (its connection closed), so a slow or stalled reader never holds up the server thread
// or the pushing one. The body ends when the connection closes (close(), the client, or stop).
class stream_writer {
 public:
  virtual ~stream_writer() = default;
  // Queues `data`. False once the stream is closed (dropped, gone, or the server stopping).
  virtual bool push(std::string data) = 0;
  virtual bool is_open() const = 0;
  virtual void close() = 0;
};

namespace detail {
// Implemented by a connection: where a responder delivers its answer.
class response_sink {
 public:
  virtual ~response_sink() = default;
  virtual void deliver(response&& r, std::chrono::milliseconds delay) = 0;
  virtual std::shared_ptr<stream_writer> open_stream(response&& head, std::size_t max_buffered) = 0;
};
}  // namespace detail

// The right to answer one request, exactly once, now or later, from any thread. Move-only.
// A responder dropped without answering sends "500 handler did not answer". A responder must not
// outlive the http_server it came from.
class responder {
 public:
  explicit responder(std::shared_ptr<detail::response_sink> sink) : sink_(std::move(sink)) {}
  responder(responder&&) noexcept = default;
  responder& operator=(responder&& other) noexcept;
  responder(const responder&) = delete;
  responder& operator=(const responder&) = delete;
  ~responder();

  // Answers now. Further calls are ignored.
  void send(response r);
  // Answers after `delay`, using the connection's timer (the server thread is not blocked).
  void send_after(std::chrono::milliseconds delay, response r);
  // Answers with `head` (status, type, headers; its body is the stream's first bytes) and keeps
  // the connection open for the returned writer (no Content-Length: the body ends when it
  // closes). max_buffered: bytes queued for the client at most before it is dropped.
  std::shared_ptr<stream_writer> stream(response head, std::size_t max_buffered);
  bool answered() const { return sink_ == nullptr; }

 private:
  std::shared_ptr<detail::response_sink> sink_;
};

using handler = std::function<void(const request&, responder)>;

struct tls_options {
  std::string cert_pem;   // certificate chain, PEM text (or use cert_file)
  std::string key_pem;    // private key, PEM text (or use key_file)
  std::string cert_file;  // path to a PEM file, used when cert_pem is empty
  std::string key_file;   // path to a PEM file, used when key_pem is empty
};

struct http_server_options {
  std::string host = "127.0.0.1";  // address to bind (IPv4 or IPv6 literal, or "localhost")
  uint16_t port = 0;               // 0: an ephemeral port; see http_server::port()
  std::optional<tls_options> tls;  // set: HTTPS only
  std::size_t max_header_bytes = 64 * 1024;         // beyond: 400 and close
  std::size_t max_body_bytes = 16 * 1024 * 1024;    // beyond: 413 and close
};

class http_server {
 public:
  explicit http_server(http_server_options options = {});
  ~http_server();  // stops and joins
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  // Registers a route; call before start(). `method` "" or "*" matches any method; a GET route
  // also answers HEAD. `pattern` is an exact path ("/fast"), or has "{name}" segments
  // ("/products/{id}") captured into request::params, or ends with "/*" (a prefix; the rest is
  // param "*"). Exact routes win over patterns; patterns are tried in registration order. A path
  // that matches only with another method answers 405.
  void route(std::string method, std::string pattern, handler h);
  // Handler for requests no route matches (default: 404 "not found").
  void fallback(handler h);

  // Binds, listens and starts `threads` event-loop threads (each owns its connections).
  // Errors (address in use, bad address, bad TLS material) come back as one readable line.
  base::result<base::unit> start(std::size_t threads = 1);
  // Closes the listener and all connections, joins the threads. Idempotent; any thread except a
  // server thread.
  void stop();

  uint16_t port() const;           // the bound port (after start)
  const std::string& host() const;
  bool is_tls() const;
  std::string base_url() const;    // "http://127.0.0.1:PORT" or "https://..."
  uint64_t connections_accepted() const;

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace endure::server
