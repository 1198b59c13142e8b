// client::session: one user's HTTP/1.1 session (Locust HttpUser semantics): keep-alive connections
// reused per (scheme, host, port), cookie jar, redirects, gzip/deflate, timeouts, TLS.
// Lives on one shard thread (the io_context that runs it); not thread-safe. Asio stays in the .cpp.
#pragma once
#include <functional>
#include <memory>
#include <string>

#include "client/request.hpp"
#include "client/response.hpp"
#include "client/transport.hpp"

namespace endure::http {
class cookie_jar;
}

namespace endure::client {

using completion = std::function<void(response&&)>;

class session {
 public:
  // base_url: "http://host:port" (may be empty when every request uses an absolute URL).
  session(transport& t, std::string base_url);
  ~session();  // closes connections; a pending completion is never called after destruction
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  // Starts a request. on_done is called exactly once, from the transport's io_context, never
  // inline from execute(). Transport failures arrive as response::error (the strings of
  // client/error.hpp), never as exceptions.
  void execute(request&& req, completion&& on_done);
  // Aborts the request in flight (if any): its completion is called with error "cancelled".
  void cancel();

  http::cookie_jar& cookies();
  header_list& default_headers();  // sent with every request (Locust's client.headers)
  const std::string& base_url() const;

 private:
  struct impl;
  // Handlers and readiness waits never point at the session: they hold a pooled request state
  // of the transport and its epoch (client/flight.hpp), so an idle session is small.
  std::unique_ptr<impl> impl_;
};

}  // namespace endure::client
