#include "monitor/http_get.hpp"

#include <boost/asio/io_context.hpp>

#include "client/session.hpp"
#include "client/transport.hpp"

namespace endure::monitor {

struct http_get::impl {
  boost::asio::io_context io;
  client::transport transport;
  std::unique_ptr<client::session> session;
  std::chrono::milliseconds timeout;
  explicit impl(std::chrono::milliseconds t)
      : transport(io, [t] {
          client::client_options o;
          o.request_timeout = t;
          o.connect_timeout = t;
          o.max_body_bytes = 64ull << 20;
          return o;
        }()),
        timeout(t) {}
};

http_get::http_get(std::chrono::milliseconds timeout) : impl_(std::make_unique<impl>(timeout)) {}

http_get::~http_get() {
  impl_->session.reset();  // before the transport
}

http_result http_get::get(const std::string& url, const client::header_list& headers,
                          const std::atomic<bool>& stop) {
  if (!impl_->session) impl_->session = std::make_unique<client::session>(impl_->transport, "");
  client::request req;
  req.url = url;
  req.headers = headers;
  bool done = false;
  http_result out;
  impl_->session->execute(std::move(req), [&](client::response&& r) {
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
    // Stopping: drop the session and its connection; its completion will never run.
    impl_->session.reset();
    out.error = "stopped";
  }
  return out;
}

}  // namespace endure::monitor
