// client::transport: what the sessions of one shard share: its io_context, the client options,
// the edge-triggered poller of its connections, TLS contexts, the name resolver and the pooled
// state of requests in flight. One per shard thread; not thread-safe. Asio stays in the .cpp.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>

namespace boost::asio {
class io_context;
}

namespace endure::base {
class clock;
}

namespace endure::client {

class resolver_backend;

struct client_options {
  std::chrono::milliseconds request_timeout{60'000};  // --request-timeout: whole request
  std::chrono::milliseconds connect_timeout{60'000};  // capped by request_timeout
  bool insecure = false;                               // --insecure: no certificate verification
  uint64_t max_body_bytes = 64ull << 20;  // bodies beyond this are counted, not kept in memory
  int max_redirects = 30;
  // How long looked-up addresses are used for new connections before the name is looked up
  // again (getaddrinfo reports no record TTLs). 0: every new connection looks it up.
  std::chrono::milliseconds dns_ttl{60'000};
};

class transport {
 public:
  transport(boost::asio::io_context& io, client_options options);
  // With another name lookup (tests inject a fake) and clock for the DNS cache's TTL (nullptr:
  // the system's monotonic clock; it must outlive the transport).
  transport(boost::asio::io_context& io, client_options options,
            std::unique_ptr<resolver_backend> dns, const base::clock* clock = nullptr);
  // Every session of this transport must be destroyed first.
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

}  // namespace endure::client
