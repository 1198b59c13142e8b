// client::transport::impl: the shard-wide state behind client::transport (see transport.hpp),
// shared by session.cpp and transport.cpp. Internal to the client.
#pragma once
#include <memory>
#include <vector>

#include "client/flight.hpp"
#include "client/poller.hpp"
#include "client/resolver.hpp"
#include "client/target_cache.hpp"
#include "client/tls.hpp"
#include "client/transport.hpp"

namespace endure::client {

struct transport::impl {
  // Responses are received into this one buffer (an idle session holds no read buffer).
  static constexpr size_t read_buffer_bytes = 64 << 10;
  // Idle pooled flights kept; beyond that a returned flight is freed once its last pending
  // handler has run (a burst of requests in flight leaves no memory behind).
  static constexpr size_t max_free_flights = 64;

  impl(boost::asio::io_context& i, client_options o, std::unique_ptr<resolver_backend> backend,
       const base::clock& c);
  ~impl();

  flight* acquire();
  void release(flight* f);
  void destroy(flight* f);

  boost::asio::io_context& io;
  client_options options;
  const base::clock& clock;
  poller poll{io};  // readiness of every connection of the shard, plain and TLS
  tls_contexts tls;
  resolver dns;
  target_cache targets;
  std::unique_ptr<char[]> read_buffer{new char[read_buffer_bytes]};
  // Last: flights own timers and are destroyed before everything above.
  std::vector<std::unique_ptr<flight>> flights;
  std::vector<flight*> free_flights;
};

}  // namespace endure::client
