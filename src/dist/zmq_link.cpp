#include "dist/zmq_link.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <zmq.hpp>

#include "base/log.hpp"

namespace endure::dist {

struct zmq_link::impl {
  zmq::context_t ctx{1};
  zmq::socket_t sock;
  bool is_master = false;
  uint16_t bound_port = 0;
  receive_fn on_receive;
  tick_fn tick;
  std::chrono::milliseconds tick_every{1000};
  std::mutex mutex;
  std::condition_variable sent_cv;
  std::deque<std::pair<std::string, std::string>> queue;
  uint64_t queued = 0, handed = 0;
  std::atomic<bool> stopping{false};
  std::thread thread;

  impl(zmq::socket_type t) : sock(ctx, t) {
    sock.set(zmq::sockopt::linger, 2000);
    sock.set(zmq::sockopt::tcp_keepalive, 1);
    sock.set(zmq::sockopt::tcp_keepalive_idle, 30);
  }

  void run() {
    auto next_tick = std::chrono::steady_clock::now();
    while (!stopping.load()) {
      if (tick && std::chrono::steady_clock::now() >= next_tick) {
        next_tick += tick_every;
        if (next_tick < std::chrono::steady_clock::now()) next_tick = std::chrono::steady_clock::now() + tick_every;
        tick();
      }
      drain();
      zmq::pollitem_t item{static_cast<void*>(sock), 0, ZMQ_POLLIN, 0};
      try {
        zmq::poll(&item, 1, std::chrono::milliseconds(20));
      } catch (const zmq::error_t&) {
        continue;
      }
      if (item.revents & ZMQ_POLLIN) receive_all();
    }
    drain();
  }

  void receive_all() {
    for (int n = 0; n < 1000; ++n) {
      zmq::message_t first;
      auto got = sock.recv(first, zmq::recv_flags::dontwait);
      if (!got) return;
      std::string identity;
      zmq::message_t payload;
      if (is_master) {
        identity = first.to_string();
        // ROUTER: [identity, payload]; anything else is not Locust's framing.
        if (!first.more() || !sock.recv(payload, zmq::recv_flags::dontwait)) continue;
      } else {
        payload = std::move(first);
      }
      while (payload.more()) {  // extra frames: not ours; drop them
        zmq::message_t extra;
        if (!sock.recv(extra, zmq::recv_flags::dontwait)) break;
      }
      on_receive(identity, payload.to_string());
    }
  }

  void drain() {
    std::deque<std::pair<std::string, std::string>> out;
    {
      std::lock_guard lock(mutex);
      out.swap(queue);
    }
    for (auto& [to, payload] : out) {
      try {
        if (is_master) {
          sock.send(zmq::buffer(to), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
          sock.send(zmq::buffer(payload), zmq::send_flags::dontwait);
        } else {
          sock.send(zmq::buffer(payload), zmq::send_flags::dontwait);
        }
      } catch (const zmq::error_t& e) {
        base::log_warning("rpc", std::string("send failed: ") + e.what());
      }
    }
    if (!out.empty()) {
      std::lock_guard lock(mutex);
      handed += out.size();
      sent_cv.notify_all();
    }
  }
};

zmq_link::zmq_link(std::unique_ptr<impl> i) : impl_(std::move(i)) {
  impl_->thread = std::thread([p = impl_.get()] { p->run(); });
}

zmq_link::~zmq_link() {
  flush(std::chrono::seconds(2));
  impl_->stopping.store(true);
  if (impl_->thread.joinable()) impl_->thread.join();
}

base::result<std::unique_ptr<zmq_link>> zmq_link::bind(const std::string& host, uint16_t port,
                                                      receive_fn on_receive) {
  try {
    auto i = std::make_unique<impl>(zmq::socket_type::router);
    i->is_master = true;
    // A worker that reconnects under its id (a new connection, the old one not yet seen closed)
    // takes over its entry instead of being refused.
    i->sock.set(zmq::sockopt::router_handover, 1);
    i->on_receive = std::move(on_receive);
    const std::string endpoint = "tcp://" + host + ":" + (port == 0 ? std::string("*") : std::to_string(port));
    i->sock.bind(endpoint);
    const std::string last = i->sock.get(zmq::sockopt::last_endpoint);
    const auto colon = last.rfind(':');
    i->bound_port = static_cast<uint16_t>(std::stoi(last.substr(colon + 1)));
    return std::unique_ptr<zmq_link>(new zmq_link(std::move(i)));
  } catch (const std::exception& e) {
    return base::make_error("cannot listen for workers on " + host + ":" + std::to_string(port) + ": " + e.what());
  }
}

base::result<std::unique_ptr<zmq_link>> zmq_link::connect(const std::string& host, uint16_t port,
                                                         const std::string& identity, receive_fn on_receive,
                                                         tick_fn tick, std::chrono::milliseconds tick_every) {
  try {
    auto i = std::make_unique<impl>(zmq::socket_type::dealer);
    i->sock.set(zmq::sockopt::routing_id, identity);
    i->on_receive = std::move(on_receive);
    i->tick = std::move(tick);
    i->tick_every = tick_every;
    i->sock.connect("tcp://" + host + ":" + std::to_string(port));
    return std::unique_ptr<zmq_link>(new zmq_link(std::move(i)));
  } catch (const std::exception& e) {
    return base::make_error("cannot connect to the master at " + host + ":" + std::to_string(port) + ": " +
                            e.what());
  }
}

void zmq_link::send(const std::string& to, std::string payload) {
  std::lock_guard lock(impl_->mutex);
  impl_->queue.emplace_back(to, std::move(payload));
  ++impl_->queued;
}

bool zmq_link::flush(std::chrono::milliseconds limit) {
  std::unique_lock lock(impl_->mutex);
  const uint64_t target = impl_->queued;
  return impl_->sent_cv.wait_for(lock, limit, [&] { return impl_->handed >= target || impl_->stopping.load(); });
}

uint16_t zmq_link::port() const { return impl_->bound_port; }

}  // namespace endure::dist
