#include "dist/zmq_link.hpp"

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "base/log.hpp"

namespace endure::dist {

namespace {

constexpr const char* monitor_endpoint = "inproc://endure-link-monitor";
constexpr int handshake_events =
    ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
    ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;

}  // namespace

struct zmq_link::impl {
  zmq::context_t ctx{1};
  zmq::socket_t sock;
  // CURVE master: the ZAP handler (inproc, answered on the network thread). Every link: a
  // monitor of handshake outcomes, to turn a wrong or missing secret into one clear line.
  std::optional<zmq::socket_t> zap;
  std::optional<zmq::socket_t> monitor;
  link_security security;
  std::string peer;  // a worker's master, host:port, for its messages
  int failures_in_a_row = 0;
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
      zmq::pollitem_t items[3] = {{static_cast<void*>(sock), 0, ZMQ_POLLIN, 0}, {}, {}};
      int n = 1;
      const int zap_at = zap ? n++ : 0, monitor_at = monitor ? n++ : 0;
      if (zap) items[zap_at] = {static_cast<void*>(*zap), 0, ZMQ_POLLIN, 0};
      if (monitor) items[monitor_at] = {static_cast<void*>(*monitor), 0, ZMQ_POLLIN, 0};
      try {
        zmq::poll(items, static_cast<size_t>(n), std::chrono::milliseconds(20));
      } catch (const zmq::error_t&) {
        continue;
      }
      if (zap && (items[zap_at].revents & ZMQ_POLLIN)) answer_zap();
      if (monitor && (items[monitor_at].revents & ZMQ_POLLIN)) read_monitor();
      if (items[0].revents & ZMQ_POLLIN) receive_all();
    }
    drain();
  }

  // Before bind/connect, so that the first handshake is seen.
  void start_monitor() {
    if (zmq_socket_monitor(static_cast<void*>(sock), monitor_endpoint, handshake_events) != 0) return;
    monitor.emplace(ctx, zmq::socket_type::pair);
    monitor->set(zmq::sockopt::linger, 0);
    monitor->connect(monitor_endpoint);
  }

  void setup_curve() {
    if (!security.curve) return;
    const curve_keys& k = *security.curve;
    if (is_master) {
      // The handler must exist before the first peer arrives.
      zap.emplace(ctx, zmq::socket_type::rep);
      zap->set(zmq::sockopt::linger, 0);
      zap->bind("inproc://zeromq.zap.01");
      sock.set(zmq::sockopt::zap_domain, "endure");
      sock.set(zmq::sockopt::curve_server, 1);
      sock.set(zmq::sockopt::curve_secretkey, k.server_secret);
    } else {
      sock.set(zmq::sockopt::curve_serverkey, k.server_public);
      sock.set(zmq::sockopt::curve_publickey, k.client_public);
      sock.set(zmq::sockopt::curve_secretkey, k.client_secret);
    }
  }

  // ZAP (RFC 27): a peer that completed the CURVE handshake, so it knows the master's public key;
  // admitted only with the cluster's worker key.
  void answer_zap() {
    std::vector<zmq::message_t> req;
    while (true) {
      zmq::message_t part;
      if (!zap->recv(part, zmq::recv_flags::dontwait)) break;
      const bool more = part.more();
      req.push_back(std::move(part));
      if (!more) break;
    }
    if (req.size() < 6) return;
    bool ok = false;
    if (req.size() >= 7 && req[5].to_string() == "CURVE" && req[6].size() == 32) {
      std::array<uint8_t, 32> expected{};
      zmq_z85_decode(expected.data(), security.curve->client_public.c_str());
      ok = std::memcmp(req[6].data(), expected.data(), 32) == 0;
    }
    if (!ok)
      base::log_warning("rpc", "refused a peer at " + req[3].to_string() +
                                   ": its CURVE key is not the cluster's worker key");
    const std::string status = ok ? "200" : "400";
    const std::string text = ok ? "OK" : "not a worker of this cluster";
    const std::string user = ok ? "worker" : "";
    try {
      zap->send(zmq::str_buffer("1.0"), zmq::send_flags::sndmore);
      zap->send(req[1], zmq::send_flags::sndmore);
      zap->send(zmq::buffer(status), zmq::send_flags::sndmore);
      zap->send(zmq::buffer(text), zmq::send_flags::sndmore);
      zap->send(zmq::buffer(user), zmq::send_flags::sndmore);
      zap->send(zmq::str_buffer(""), zmq::send_flags::none);
    } catch (const zmq::error_t& e) {
      base::log_warning("rpc", std::string("ZAP reply failed: ") + e.what());
    }
  }

  void read_monitor() {
    for (int k = 0; k < 100; ++k) {
      zmq::message_t head;
      if (!monitor->recv(head, zmq::recv_flags::dontwait)) return;
      if (head.more()) {
        zmq::message_t address;
        (void)monitor->recv(address, zmq::recv_flags::dontwait);
      }
      if (head.size() < 6) continue;
      uint16_t event = 0;
      uint32_t value = 0;
      std::memcpy(&event, head.data(), 2);
      std::memcpy(&value, static_cast<const char*>(head.data()) + 2, 4);
      if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
        failures_in_a_row = 0;
        continue;
      }
      ++failures_in_a_row;
      const std::string why = why_failed(event, value);
      if (security.on_handshake_failed && !why.empty())
        security.on_handshake_failed(why, failures_in_a_row,
                                     event != ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL);
    }
  }

  std::string why_failed(uint16_t event, uint32_t value) const {
    const bool curve = security.curve.has_value();
    const bool mismatch =
        event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL && value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH;
    if (is_master) {
      if (mismatch)
        return curve ? "a peer connected without the cluster secret (a Locust process, or endure without "
                       "--cluster-secret-file): refused"
                     : "a peer connected with a cluster secret, but this master has no --cluster-secret-file: refused";
      if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) return "a peer's key is not the cluster's worker key: refused";
      return curve ? "a peer failed the CURVE handshake (it does not hold this master's --cluster-secret-file, or "
                     "has none): refused"
                   : "a peer's handshake failed (a worker with a cluster secret? this master has no "
                     "--cluster-secret-file)";
    }
    if (mismatch)
      return curve ? "the master at " + peer +
                         " does not use a cluster secret (it runs without --cluster-secret-file, or it is a Locust "
                         "master)"
                   : "the master at " + peer + " requires a cluster secret: give this worker its --cluster-secret-file";
    return curve ? "the master at " + peer +
                       " did not accept this worker's cluster secret (not the one in the master's --cluster-secret-file, or "
                       "the master has none)"
                 : "the handshake with the master at " + peer +
                       " keeps failing (does it require a cluster secret? then give this worker its "
                       "--cluster-secret-file)";
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
                                                      receive_fn on_receive, link_security security) {
  try {
    auto i = std::make_unique<impl>(zmq::socket_type::router);
    i->is_master = true;
    i->security = std::move(security);
    i->setup_curve();
    i->start_monitor();
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
                                                         tick_fn tick, std::chrono::milliseconds tick_every,
                                                         link_security security) {
  try {
    auto i = std::make_unique<impl>(zmq::socket_type::dealer);
    i->security = std::move(security);
    i->peer = host + ":" + std::to_string(port);
    i->setup_curve();
    i->start_monitor();
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
