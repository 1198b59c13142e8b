// client::poller: edge-triggered readiness for a shard's plain-TCP connections, on one private
// epoll instance that is itself watched by the shard's io_context.
//
// Why not Asio's own reactor: a non-speculative wait (socket::async_wait) re-arms the descriptor
// with epoll_ctl on every request, which cost ~7% of the generator's CPU per request in the
// closed-loop benchmark. Here a socket is registered once (EPOLLIN | EPOLLOUT | EPOLLRDHUP |
// EPOLLET) and a connection remembers whether an edge arrived while nobody waited, so a request
// costs one send and one recv; the private epoll instance is re-armed in Asio once per batch of
// events, not once per request.
//
// Lives on one shard thread; not thread-safe. Asio stays in the .cpp.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace endure::client {

// Receives the epoll event bits (EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLHUP, EPOLLERR) of its fd.
class poll_target {
 public:
  virtual void on_ready(uint32_t events) = 0;

 protected:
  ~poll_target() = default;
};

class poller {
 public:
  explicit poller(boost::asio::io_context& io);
  ~poller();
  poller(const poller&) = delete;
  poller& operator=(const poller&) = delete;

  // Registers fd (non-blocking, owned by the caller) for edge-triggered events delivered to
  // target from the io_context's thread. Returns a handle for remove(), or 0 with errno set.
  uint64_t add(int fd, poll_target* target);
  // Stops delivery at once (also for events already harvested in the current batch). Call it
  // before closing fd. A handle of 0 is ignored.
  void remove(uint64_t handle, int fd);

 private:
  struct core;
  std::shared_ptr<core> core_;
};

}  // namespace endure::client
