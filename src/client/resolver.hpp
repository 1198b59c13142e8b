// client::resolver: host names to addresses for one shard, never blocking it. Lookups run in a
// resolver_backend (the real one on helper threads, tests inject a fake); requests for a host
// whose lookup is in flight share it; answers are cached for client_options::dns_ttl so that a
// DNS change during a long soak reaches new connections. Lives on the shard's thread.
#pragma once
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace endure::base {
class clock;
}

namespace endure::client {

struct ip_address {
  int family = 0;                   // AF_INET or AF_INET6
  std::array<uint8_t, 16> bytes{};  // network order; the first 4 for AF_INET

  // "127.0.0.1", "::1" (no brackets); nullopt for anything else, such as a host name.
  static std::optional<ip_address> parse(std::string_view literal);
  std::string to_string() const;
  bool operator==(const ip_address&) const = default;
};

// In the order to try them: IPv4 first, as most clients do on hosts without IPv6 routes.
using address_list = std::vector<ip_address>;

// Where names are looked up. The resolver asks for one host at a time per lookup.
class resolver_backend {
 public:
  virtual ~resolver_backend() = default;
  // An empty list: the name does not resolve.
  using done_fn = std::function<void(address_list)>;
  // Looks host up and calls done once, on the shard's thread and never from inside lookup();
  // after the backend is destroyed, never.
  virtual void lookup(const std::string& host, done_fn done) = 0;
};

class resolver {
 public:
  // Failures are remembered for min(ttl, negative_ttl_cap): a name that does not resolve is not
  // looked up again for every request of every user.
  static constexpr std::chrono::milliseconds negative_ttl_cap{1000};
  // Above this many cached names, expired ones are dropped when a new name arrives.
  static constexpr size_t max_cached_hosts = 1024;

  // clock: monotonic time for the TTL (outlives the resolver). ttl 0: every new connection
  // looks its host up again (concurrent ones still share a lookup).
  resolver(std::unique_ptr<resolver_backend> backend, const base::clock& clock,
           std::chrono::milliseconds ttl);
  ~resolver();
  resolver(const resolver&) = delete;
  resolver& operator=(const resolver&) = delete;

  enum class state { ready, failed, pending };
  struct answer {
    state what;
    const address_list* addresses;  // ready: valid until the next call into the resolver
  };
  // nullptr: the name did not resolve.
  using waiter = std::function<void(const address_list*)>;

  // IP literals and "localhost" are answered at once, and so is a name with a fresh cached
  // answer; otherwise a lookup starts (or is joined) and `then` is called once with its result
  // (never from inside resolve()). `then` is dropped unused when the answer is immediate.
  answer resolve(const std::string& host, waiter&& then);

  size_t lookups_started() const { return lookups_started_; }
  size_t cached_hosts() const { return hosts_.size(); }

 private:
  struct entry {
    address_list addresses;  // empty: the last lookup failed
    int64_t expires_ns = 0;  // fresh while the clock reads less
    bool pending = false;    // a lookup is in flight
    std::vector<waiter> waiters;
  };
  void start_lookup(const std::string& host, entry& e);
  void on_lookup(const std::string& host, address_list result);
  void evict_expired(int64_t now_ns);

  std::unique_ptr<resolver_backend> backend_;
  const base::clock& clock_;
  std::chrono::nanoseconds ttl_;
  std::unordered_map<std::string, entry> hosts_;
  address_list literal_;  // the answer for an IP literal, rebuilt per call
  address_list localhost_;
  size_t lookups_started_ = 0;
};

}  // namespace endure::client
