// client::flight: the state of one request in flight (request, response, parser, write buffer,
// deadline timer), owned by the transport's pool and lent to a session for one request, so an
// idle session holds none and a busy one reuses warm buffers. Internal to the client.
#pragma once
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#pragma GCC diagnostic pop

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "client/connection.hpp"
#include "client/session.hpp"
#include "http/response_parser.hpp"
#include "http/url.hpp"

namespace endure::client {

// Timers bound to the io_context's own executor type: Asio's default any_io_executor costs a
// type-erased call per operation for work tracking, and 40 bytes.
using flight_timer =
    boost::asio::basic_waitable_timer<std::chrono::steady_clock,
                                      boost::asio::wait_traits<std::chrono::steady_clock>,
                                      boost::asio::io_context::executor_type>;

// What a flight knows of the session it serves (session::impl is private to session.cpp).
class session_core {
 public:
  virtual void resume() = 0;  // the flight's connection is ready for its next step

 protected:
  ~session_core() = default;
};

// Handlers and waits name a flight with its epoch: it changes whenever the flight returns to the
// pool or its connection is replaced, so a late one sees a mismatch and does nothing. Flights
// live as long as the transport, which outlives every handler that can still run; one retired
// from the pool is freed by its last pending handler (see enter()).
struct flight final : io_waiter {
  enum class phase { connecting, writing, reading };

  transport::impl& t;
  session_core* owner = nullptr;  // the session::impl served; nullptr while pooled
  uint64_t epoch = 0;
  phase at = phase::connecting;

  request req;
  completion on_done;
  response resp;
  http::url cur;
  std::string host_header;  // of cur
  std::string cur_text;     // cur.to_string()
  // The target_cache entry generation cur, host_header and cur_text were copied from; 0 when
  // they were built otherwise (query parameters, a redirect).
  uint64_t target_generation = 0;
  std::string auth_value;
  std::optional<header_list> defaults_without_auth;
  connection* conn = nullptr;       // owned by the session's connection list
  uint32_t handlers = 0;            // timer and lookup handlers started and not yet run
  bool retired = false;             // left the pool: freed when handlers reaches 0
  bool retried = false;
  std::chrono::milliseconds timeout{0};
  int64_t request_deadline_ns = 0;
  int64_t deadline_ns = 0;  // request or connect deadline, whichever applies now
  bool deadline_is_connect = false;
  std::string wbuf;
  size_t wpos = 0;  // bytes of wbuf written
  // What wbuf holds when it is a plain request (no body, cookies, auth or headers of its own):
  // the next such request with the same key is not serialized again.
  bool wbuf_plain = false;
  std::string wbuf_method, wbuf_target, wbuf_host;
  uint64_t wbuf_generation = 0;    // target_generation when wbuf was written (plain)
  header_list wbuf_defaults;
  std::string cookie_buf;
  http::response_parser parser;

  // One timer, re-armed only when the deadline moves earlier: most requests never touch it.
  flight_timer timer;
  bool timer_armed = false;
  uint64_t timer_gen = 0;
  int64_t timer_at_ns = 0;

  explicit flight(transport::impl& tr);

  uint64_t wait_token() const override { return epoch; }
  void on_io_ready() override {
    if (owner != nullptr) owner->resume();
  }
};

// Every handler of a flight calls this first: false when the flight was retired (it is freed
// here when this was its last pending handler).
bool enter(flight* fl);

}  // namespace endure::client
