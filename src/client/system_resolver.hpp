// client::system_resolver: the real resolver_backend. getaddrinfo blocks (for as long as a DNS
// server takes), so it runs on helper threads, never on the shard's: a thread exists only
// while lookups are queued or running (at most max_threads per shard), and its result is
// posted to the shard's io_context. Destruction never waits for a lookup in progress: that
// thread finishes on its own when getaddrinfo returns and posts nothing.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "client/resolver.hpp"

namespace boost::asio {
class io_context;
}

namespace endure::client {

class system_resolver final : public resolver_backend {
 public:
  // A blocking lookup, called on a helper thread (so it must be thread-safe); an empty list
  // when the name does not resolve. Tests inject one that blocks until they release it.
  using lookup_fn = std::function<address_list(const std::string& host)>;
  static constexpr size_t default_max_threads = 4;

  explicit system_resolver(boost::asio::io_context& io, lookup_fn fn = getaddrinfo_lookup,
                           size_t max_threads = default_max_threads);
  ~system_resolver() override;
  system_resolver(const system_resolver&) = delete;
  system_resolver& operator=(const system_resolver&) = delete;

  void lookup(const std::string& host, done_fn done) override;

  // getaddrinfo (AI_ADDRCONFIG, TCP), IPv4 addresses first, duplicates removed.
  static address_list getaddrinfo_lookup(const std::string& host);

 private:
  struct shared;  // the queue, shared with the helper threads
  static void run_helper(const std::shared_ptr<shared>& s);
  void on_result(uint64_t id, address_list result);

  boost::asio::io_context& io_;
  std::shared_ptr<shared> shared_;
  std::unordered_map<uint64_t, done_fn> pending_;  // by lookup id, on the shard's thread
  uint64_t next_id_ = 1;
};

}  // namespace endure::client
