#include "client/blocking_client.hpp"

#include <boost/asio/io_context.hpp>

#include "client/session.hpp"
#include "client/transport.hpp"

namespace endure::client {

struct blocking_client::impl {
  boost::asio::io_context io;
  transport tr;
  std::unique_ptr<session> s;
  explicit impl(std::chrono::milliseconds t)
      : tr(io, [t] {
          client_options o;
          o.request_timeout = t;
          o.connect_timeout = t;
          return o;
        }()) {}
};

blocking_client::blocking_client(std::chrono::milliseconds timeout)
    : impl_(std::make_unique<impl>(timeout)) {}

blocking_client::~blocking_client() {
  impl_->s.reset(); // before the transport
}

blocking_result blocking_client::run(request req,
                                     const std::atomic<bool> &stop) {
  if (!impl_->s)
    impl_->s = std::make_unique<session>(impl_->tr, "");
  bool done = false;
  blocking_result out;
  impl_->s->execute(std::move(req), [&](response &&r) {
    out.status = r.status;
    out.error = r.error;
    out.body = std::move(r.body);
    done = true;
  });
  while (!done && !stop.load()) {
    impl_->io.restart();
    impl_->io.run_one_for(std::chrono::milliseconds(50));
  }
  if (!done) {
    // Stopping: drop the session and its connection; its completion will never
    // run.
    impl_->s.reset();
    out.error = "stopped";
  }
  return out;
}

blocking_result blocking_client::get(const std::string &url,
                                     const header_list &headers,
                                     const std::atomic<bool> &stop) {
  request req;
  req.url = url;
  req.headers = headers;
  return run(std::move(req), stop);
}

} // namespace endure::client
