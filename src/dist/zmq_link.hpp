// dist::zmq_link: the ZeroMQ socket of a master (ROUTER, bound) or a worker (DEALER with the
// node id as identity, connected), owned by one network thread that receives, sends what other
// threads queued, and calls a tick function on time (a worker's heartbeat: no user code or busy
// control loop can delay it). Payloads are opaque bytes here (proto::encode / decode). With
// curve_keys the link is CURVE-encrypted and the master admits only the cluster's worker key.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/result.hpp"
#include "dist/curve_keys.hpp"

namespace endure::dist {

// Plain (Locust's link, the default) or CURVE. Handshake failures are reported either way: a
// peer with a secret meeting one without fails with a mechanism mismatch.
struct link_security {
  std::optional<curve_keys> curve;
  // Network thread: a handshake with a peer failed; `why` is one sentence, `in_a_row` counts the
  // failures since the last handshake that succeeded (a worker retries every 100 ms or so after
  // a failure without detail); `final`: ZeroMQ will not retry (a protocol error, such as a
  // secret on one side only).
  std::function<void(const std::string& why, int in_a_row, bool final)> on_handshake_failed;
};

class zmq_link {
 public:
  // Network thread: one message from `identity` (the master sees each worker's; a worker sees "").
  using receive_fn = std::function<void(const std::string& identity, std::string payload)>;
  using tick_fn = std::function<void()>;

  // Master: ROUTER on tcp://host:port; host "*" is every interface; port 0 picks a free one.
  static base::result<std::unique_ptr<zmq_link>> bind(const std::string& host, uint16_t port,
                                                       receive_fn on_receive, link_security security = {});
  // Worker: DEALER to tcp://host:port (ZeroMQ connects and reconnects in the background).
  static base::result<std::unique_ptr<zmq_link>> connect(const std::string& host, uint16_t port,
                                                          const std::string& identity,
                                                          receive_fn on_receive, tick_fn tick,
                                                          std::chrono::milliseconds tick_every,
                                                          link_security security = {});
  ~zmq_link();  // sends what is queued (up to 2 s), then closes
  zmq_link(const zmq_link&) = delete;
  zmq_link& operator=(const zmq_link&) = delete;

  // Any thread. `to`: the worker's identity on a master, ignored on a worker.
  void send(const std::string& to, std::string payload);
  // Any thread: waits until everything queued so far was handed to ZeroMQ.
  bool flush(std::chrono::milliseconds limit);
  uint16_t port() const;  // the bound port (master)

 private:
  struct impl;
  explicit zmq_link(std::unique_ptr<impl> i);
  std::unique_ptr<impl> impl_;
};

}  // namespace endure::dist
