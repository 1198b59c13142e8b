#include "engine/asio_scheduler.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <unordered_map>

#include "base/clock.hpp"

namespace asio = boost::asio;

namespace endure::engine {

struct asio_scheduler::impl {
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
  std::unordered_map<timer_id, std::unique_ptr<asio::steady_timer>> timers;
  timer_id next = 0;
  bool stopped = false;
};

asio_scheduler::asio_scheduler() : impl_(std::make_unique<impl>()) {}
asio_scheduler::~asio_scheduler() = default;

int64_t asio_scheduler::now_ns() const { return base::mono_now_ns(); }
double asio_scheduler::wall_s() const { return base::wall_now_s(); }

void asio_scheduler::post(task fn) { asio::post(impl_->io, std::move(fn)); }

base::scheduler::timer_id asio_scheduler::call_at(int64_t at_ns, task fn) {
  const timer_id id = ++impl_->next;
  auto t = std::make_unique<asio::steady_timer>(impl_->io);
  t->expires_at(std::chrono::steady_clock::time_point(std::chrono::nanoseconds(at_ns)));
  impl* im = impl_.get();
  t->async_wait([im, id, fn = std::move(fn)](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled: the entry is already gone
    auto it = im->timers.find(id);
    if (it == im->timers.end()) return;
    auto keep = std::move(it->second);  // the timer outlives its own handler
    im->timers.erase(it);
    fn();
  });
  impl_->timers.emplace(id, std::move(t));
  return id;
}

void asio_scheduler::cancel(timer_id id) {
  auto it = impl_->timers.find(id);
  if (it == impl_->timers.end()) return;
  // Destroying a waiting timer cancels it; its handler still runs, with an error, and returns.
  impl_->timers.erase(it);
}

void asio_scheduler::run_until(const std::function<bool()>& done) {
  impl_->stopped = false;
  if (impl_->io.stopped()) impl_->io.restart();
  while (!impl_->stopped && !done()) {
    if (impl_->io.run_one() == 0) break;
  }
}

void asio_scheduler::poll() {
  if (impl_->io.stopped()) impl_->io.restart();
  impl_->io.poll();
}

void asio_scheduler::stop() {
  asio::post(impl_->io, [im = impl_.get()] { im->stopped = true; });
}

asio::io_context& asio_scheduler::io() { return impl_->io; }

}  // namespace endure::engine
