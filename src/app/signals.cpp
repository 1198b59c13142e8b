#include "app/signals.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>

#include "base/log.hpp"

namespace endure::app {

struct stop_signals::impl {
  boost::asio::signal_set set;
  std::function<void()> stop, kill;
  int sigints = 0;
  bool any = false;

  impl(boost::asio::io_context& io, std::function<void()> s, std::function<void()> k)
      : set(io, SIGINT, SIGTERM), stop(std::move(s)), kill(std::move(k)) {}

  void wait() {
    set.async_wait([this](const boost::system::error_code& ec, int sig) {
      if (ec) return;
      if (sig == SIGINT) ++sigints;
      if (!any) {
        any = true;
        base::log_info("runner", sig == SIGINT ? "SIGINT received: stopping (press Ctrl-C again to force)"
                                               : "SIGTERM received: stopping");
        stop();
      } else if (sig == SIGINT && sigints >= 2) {
        base::log_warning("runner", "second SIGINT: killing users now");
        kill();
      }
      wait();
    });
  }
};

stop_signals::stop_signals(engine::asio_scheduler& sched, engine::controller& ctl)
    : stop_signals(sched, [&ctl] { ctl.stop("signal"); }, [&ctl] { ctl.kill(); }) {}

stop_signals::stop_signals(engine::asio_scheduler& sched, std::function<void()> stop,
                           std::function<void()> kill)
    : impl_(std::make_unique<impl>(sched.io(), std::move(stop), std::move(kill))) {
  impl_->wait();
}

stop_signals::~stop_signals() {
  boost::system::error_code ec;
  impl_->set.cancel(ec);
}

bool stop_signals::received() const { return impl_->any; }

}  // namespace endure::app
