// client::poller: see poller.hpp.
#include "client/poller.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#pragma GCC diagnostic pop

namespace endure::client {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {
// Events taken from the private instance per turn of the io_context: enough to amortize the
// re-arm, few enough that timers and posted work are not starved under load.
constexpr int batch_events = 128;
}  // namespace

// Shared with the pending wait's handler, so a handler that outlives the poller finds it closed
// instead of freed memory.
struct poller::core {
  // epoll_event::data: slot index (low 32 bits) and the slot's generation (high 32 bits), so an
  // event of a removed fd (even one already harvested in the running batch) is recognized.
  struct slot {
    poll_target* target = nullptr;
    uint32_t gen = 1;
  };

  asio::posix::basic_stream_descriptor<asio::io_context::executor_type> epoll_fd;
  std::vector<slot> slots;
  std::vector<uint32_t> free_slots;
  size_t registered = 0;
  bool armed = false;
  bool closed = false;

  explicit core(asio::io_context& io) : epoll_fd(io.get_executor()) {
    int fd = ::epoll_create1(EPOLL_CLOEXEC);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
    epoll_fd.assign(fd);
  }

  static void arm(const std::shared_ptr<core>& self) {
    if (self->armed || self->closed || self->registered == 0) return;
    self->armed = true;
    self->epoll_fd.async_wait(asio::posix::descriptor_base::wait_read,
                              [self](const error_code& ec) {
                                self->armed = false;
                                if (ec || self->closed) return;
                                self->dispatch();
                                arm(self);
                              });
  }

  void dispatch() {
    epoll_event events[batch_events];
    int n = ::epoll_wait(epoll_fd.native_handle(), events, batch_events, 0);
    for (int i = 0; i < n && !closed; ++i) {
      uint64_t key = events[i].data.u64;
      auto index = static_cast<uint32_t>(key);
      auto gen = static_cast<uint32_t>(key >> 32);
      if (index >= slots.size()) continue;
      const slot& s = slots[index];
      if (s.gen != gen || s.target == nullptr) continue;  // removed since it was harvested
      s.target->on_ready(events[i].events);
    }
  }
};

poller::poller(asio::io_context& io) : core_(std::make_shared<core>(io)) {}

poller::~poller() {
  core_->closed = true;
  error_code ec;
  core_->epoll_fd.close(ec);  // a pending wait completes as aborted and sees `closed`
}

uint64_t poller::add(int fd, poll_target* target) {
  core& c = *core_;
  uint32_t index;
  if (c.free_slots.empty()) {
    index = static_cast<uint32_t>(c.slots.size());
    c.slots.emplace_back();
  } else {
    index = c.free_slots.back();
    c.free_slots.pop_back();
  }
  core::slot& s = c.slots[index];
  uint64_t key = (static_cast<uint64_t>(s.gen) << 32) | index;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.u64 = key;
  if (::epoll_ctl(c.epoll_fd.native_handle(), EPOLL_CTL_ADD, fd, &ev) != 0) {
    int saved = errno;
    c.free_slots.push_back(index);
    errno = saved;
    return 0;
  }
  s.target = target;
  ++c.registered;
  core::arm(core_);
  return key;
}

void poller::remove(uint64_t handle, int fd) {
  if (handle == 0) return;
  core& c = *core_;
  auto index = static_cast<uint32_t>(handle);
  if (index >= c.slots.size()) return;
  core::slot& s = c.slots[index];
  if (s.gen != static_cast<uint32_t>(handle >> 32) || s.target == nullptr) return;
  s.target = nullptr;
  if (++s.gen == 0) s.gen = 1;  // a handle is never 0
  c.free_slots.push_back(index);
  --c.registered;
  if (!c.closed) ::epoll_ctl(c.epoll_fd.native_handle(), EPOLL_CTL_DEL, fd, nullptr);
}

}  // namespace endure::client
