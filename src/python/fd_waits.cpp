// python::fd_waits: see fd_waits.hpp.
#include "python/fd_waits.hpp"

#include <poll.h>
#include <sys/epoll.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "python/hub.hpp"

namespace endure::python {

namespace {
constexpr uint32_t readable = EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR;
constexpr uint32_t writable = EPOLLOUT | EPOLLHUP | EPOLLERR;

bool wants(short events, uint32_t ready) {
  return ((events & POLLIN) && (ready & readable)) || ((events & POLLOUT) && (ready & writable));
}
}  // namespace

// One registered fd while ops wait on it. The poller's registration is edge-triggered: readiness
// that no waiter took is kept in `pending`, so a second op that starts waiting on an fd already
// registered for another op sees it. Callers try their operation before waiting, so an edge is
// never needed for data that was already there.
struct fd_waits::entry final : client::poll_target {
  fd_waits* owner = nullptr;
  int fd = -1;
  uint64_t handle = 0;
  uint32_t pending = 0;
  std::vector<std::pair<std::shared_ptr<op>, short>> waiters;
  void on_ready(uint32_t events) override { owner->on_events(*this, events); }
};

fd_waits::fd_waits(boost::asio::io_context& io, wake_fn wake, void* ctx)
    : poller_(io), wake_(wake), ctx_(ctx) {}

fd_waits::~fd_waits() {
  for (auto& [fd, e] : entries_) poller_.remove(e->handle, fd);
}

bool fd_waits::add(int fd, short events, const std::shared_ptr<op>& o) {
  auto it = entries_.find(fd);
  if (it == entries_.end()) {
    auto e = std::make_unique<entry>();
    e->owner = this;
    e->fd = fd;
    e->handle = poller_.add(fd, e.get());
    if (e->handle == 0) {
      if (errno != EPERM) return false;
      // A regular file (epoll refuses it) is always ready.
      o->done = true;
      wake_(ctx_, o);
      return true;
    }
    it = entries_.emplace(fd, std::move(e)).first;
  }
  entry& e = *it->second;
  o->fds.push_back(fd);
  e.waiters.emplace_back(o, events);
  if (wants(events, e.pending)) on_events(e, 0);
  return true;
}

void fd_waits::remove(op& o) {
  for (int fd : o.fds) {
    auto it = entries_.find(fd);
    if (it == entries_.end()) continue;
    entry& e = *it->second;
    std::erase_if(e.waiters, [&](auto& w) { return w.first.get() == &o; });
    if (e.waiters.empty()) {
      poller_.remove(e.handle, fd);
      entries_.erase(it);
    }
  }
  o.fds.clear();
}

size_t fd_waits::wake_all(int fd) {
  auto it = entries_.find(fd);
  if (it == entries_.end()) return 0;
  std::vector<std::shared_ptr<op>> woken;
  for (auto& w : it->second->waiters)
    if (!w.first->done) woken.push_back(w.first);
  for (auto& o : woken) {
    o->done = true;
    remove(*o);
    wake_(ctx_, o);
  }
  return woken.size();
}

void fd_waits::on_events(entry& e, uint32_t events) {
  uint32_t ready = e.pending | events;
  std::vector<std::shared_ptr<op>> woken;
  uint32_t taken = 0;
  for (auto& [o, wanted] : e.waiters) {
    if (o->done || !wants(wanted, ready)) continue;
    woken.push_back(o);
    if (wanted & POLLIN) taken |= readable;
    if (wanted & POLLOUT) taken |= writable;
  }
  e.pending = ready & ~taken;
  // Waking removes ops from their entries and may free e: do not touch e after this loop starts.
  for (auto& o : woken) {
    o->done = true;
    remove(*o);
    wake_(ctx_, o);
  }
}

}  // namespace endure::python
