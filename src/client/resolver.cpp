// client::resolver: see resolver.hpp.
#include "client/resolver.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "base/clock.hpp"

namespace endure::client {

std::optional<ip_address> ip_address::parse(std::string_view literal) {
  char text[INET6_ADDRSTRLEN + 1];
  if (literal.empty() || literal.size() >= sizeof text) return std::nullopt;
  std::memcpy(text, literal.data(), literal.size());
  text[literal.size()] = '\0';
  ip_address a;
  if (::inet_pton(AF_INET, text, a.bytes.data()) == 1) {
    a.family = AF_INET;
    return a;
  }
  if (::inet_pton(AF_INET6, text, a.bytes.data()) == 1) {
    a.family = AF_INET6;
    return a;
  }
  return std::nullopt;
}

std::string ip_address::to_string() const {
  char text[INET6_ADDRSTRLEN];
  if (::inet_ntop(family, bytes.data(), text, sizeof text) == nullptr) return "?";
  return text;
}

resolver::resolver(std::unique_ptr<resolver_backend> backend, const base::clock& clock,
                   std::chrono::milliseconds ttl)
    : backend_(std::move(backend)), clock_(clock), ttl_(ttl) {
  // Most test servers listen on 127.0.0.1 only: localhost is IPv4 first and needs no lookup.
  localhost_.push_back(*ip_address::parse("127.0.0.1"));
  localhost_.push_back(*ip_address::parse("::1"));
}

// The backend goes first: once it is gone no lookup can complete into a destroyed entry.
resolver::~resolver() { backend_.reset(); }

resolver::answer resolver::resolve(const std::string& host, waiter&& then) {
  if (auto literal = ip_address::parse(host)) {
    literal_.assign(1, *literal);
    return {state::ready, &literal_};
  }
  if (host == "localhost") return {state::ready, &localhost_};
  const int64_t now = clock_.mono_ns();
  auto it = hosts_.find(host);
  if (it == hosts_.end()) {
    if (hosts_.size() >= max_cached_hosts) evict_expired(now);
    it = hosts_.try_emplace(host).first;
  } else if (!it->second.pending && now < it->second.expires_ns) {
    const entry& e = it->second;
    if (e.addresses.empty()) return {state::failed, nullptr};
    return {state::ready, &e.addresses};
  }
  entry& e = it->second;
  e.waiters.push_back(std::move(then));
  if (!e.pending) start_lookup(it->first, e);
  return {state::pending, nullptr};
}

void resolver::start_lookup(const std::string& host, entry& e) {
  e.pending = true;
  ++lookups_started_;
  // The key is captured by value: the entry may be evicted and re-created meanwhile.
  backend_->lookup(host, [this, host](address_list result) { on_lookup(host, std::move(result)); });
}

void resolver::on_lookup(const std::string& host, address_list result) {
  auto it = hosts_.find(host);
  if (it == hosts_.end()) return;
  entry& e = it->second;
  e.pending = false;
  const int64_t now = clock_.mono_ns();
  const auto ttl = result.empty() ? std::min<std::chrono::nanoseconds>(ttl_, negative_ttl_cap) : ttl_;
  e.expires_ns = now + ttl.count();
  e.addresses = std::move(result);
  // Waiters may start new requests (and new lookups, and evictions) from their callbacks:
  // they get a copy of the answer and their own list.
  std::vector<waiter> waiters;
  waiters.swap(e.waiters);
  const address_list found = e.addresses;
  for (auto& w : waiters) w(found.empty() ? nullptr : &found);
}

void resolver::evict_expired(int64_t now_ns) {
  std::erase_if(hosts_, [now_ns](const auto& kv) {
    return !kv.second.pending && now_ns >= kv.second.expires_ns;
  });
}

}  // namespace endure::client
