// client::system_resolver: see system_resolver.hpp.
#include "client/system_resolver.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#pragma GCC diagnostic pop

namespace endure::client {

struct system_resolver::shared {
  struct job {
    uint64_t id;
    std::string host;
  };
  shared(boost::asio::io_context& i, lookup_fn f, size_t max)
      : io(i), fn(std::move(f)), max_threads(max) {}

  boost::asio::io_context& io;  // used only while !stopped, under mu
  const lookup_fn fn;
  const size_t max_threads;
  std::mutex mu;
  std::deque<job> queue;
  size_t threads = 0;    // helper threads alive
  bool stopped = false;  // the backend is gone: post nothing more
  // Results posted but not yet run check this on the shard's thread: the backend is gone once
  // it expires (a weak_ptr to it stays valid to test after the shared state outlives it).
  std::shared_ptr<system_resolver*> owner;
};

system_resolver::system_resolver(boost::asio::io_context& io, lookup_fn fn, size_t max_threads)
    : io_(io), shared_(std::make_shared<shared>(io, std::move(fn), max_threads == 0 ? 1 : max_threads)) {
  shared_->owner = std::make_shared<system_resolver*>(this);
}

system_resolver::~system_resolver() {
  std::lock_guard lock(shared_->mu);
  shared_->stopped = true;
  shared_->queue.clear();
  shared_->owner.reset();
}

void system_resolver::lookup(const std::string& host, done_fn done) {
  const uint64_t id = next_id_++;
  pending_.emplace(id, std::move(done));
  bool spawn = false;
  {
    std::lock_guard lock(shared_->mu);
    shared_->queue.push_back({id, host});
    if (shared_->threads < shared_->max_threads) {
      ++shared_->threads;
      spawn = true;
    }
  }
  if (!spawn) return;  // a running helper takes it when it is done with the one before
  try {
    std::thread([s = shared_] { run_helper(s); }).detach();
  } catch (const std::system_error&) {
    // No thread to be had: the lookup fails (as DNSError) rather than block the shard.
    {
      std::lock_guard lock(shared_->mu);
      --shared_->threads;
      if (shared_->threads > 0) return;  // another helper will take the job
      std::erase_if(shared_->queue, [id](const shared::job& j) { return j.id == id; });
    }
    boost::asio::post(io_, [w = std::weak_ptr<system_resolver*>(shared_->owner), id] {
      if (auto owner = w.lock()) (*owner)->on_result(id, {});
    });
  }
}

void system_resolver::on_result(uint64_t id, address_list result) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  done_fn done = std::move(it->second);
  pending_.erase(it);
  done(std::move(result));
}

// Takes jobs until the queue is empty, then ends (no idle threads between lookups).
void system_resolver::run_helper(const std::shared_ptr<shared>& s) {
  std::unique_lock lock(s->mu);
  while (!s->stopped && !s->queue.empty()) {
    auto job = std::move(s->queue.front());
    s->queue.pop_front();
    lock.unlock();
    address_list result;
    try {
      result = s->fn(job.host);
    } catch (...) {
      result.clear();  // a lookup that throws (out of memory) is a name that did not resolve
    }
    lock.lock();
    if (s->stopped) break;
    // Posted under the lock: the destructor cannot finish between the check and the post, so
    // the io_context (which outlives the backend) is alive here.
    boost::asio::post(s->io, [w = std::weak_ptr<system_resolver*>(s->owner), id = job.id,
                              r = std::move(result)]() mutable {
      if (auto owner = w.lock()) (*owner)->on_result(id, std::move(r));
    });
  }
  --s->threads;
}

address_list system_resolver::getaddrinfo_lookup(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0) return {};
  address_list v4, v6;
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    ip_address a;
    a.family = ai->ai_family;
    if (ai->ai_family == AF_INET) {
      std::memcpy(a.bytes.data(), &reinterpret_cast<const sockaddr_in*>(ai->ai_addr)->sin_addr, 4);
    } else if (ai->ai_family == AF_INET6) {
      std::memcpy(a.bytes.data(), &reinterpret_cast<const sockaddr_in6*>(ai->ai_addr)->sin6_addr,
                  16);
    } else {
      continue;
    }
    auto& list = a.family == AF_INET ? v4 : v6;
    if (std::find(list.begin(), list.end(), a) == list.end()) list.push_back(a);
  }
  ::freeaddrinfo(found);
  v4.insert(v4.end(), v6.begin(), v6.end());
  return v4;
}

}  // namespace endure::client
