// A resolver_backend for tests: every lookup waits until the test answers it (answer()), so slow,
// changing and failing DNS servers need neither sockets nor sleeps. Counts lookups per host.
// Single-threaded, like the resolver it serves. Tests only.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "client/resolver.hpp"

namespace endure::client::scripted {

struct fake_dns {
  struct pending_lookup {
    std::string host;
    resolver_backend::done_fn done;
  };
  std::vector<pending_lookup> pending;
  std::map<std::string, int> lookups;  // per host, started
  bool destroyed = false;
};

class fake_backend final : public resolver_backend {
 public:
  explicit fake_backend(std::shared_ptr<fake_dns> dns) : dns_(std::move(dns)) {}
  ~fake_backend() override {
    dns_->destroyed = true;
    dns_->pending.clear();
  }
  void lookup(const std::string& host, done_fn done) override {
    ++dns_->lookups[host];
    dns_->pending.push_back({host, std::move(done)});
  }

 private:
  std::shared_ptr<fake_dns> dns_;
};

inline address_list addresses(std::initializer_list<const char*> texts) {
  address_list out;
  for (const char* t : texts) out.push_back(*ip_address::parse(t));
  return out;
}

// Completes every pending lookup of host with result (empty: the name does not resolve);
// returns how many there were.
inline int answer(fake_dns& dns, const std::string& host, const address_list& result) {
  int n = 0;
  auto pending = std::move(dns.pending);
  dns.pending.clear();
  for (auto& p : pending) {
    if (p.host == host) {
      ++n;
      p.done(result);
    } else {
      dns.pending.push_back(std::move(p));
    }
  }
  return n;
}

}  // namespace endure::client::scripted
