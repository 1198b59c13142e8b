// client::connection: one keep-alive connection of a session to (scheme, host, port, verify): a
// non-blocking socket registered once with the shard's edge-triggered poller, plain or TLS,
// behind one readiness contract. Every operation (connect, handshake, write, read) is tried at
// once and answers done, wait or failed; after `wait` the caller parks one waiter, and the edge
// that brings the readiness the operation needs resumes it. Lives on the shard's thread.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "client/error.hpp"
#include "client/poller.hpp"
#include "client/resolver.hpp"
#include "client/socket_io.hpp"

struct ssl_st;

namespace endure::client {

class tls_contexts;

// Whoever waits for a connection's readiness (a request in flight). wait_token() changes when
// the waiter moves on, so a stale wait is recognized and dropped.
class io_waiter {
 public:
  virtual uint64_t wait_token() const = 0;
  // Called as the last thing a readiness edge does: the waiter may close or destroy the
  // connection from here.
  virtual void on_io_ready() = 0;

 protected:
  ~io_waiter() = default;
};

class connection final : public poll_target {
 public:
  enum class step { done, wait, failed };

  connection(poller& poll, tls_contexts& tls, bool https, bool verify, std::string host,
             uint16_t port);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  bool matches(bool https, bool verify, const std::string& host, uint16_t port) const {
    return https_ == https && (!https || verify_ == verify) && port_ == port && host_ == host;
  }
  // Connected (and handshaken), and no FIN or error seen since: fit for the next request.
  bool is_reusable() const { return state_ == state::open && !io_.peer_closed; }
  // No further request on it (after an unexpected byte, or Connection: close).
  void retire() {
    if (state_ == state::open) state_ = state::retired;
  }
  uint64_t served() const { return served_; }
  void count_response() { ++served_; }

  // Closes any previous socket and connects to addresses[0], then to the next one when one
  // fails (the last failure is the one reported), then does the TLS handshake for https.
  step connect(const address_list& addresses);
  // After a wait in connect(): carries on where it stopped.
  step continue_connect();
  // Writes up to n bytes (written: how many went out).
  step write(const char* data, size_t n, size_t& written);
  // Reads into buf; done with got == 0 is the end of the stream (FIN, with or without a TLS
  // close_notify: a close-delimited body ends there, anything else is the caller's error).
  step read(char* buf, size_t cap, size_t& got);
  // After a step answered wait: waiter->on_io_ready() runs on the edge the step needs, unless
  // the connection closes first or waiter->wait_token() no longer equals token by then.
  void wait(io_waiter* waiter, uint64_t token) {
    waiter_ = waiter;
    waiter_token_ = token;
  }
  // Why the last step failed (error_string(failure_kind(), failure_detail())).
  error_kind failure_kind() const { return failure_kind_; }
  const std::string& failure_detail() const { return failure_detail_; }

  void close();

  void on_ready(uint32_t events) override;

 private:
  enum class state { closed, connecting, handshaking, open, retired };

  step try_addresses();
  step connected();
  step handshake();
  step fail(error_kind kind, std::string detail = {});
  step fail_errno(int err);
  void close_socket();

  poller& poll_;
  tls_contexts& tls_;
  const bool https_;
  const bool verify_;
  const uint16_t port_;
  const std::string host_;
  state state_ = state::closed;
  socket_io io_;
  uint64_t poll_handle_ = 0;
  ssl_st* ssl_ = nullptr;
  address_list addresses_;  // being tried, in order
  size_t next_address_ = 0;
  int last_connect_errno_ = 0;
  bool want_write_ = false;  // what the last step that answered wait needs
  io_waiter* waiter_ = nullptr;
  uint64_t waiter_token_ = 0;
  uint64_t served_ = 0;  // responses completed on this connection
  error_kind failure_kind_ = error_kind::connection;
  std::string failure_detail_;
};

}  // namespace endure::client
