// client::transport: construction of the shard-wide state and the pool of flights.
#include "client/transport.hpp"

#include "base/clock.hpp"
#include "client/system_resolver.hpp"
#include "client/transport_impl.hpp"

namespace endure::client {

namespace {
const base::clock& system_clock() {
  static const base::system_clock c;
  return c;
}
}  // namespace

transport::impl::impl(boost::asio::io_context& i, client_options o,
                      std::unique_ptr<resolver_backend> backend, const base::clock& c)
    : io(i), options(o), clock(c), dns(std::move(backend), c, o.dns_ttl) {}

transport::impl::~impl() = default;

transport::transport(boost::asio::io_context& io, client_options options)
    : transport(io, options, nullptr, nullptr) {}

transport::transport(boost::asio::io_context& io, client_options options,
                     std::unique_ptr<resolver_backend> dns, const base::clock* clock) {
  if (!dns) dns = std::make_unique<system_resolver>(io);
  impl_ = std::make_unique<impl>(io, options, std::move(dns), clock ? *clock : system_clock());
}

transport::~transport() = default;
const client_options& transport::options() const { return impl_->options; }
boost::asio::io_context& transport::io() { return impl_->io; }

flight::flight(transport::impl& tr) : t(tr), timer(tr.io.get_executor()) {}

bool enter(flight* fl) {
  --fl->handlers;
  if (!fl->retired) return true;
  if (fl->handlers == 0) fl->t.destroy(fl);
  return false;
}

flight* transport::impl::acquire() {
  if (free_flights.empty()) {
    flights.push_back(std::make_unique<flight>(*this));
    return flights.back().get();
  }
  flight* f = free_flights.back();
  free_flights.pop_back();
  return f;
}

void transport::impl::release(flight* f) {
  f->owner = nullptr;
  ++f->epoch;
  f->conn = nullptr;
  f->on_done = nullptr;
  // The request stays as it is: the next execute() move-assigns every field. Only a large body
  // is let go, so that an idle pooled flight does not pin it.
  if (f->req.body.capacity() > (64 << 10)) std::string().swap(f->req.body);
  f->defaults_without_auth.reset();
  if (free_flights.size() >= max_free_flights) {
    f->retired = true;
    f->timer.cancel();  // its handler (counted) runs soon and frees the flight
    if (f->handlers == 0) destroy(f);
    return;
  }
  free_flights.push_back(f);
}

void transport::impl::destroy(flight* f) {
  for (auto& p : flights)
    if (p.get() == f) {
      std::swap(p, flights.back());
      flights.pop_back();
      return;
    }
}

}  // namespace endure::client
