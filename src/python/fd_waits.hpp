// python::fd_waits: readiness waits on file descriptors that Python code owns (the cooperative
// socket, ssl and select of endure's gevent stand-in), on the hub's io_context. A waiting op is
// woken through hub::make_ready when one of its fds is ready or it is cancelled. Hub thread only.
#pragma once
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "client/poller.hpp"

namespace endure::python {

struct op;

class fd_waits {
 public:
  // wake(o) is called (on the hub's thread) when an op's fd is ready; o->done is set first.
  using wake_fn = void (*)(void* ctx, const std::shared_ptr<op>& o);
  fd_waits(boost::asio::io_context& io, wake_fn wake, void* ctx);
  ~fd_waits();
  fd_waits(const fd_waits&) = delete;
  fd_waits& operator=(const fd_waits&) = delete;

  // Registers o for fd with events POLLIN and/or POLLOUT (added to o->fds). False with errno set.
  bool add(int fd, short events, const std::shared_ptr<op>& o);
  // Removes o from every fd it waits on (after it was woken, timed out or abandoned).
  void remove(op& o);
  // Wakes every op waiting on fd (it is being closed: their retry then fails with EBADF instead
  // of waiting forever for an fd the poller no longer watches). Returns how many.
  size_t wake_all(int fd);

 private:
  struct entry;
  void on_events(entry& e, uint32_t events);
  client::poller poller_;
  wake_fn wake_;
  void* ctx_;
  std::unordered_map<int, std::unique_ptr<entry>> entries_;
};

}  // namespace endure::python
