// client::session: the request lifecycle on a pooled flight: target, name lookup, connection
// (client/connection.hpp), pre-serialized request bytes, http::response_parser, redirects
// (http/redirect.hpp), one lazily re-armed deadline timer, and the completion.
#include "client/session.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/post.hpp>
#pragma GCC diagnostic pop

#include <algorithm>

#include "base/clock.hpp"
#include "client/error.hpp"
#include "client/flight.hpp"
#include "client/transport_impl.hpp"
#include "http/cookie_jar.hpp"
#include "http/redirect.hpp"
#include "http/request_writer.hpp"
#include "http/response_parser.hpp"

namespace endure::client {

struct session::impl final : session_core {
  transport::impl& t;
  std::string base_url;
  http::cookie_jar jar;
  header_list default_headers;
  // One connection per (scheme, host, port, verify) the user has talked to; a reconnect reuses
  // its object, so a connection lives as long as the session.
  std::vector<std::unique_ptr<connection>> conns;
  flight* f = nullptr;          // the request in flight, if any
  bool in_execute = false;      // completions found during execute() are posted, never inline
  std::shared_ptr<bool> alive;  // created on the first posted completion, which checks it

  impl(transport::impl& tr, std::string b) : t(tr), base_url(std::move(b)) {}

  // A flight's response is refilled, not rebuilt: its strings and header list keep their
  // capacity as they circulate between the parser, the flight and a consumer that swaps them
  // out (the C++ users do). Headers are written only by a complete response; everything else
  // starts empty.
  static void clear_response(response& r) {
    r.status = 0;
    r.reason.clear();
    r.body.clear();
    r.content_bytes = 0;
    r.url.clear();
    r.error.clear();
    r.start_ns = r.first_byte_ns = r.last_byte_ns = r.done_ns = 0;
    r.redirects = 0;
  }

  // --- timer ---------------------------------------------------------------------------------
  static void arm_timer(flight* fl, int64_t at_ns) {
    if (fl->timer_armed && fl->timer_at_ns <= at_ns) return;
    ++fl->timer_gen;
    fl->timer_armed = true;
    fl->timer_at_ns = at_ns;
    fl->timer.expires_at(flight_timer::time_point(std::chrono::nanoseconds(at_ns)));
    ++fl->handlers;
    fl->timer.async_wait([fl, gen = fl->timer_gen](const boost::system::error_code&) {
      if (enter(fl)) on_timer(fl, gen);
    });
  }

  static void on_timer(flight* fl, uint64_t gen) {
    if (gen != fl->timer_gen) return;
    fl->timer_armed = false;
    if (fl->owner == nullptr) return;
    int64_t now = base::mono_now_ns();
    if (now < fl->deadline_ns) {
      arm_timer(fl, fl->deadline_ns);
      return;
    }
    impl& s = *static_cast<impl*>(fl->owner);
    if (fl->deadline_is_connect)
      s.fail(error_kind::connect_timeout,
             format_seconds(std::min(s.t.options.connect_timeout, fl->timeout)));
    else
      s.fail(error_kind::timeout, format_seconds(fl->timeout));
  }

  // --- request lifecycle ---------------------------------------------------------------------
  void execute(request&& r, completion&& cb) {
    if (f != nullptr) {
      response e;
      e.start_ns = e.done_ns = base::mono_now_ns();
      e.error = error_string(error_kind::session_busy);
      post_completion(std::move(cb), std::move(e));
      return;
    }
    f = t.acquire();
    f->owner = this;
    f->req = std::move(r);
    f->on_done = std::move(cb);
    clear_response(f->resp);
    f->resp.start_ns = base::mono_now_ns();
    // Starts at once (no extra trip through the io_context); a completion reached before
    // execute() returns is posted, so on_done is never called inline.
    in_execute = true;
    start();
    in_execute = false;
  }

  void start() {
    flight& fl = *f;
    // Target URL (resolved once per distinct (base, reference) per shard).
    const auto& target = t.targets.resolve(base_url, fl.req.url);
    if (!target.error.empty()) return fail(error_kind::invalid_url, target.error);
    if (fl.req.params.empty()) {
      // A pooled flight usually served the same URL last time: its copy is still right while
      // the cache entry it came from was not refilled.
      if (fl.target_generation != target.generation) {
        fl.cur = target.u;
        fl.host_header = target.host_header;
        fl.cur_text = target.text;
        fl.target_generation = target.generation;
      }
    } else {
      fl.target_generation = 0;
      fl.cur = target.u;
      http::append_query(fl.cur.target, fl.req.params);
      fl.host_header = fl.cur.host_header();
      fl.cur_text = fl.cur.to_string();
    }
    if (fl.req.basic_auth) {
      fl.auth_value = http::basic_auth_value(fl.req.basic_auth->first, fl.req.basic_auth->second);
    } else if (!fl.cur.userinfo.empty()) {
      auto colon = fl.cur.userinfo.find(':');
      fl.auth_value = http::basic_auth_value(
          http::url_decode(std::string_view(fl.cur.userinfo).substr(0, colon)),
          colon == std::string::npos ? std::string()
                                     : http::url_decode(fl.cur.userinfo.substr(colon + 1)));
    } else {
      fl.auth_value.clear();
    }
    fl.defaults_without_auth.reset();
    fl.retried = false;
    fl.timeout = fl.req.timeout ? *fl.req.timeout : t.options.request_timeout;
    fl.request_deadline_ns = fl.resp.start_ns + std::chrono::nanoseconds(fl.timeout).count();
    fl.deadline_ns = fl.request_deadline_ns;
    fl.deadline_is_connect = false;
    arm_timer(f, fl.deadline_ns);
    hop();
  }

  bool verify_for_request() const { return f->req.verify ? *f->req.verify : !t.options.insecure; }

  void reset_parser() {
    http::parser_options po;
    po.head_request = f->req.method == "HEAD";
    po.max_body_bytes = t.options.max_body_bytes;
    f->parser.reset(po);
  }

  connection* find_connection(bool https, bool verify) const {
    for (const auto& c : conns)
      if (c->matches(https, verify, f->cur.host, f->cur.port)) return c.get();
    return nullptr;
  }

  // One request of the chain (the first, or after a redirect): on the connection to its origin
  // when that is still fit for it (no FIN seen while it was idle), else on a new one.
  void hop() {
    reset_parser();
    connection* c = find_connection(f->cur.is_https(), verify_for_request());
    if (c != nullptr && c->is_reusable()) {
      f->conn = c;
      return send();
    }
    connect();
  }

  void connect() {
    flight* fl = f;
    bool https = fl->cur.is_https();
    bool verify = verify_for_request();
    connection* c = find_connection(https, verify);
    if (c == nullptr) {
      conns.push_back(
          std::make_unique<connection>(t.poll, t.tls, https, verify, fl->cur.host, fl->cur.port));
      c = conns.back().get();
    }
    c->close();
    fl->conn = c;
    ++fl->epoch;  // waits and handlers of the connection's previous use are stale from now on

    // The connect deadline covers the name lookup, the TCP connect and the TLS handshake.
    fl->at = flight::phase::connecting;
    int64_t connect_deadline =
        base::mono_now_ns() + std::chrono::nanoseconds(t.options.connect_timeout).count();
    if (connect_deadline < fl->request_deadline_ns) {
      fl->deadline_ns = connect_deadline;
      fl->deadline_is_connect = true;
    } else {
      fl->deadline_ns = fl->request_deadline_ns;
      fl->deadline_is_connect = t.options.connect_timeout <= fl->timeout;
    }
    arm_timer(fl, fl->deadline_ns);

    auto answer = t.dns.resolve(fl->cur.host, [fl, e = fl->epoch](const address_list* a) {
      if (!enter(fl) || fl->epoch != e || fl->owner == nullptr) return;
      static_cast<impl*>(fl->owner)->on_resolved(a);
    });
    if (answer.what == resolver::state::pending) {
      ++fl->handlers;
      return;
    }
    on_resolved(answer.addresses);
  }

  void on_resolved(const address_list* addresses) {
    if (addresses == nullptr) return fail(error_kind::dns, f->cur.host);
    on_connect_step(f->conn->connect(*addresses));
  }

  void on_connect_step(connection::step s) {
    flight& fl = *f;
    switch (s) {
      case connection::step::wait:
        return fl.conn->wait(&fl, fl.epoch);
      case connection::step::failed:
        return fail(fl.conn->failure_kind(), fl.conn->failure_detail());
      case connection::step::done:
        fl.deadline_ns = fl.request_deadline_ns;
        fl.deadline_is_connect = false;
        return send();
    }
  }

  // The flight's connection is ready for the step it waits for.
  void resume() override {
    switch (f->at) {
      case flight::phase::connecting:
        return on_connect_step(f->conn->continue_connect());
      case flight::phase::writing:
        return write_request();
      case flight::phase::reading:
        return read_response();
    }
  }

  void send() {
    flight& fl = *f;
    const header_list* layers[2] = {&default_headers, &fl.req.headers};
    if (fl.defaults_without_auth) layers[0] = &*fl.defaults_without_auth;
    fl.cookie_buf.clear();
    if (!jar.empty()) jar.cookie_header(fl.cur, base::wall_now_s(), fl.cookie_buf);
    for (const auto& [name, value] : fl.req.cookies) {
      if (!fl.cookie_buf.empty()) fl.cookie_buf += "; ";
      fl.cookie_buf += name;
      fl.cookie_buf += '=';
      fl.cookie_buf += value;
    }
    const bool plain = fl.req.headers.empty() && fl.cookie_buf.empty() && fl.auth_value.empty() &&
                       fl.req.body.empty() && !fl.defaults_without_auth;
    // The same target and Host as the bytes in wbuf: known from the cache entry's generation
    // when the URL came straight from it, else compared.
    auto same_target = [&fl] {
      return fl.target_generation != 0
                 ? fl.wbuf_generation == fl.target_generation
                 : fl.wbuf_target == fl.cur.target && fl.wbuf_host == fl.host_header;
    };
    if (!(plain && fl.wbuf_plain && fl.wbuf_method == fl.req.method && same_target() &&
          fl.wbuf_defaults == default_headers)) {
      http::request_head head;
      head.method = fl.req.method;
      head.target = fl.cur.target;
      head.host = fl.host_header;
      head.layers = layers;
      head.cookie = fl.cookie_buf;
      head.authorization = fl.auth_value;
      head.body = fl.req.body;
      fl.wbuf.clear();
      http::write_request(fl.wbuf, head);
      fl.wbuf_plain = plain;
      if (plain) {
        fl.wbuf_method = fl.req.method;
        fl.wbuf_target = fl.cur.target;
        fl.wbuf_host = fl.host_header;
        fl.wbuf_generation = fl.target_generation;
        fl.wbuf_defaults = default_headers;
      }
    }
    fl.at = flight::phase::writing;
    fl.wpos = 0;
    write_request();
  }

  // Writes the rest of the request; a request almost always fits the socket buffer, so this is
  // one send() (or one TLS record). Otherwise the connection's next writable edge resumes it.
  void write_request() {
    flight& fl = *f;
    connection& c = *fl.conn;
    while (fl.wpos < fl.wbuf.size()) {
      size_t n = 0;
      switch (c.write(fl.wbuf.data() + fl.wpos, fl.wbuf.size() - fl.wpos, n)) {
        case connection::step::done:
          fl.wpos += n;
          break;
        case connection::step::wait:
          return c.wait(&fl, fl.epoch);
        case connection::step::failed:
          return on_io_failure(c.failure_kind(), c.failure_detail());
      }
    }
    fl.at = flight::phase::reading;
    read_response();
  }

  // Receives into the transport's shared buffer until the response is complete or the
  // connection has nothing more for now (then its next readable edge resumes this).
  void read_response() {
    flight* fl = f;
    const uint64_t e = fl->epoch;
    char* buf = t.read_buffer.get();
    while (true) {
      connection& c = *fl->conn;
      size_t n = 0;
      switch (c.read(buf, transport::impl::read_buffer_bytes, n)) {
        case connection::step::wait:
          return c.wait(fl, e);
        case connection::step::failed:
          return on_io_failure(c.failure_kind(), c.failure_detail());
        case connection::step::done:
          break;
      }
      if (n == 0) return on_eof();
      // on_bytes may complete the request: the user's completion may then run the next request
      // (on another flight, or this one again) or destroy the session.
      if (!on_bytes(buf, n)) return;
      if (fl->epoch != e) return;
    }
  }

  // Feeds received bytes; returns true when more bytes are needed.
  bool on_bytes(const char* data, size_t n) {
    flight& fl = *f;
    // One clock read per receive: the first one dates the first byte, the last one the end of
    // the response (complete() reads the clock only when no byte ended it).
    fl.resp.last_byte_ns = base::mono_now_ns();
    if (fl.resp.first_byte_ns == 0) fl.resp.first_byte_ns = fl.resp.last_byte_ns;
    size_t used = fl.parser.feed(std::string_view(data, n));
    if (fl.parser.failed()) {
      fail(error_kind::protocol, fl.parser.error());
      return false;
    }
    if (fl.parser.done()) {
      if (used < n) fl.conn->retire();  // unexpected extra bytes: do not reuse
      on_response();
      return false;
    }
    return true;
  }

  // The peer closed the connection (FIN, with or without a TLS close_notify).
  void on_eof() {
    flight& fl = *f;
    bool any = fl.parser.received_any();
    fl.parser.on_eof();
    if (fl.parser.done()) {  // a close-delimited body
      fl.conn->retire();
      return on_response();
    }
    if (fl.parser.failed() && fl.parser.error() != http::response_parser::err_premature_eof)
      return fail(error_kind::protocol, fl.parser.error());
    if (!any) return on_io_failure(error_kind::disconnected, {});
    fail(error_kind::disconnected);
  }

  // A write or read failed (or the connection closed before the response began). A reused
  // keep-alive connection that the server closed while idle fails before any byte of the
  // response arrives: reconnect once and resend, silently.
  void on_io_failure(error_kind kind, std::string_view detail) {
    flight& fl = *f;
    if (!fl.parser.received_any() && fl.conn->served() > 0 && !fl.retried) {
      fl.retried = true;
      reset_parser();
      connect();
      return;
    }
    fail(kind, detail);
  }

  void on_response() {
    flight& fl = *f;
    fl.conn->count_response();
    fl.retried = false;
    http::response_parser& parser = fl.parser;
    if (!parser.keep_alive()) fl.conn->close();
    if (parser.has_set_cookie())
      jar.update_from_response(parser.headers(), fl.cur, base::wall_now_s());
    int status = parser.status();
    if (fl.req.allow_redirects && http::is_redirect_status(status) &&
        parser.location_index() != std::string::npos) {
      const std::string location(parser.headers().value(parser.location_index()));
      return follow_redirect(status, &location);
    }
    fl.resp.status = status;
    fl.resp.reason = parser.reason();
    // Swapped, not moved: the parser refills the head and body it gets back (see clear_response).
    fl.resp.headers.swap(parser.headers());
    fl.resp.body.swap(parser.body());
    fl.resp.content_bytes = parser.body_bytes();
    fl.resp.url = fl.cur_text;
    complete(fl.resp.last_byte_ns);
  }

  void follow_redirect(int status, const std::string* location) {
    flight& fl = *f;
    request& req = fl.req;
    auto step = http::next_redirect(req.method, fl.cur, status, location, fl.resp.redirects,
                                    t.options.max_redirects);
    using outcome = http::redirect_step::outcome;
    if (step.what == outcome::too_many)
      return fail(error_kind::too_many_redirects, std::to_string(t.options.max_redirects), false);
    if (step.what == outcome::invalid_location)
      return fail(error_kind::invalid_url, step.error, false);
    if (step.method != req.method) req.method.assign(step.method);
    if (step.drop_body) {
      req.body.clear();
      http::erase_field(req.headers, "Content-Length");
      http::erase_field(req.headers, "Content-Type");
      http::erase_field(req.headers, "Transfer-Encoding");
    }
    if (step.drop_credentials) {
      fl.auth_value.clear();
      req.basic_auth.reset();
      http::erase_field(req.headers, "Authorization");
      if (http::has_field(default_headers, "Authorization")) {
        fl.defaults_without_auth = default_headers;
        http::erase_field(*fl.defaults_without_auth, "Authorization");
      }
    }
    fl.cur = std::move(step.next);
    fl.target_generation = 0;
    fl.host_header = fl.cur.host_header();
    fl.cur_text = fl.cur.to_string();
    ++fl.resp.redirects;
    hop();
  }

  // close_connection=false when the last response was complete (the connection stays usable).
  void fail(error_kind kind, std::string_view detail = {}, bool close_connection = true) {
    flight& fl = *f;
    if (fl.conn != nullptr && close_connection) fl.conn->close();
    fl.resp.status = 0;
    fl.resp.reason.clear();
    fl.resp.headers.clear();
    fl.resp.body.clear();
    fl.resp.error = error_string(kind, detail);
    if (fl.resp.url.empty() && !fl.cur.host.empty()) fl.resp.url = fl.cur_text;
    complete(0);
  }

  // Finishes the request (done_ns: when its last byte arrived, 0 to read the clock now). The
  // session is free before the user's completion runs, so it may start the next request (on
  // another flight) or destroy the session; the flight returns to the pool after it.
  void complete(int64_t done_ns) {
    flight* fl = f;
    fl->resp.done_ns = done_ns != 0 ? done_ns : base::mono_now_ns();
    completion cb = std::move(fl->on_done);
    f = nullptr;
    if (in_execute) {
      post_completion(std::move(cb), std::move(fl->resp));
    } else if (cb) {
      cb(std::move(fl->resp));
    }
    t.release(fl);
  }

  void post_completion(completion cb, response r) {
    if (!alive) alive = std::make_shared<bool>(true);
    boost::asio::post(t.io, [a = alive, cb = std::move(cb), r = std::move(r)]() mutable {
      if (*a && cb) cb(std::move(r));
    });
  }

  void cancel() {
    if (f == nullptr) return;
    flight* fl = f;
    if (fl->conn != nullptr) fl->conn->close();
    fl->resp.status = 0;
    fl->resp.reason.clear();
    fl->resp.headers.clear();
    fl->resp.body.clear();
    fl->resp.error = error_string(error_kind::cancelled);
    fl->resp.done_ns = base::mono_now_ns();
    completion cb = std::move(fl->on_done);
    response r = std::move(fl->resp);
    f = nullptr;
    t.release(fl);
    post_completion(std::move(cb), std::move(r));
  }

  void shutdown() {
    if (alive) *alive = false;
    if (f != nullptr) {
      t.release(f);
      f = nullptr;
    }
    conns.clear();  // closes them: no readiness of theirs is delivered any more
  }
};

session::session(transport& t, std::string base_url)
    : impl_(std::make_unique<impl>(t.get_impl(), std::move(base_url))) {}

session::~session() {
  if (impl_) impl_->shutdown();
}

void session::execute(request&& req, completion&& on_done) {
  impl_->execute(std::move(req), std::move(on_done));
}

void session::cancel() { impl_->cancel(); }
http::cookie_jar& session::cookies() { return impl_->jar; }
header_list& session::default_headers() { return impl_->default_headers; }
const std::string& session::base_url() const { return impl_->base_url; }

std::optional<std::string_view> response::header(std::string_view name) const {
  const size_t i = headers.index_of(name);
  if (i == std::string_view::npos) return std::nullopt;
  return headers.value(i);
}

}  // namespace endure::client
