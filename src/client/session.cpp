// client::session and client::transport: the hand-rolled HTTP/1.1 request path on Asio
// (pre-serialized request bytes, http::response_parser, one lazily re-armed deadline timer).
#include "client/session.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

// Asio's scheduler trips GCC 12's flow-based -Wnull-dereference once inlined into this file.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#pragma GCC diagnostic pop
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <unordered_map>

#include "base/clock.hpp"
#include "client/poller.hpp"
#include "http/cookie_jar.hpp"
#include "http/request_writer.hpp"
#include "http/response_parser.hpp"
#include "http/url.hpp"

namespace endure::client {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
// Sockets and timers bound to the io_context's own executor type: Asio's default
// any_io_executor costs a type-erased call per operation for work tracking, and 40 bytes.
using executor = asio::io_context::executor_type;
using socket_t = asio::basic_stream_socket<tcp, executor>;
using timer_t = asio::basic_waitable_timer<std::chrono::steady_clock,
                                           asio::wait_traits<std::chrono::steady_clock>, executor>;

namespace {

constexpr size_t shared_read_buffer_bytes = 64 << 10;
constexpr size_t tls_read_buffer_bytes = 16 << 10;

// "60" or "0.5": seconds as a user wrote them.
std::string format_seconds(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", static_cast<double>(d.count()) / 1000.0);
  return buf;
}

bool is_ip_literal(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

std::string ssl_error_string(const error_code& ec, SSL* ssl, bool verify) {
  if (verify && ssl != nullptr) {
    long v = SSL_get_verify_result(ssl);
    if (v != X509_V_OK)
      return std::string("SSLError: certificate verify failed: ") +
             X509_verify_cert_error_string(v);
  }
  if (ec.category() == asio::error::get_ssl_category()) {
    const char* reason = ERR_reason_error_string(static_cast<unsigned long>(ec.value()));
    if (reason != nullptr) return std::string("SSLError: ") + reason;
  }
  if (ec == ssl::error::stream_truncated) return "SSLError: unexpected EOF during handshake";
  if (ec == asio::error::eof) return "SSLError: connection closed during handshake";
  if (ec == asio::error::connection_reset) return "SSLError: connection reset during handshake";
  return "SSLError: " + ec.message();
}

const char* const err_refused = "ConnectionRefusedError: connection refused";
const char* const err_reset = "ConnectionResetError: connection reset by peer";
const char* const err_disconnected =
    "RemoteDisconnected: connection closed before the response was complete";

std::string io_error_string(const error_code& ec) {
  if (ec == asio::error::connection_refused) return err_refused;
  if (ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
      ec == asio::error::connection_aborted)
    return err_reset;
  if (ec == asio::error::eof || ec == ssl::error::stream_truncated) return err_disconnected;
  if (ec.category() == asio::error::get_ssl_category()) return "SSLError: " + ec.message();
  return "ConnectionError: " + ec.message();
}

bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// transport

namespace {
struct flight;
// What a flight (and its connection's readiness events) know of the session it serves
// (session::impl is private to session).
struct session_core {
  virtual void write_plain() = 0;  // the connection became writable: finish the request
  virtual void read_plain() = 0;   // the connection became readable: receive the response

 protected:
  ~session_core() = default;
};
}  // namespace

struct transport::impl {
  asio::io_context& io;
  client_options options;
  poller poll{io};  // readiness of the shard's plain-TCP connections
  // TLS contexts are made by the first https connection: loading the system's CA store costs
  // tens of milliseconds of CPU, which a plain-HTTP run never needs.
  std::optional<ssl::context> verify_ctx;
  std::optional<ssl::context> noverify_ctx;
  std::unordered_map<std::string, std::vector<asio::ip::address>> dns;
  std::unique_ptr<char[]> read_buffer{new char[shared_read_buffer_bytes]};
  // The state of requests in flight (request, response, parser, write buffer, deadline timer),
  // pooled: an idle session holds none, and a busy one reuses warm buffers. At most
  // max_free_flights are kept idle; beyond that a returned flight is freed once its last
  // pending handler has run (a burst of requests in flight leaves no memory behind).
  static constexpr size_t max_free_flights = 64;
  std::vector<std::unique_ptr<flight>> flights;
  std::vector<flight*> free_flights;

  // Resolved request targets, shared by the shard's sessions: (base URL, reference) -> URL, Host
  // header and URL text. resolve_url is pure, so an entry is valid for as long as it is kept.
  // Direct-mapped and bounded: unique URLs cost a re-parse, never memory.
  struct target_entry {
    std::string base_url, ref;  // key (base_url is empty for absolute references)
    bool used = false;
    http::url u;
    std::string host_header, text;
    std::string error;  // "InvalidURL: ..." when the reference does not resolve
  };
  static constexpr size_t target_cache_slots = 64;
  std::unique_ptr<target_entry[]> targets{new target_entry[target_cache_slots]};

  const target_entry& resolve_target(const std::string& base_url, const std::string& ref) {
    bool absolute = ref.find("://") != std::string::npos;
    std::string_view key_base = absolute ? std::string_view() : std::string_view(base_url);
    // A cheap slot hash (FNV-1a over the reference, the base's length and its last bytes, which
    // carry the port): a collision only costs a re-parse, the key is compared in full.
    uint64_t h = 1469598103934665603ull;
    auto mix = [&h](unsigned char c) { h = (h ^ c) * 1099511628211ull; };
    for (char c : ref) mix(static_cast<unsigned char>(c));
    mix(static_cast<unsigned char>(key_base.size()));
    for (size_t i = key_base.size() > 6 ? key_base.size() - 6 : 0; i < key_base.size(); ++i)
      mix(static_cast<unsigned char>(key_base[i]));
    target_entry& e = targets[(h ^ (h >> 29)) % target_cache_slots];
    if (e.used && e.ref == ref && e.base_url == key_base) return e;
    e.used = true;
    e.base_url.assign(key_base);
    e.ref = ref;
    e.error.clear();
    base::result<http::url> r = base::make_error(std::string());
    if (absolute) {
      r = http::parse_url(ref);
    } else if (base_url.empty()) {
      e.error = "InvalidURL: invalid URL '" + ref +
                "': a relative URL needs a base URL (--host), expected http:// or https://";
      return e;
    } else {
      auto b = http::parse_url(base_url);
      if (!b) {
        e.error = "InvalidURL: " + b.err().message;
        return e;
      }
      r = http::resolve_url(*b, ref);
    }
    if (!r) {
      e.error = "InvalidURL: " + r.err().message;
      return e;
    }
    e.u = std::move(*r);
    e.host_header = e.u.host_header();
    e.text = e.u.to_string();
    return e;
  }

  impl(asio::io_context& i, client_options o) : io(i), options(o) {}

  ssl::context& tls_context(bool verify) {
    if (verify) {
      if (!verify_ctx) {
        verify_ctx.emplace(ssl::context::tls_client);
        error_code ec;
        verify_ctx->set_default_verify_paths(ec);
        verify_ctx->set_verify_mode(ssl::verify_peer);
      }
      return *verify_ctx;
    }
    if (!noverify_ctx) {
      noverify_ctx.emplace(ssl::context::tls_client);
      noverify_ctx->set_verify_mode(ssl::verify_none);
    }
    return *noverify_ctx;
  }
  ~impl();

  flight* acquire();
  void release(flight* f);
  void destroy(flight* f);

  // Addresses of host, from the cache or a (synchronous, first time only) getaddrinfo.
  const std::vector<asio::ip::address>* resolve(const std::string& host) {
    if (auto it = dns.find(host); it != dns.end()) return &it->second;
    std::vector<asio::ip::address> addrs;
    error_code ec;
    auto literal = asio::ip::make_address(host, ec);
    if (!ec) {
      addrs.push_back(literal);
    } else if (host == "localhost") {
      // Prefer IPv4: most test servers listen on 127.0.0.1 only.
      addrs.push_back(asio::ip::make_address_v4("127.0.0.1"));
      addrs.push_back(asio::ip::make_address_v6("::1"));
    } else {
      tcp::resolver resolver(io);
      auto results = resolver.resolve(host, "", ec);
      if (ec) return nullptr;
      for (const auto& r : results) {
        auto a = r.endpoint().address();
        // IPv4 first, like most clients on dual-stack hosts without IPv6 routes.
        if (a.is_v4())
          addrs.insert(addrs.begin(), a);
        else
          addrs.push_back(a);
      }
      if (addrs.empty()) return nullptr;
    }
    return &dns.emplace(host, std::move(addrs)).first->second;
  }
};

transport::transport(asio::io_context& io, client_options options)
    : impl_(std::make_unique<impl>(io, options)) {}
transport::~transport() = default;
const client_options& transport::options() const { return impl_->options; }
asio::io_context& transport::io() { return impl_->io; }

// ---------------------------------------------------------------------------------------------
// connection: one TCP (or TLS) connection to (scheme, host, port). Held by shared_ptr so that a
// replaced or closed connection lives until its last pending connect/handshake/TLS handler has
// run (those composed operations use the stream after it completes). TLS state is allocated
// for https connections only.

namespace {

struct connection final : poll_target {
  transport::impl& t;
  bool https = false;
  bool verify = true;
  bool open = false;      // connected (and handshaken) and reusable
  uint16_t port = 0;
  std::string host;
  std::optional<socket_t> plain;  // plain TCP while connecting; then released to fd
  std::unique_ptr<ssl::stream<socket_t>> tls;
  std::unique_ptr<char[]> tls_buffer;
  uint64_t served = 0;    // responses completed on this connection

  // Plain TCP once connected: a non-blocking fd registered with the transport's poller
  // (edge-triggered). `readable`: an edge arrived that no read has consumed yet (so the next
  // read tries recv at once instead of waiting for an edge that already came). Writes need no
  // such flag: send() is always tried first, and only a send that would block waits, for an
  // edge that can only come after it.
  int fd = -1;
  uint64_t poll_handle = 0;
  bool readable = true;
  bool peer_closed = false;  // FIN, RST or error seen: the socket stays readable (EOF/error)
  flight* reader = nullptr;  // the flight waiting to read, and its epoch
  uint64_t reader_epoch = 0;
  flight* writer = nullptr;  // the flight waiting to finish writing its request
  uint64_t writer_epoch = 0;

  connection(transport::impl& tr, bool is_https, bool verify_peer, const std::string& h,
             uint16_t p)
      : t(tr), https(is_https), verify(verify_peer), port(p), host(h) {
    if (https) {
      tls = std::make_unique<ssl::stream<socket_t>>(t.io.get_executor(), t.tls_context(verify));
      tls_buffer.reset(new char[tls_read_buffer_bytes]);
    } else {
      plain.emplace(t.io.get_executor());
    }
  }
  ~connection() { close(); }
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  socket_t& socket() { return tls ? tls->next_layer() : *plain; }

  // Plain TCP, connected: takes the socket out of Asio's reactor into the poller.
  error_code adopt_socket() {
    error_code ec;
    int raw = plain->release(ec);
    if (ec) return ec;
    plain.reset();
    fd = raw;
    poll_handle = t.poll.add(fd, this);
    if (poll_handle == 0) return error_code(errno, boost::system::system_category());
    return {};
  }

  void close() {
    open = false;
    reader = writer = nullptr;
    if (fd >= 0) {
      t.poll.remove(poll_handle, fd);
      poll_handle = 0;
      ::close(fd);
      fd = -1;
      return;
    }
    error_code ec;
    if (tls || plain) socket().close(ec);
  }
  bool matches(bool is_https, bool verify_peer, const std::string& h, uint16_t p) const {
    return https == is_https && (!https || verify == verify_peer) && port == p && host == h;
  }

  void on_ready(uint32_t events) override;  // defined after session::impl
};

// One request in flight. Owned by the transport's pool; lent to a session for one request.
// Asio handlers capture (flight*, epoch): the epoch changes whenever the flight is returned to
// the pool or its connection is replaced, so a late handler sees a mismatch and does nothing.
// Flights live as long as the transport, which outlives every handler that can still run.
struct flight {
  transport::impl& t;
  session_core* owner = nullptr;  // the session::impl served; nullptr while pooled
  uint64_t epoch = 0;

  request req;
  completion on_done;
  response resp;
  http::url cur;
  std::string host_header;  // of cur
  std::string cur_text;     // cur.to_string()
  std::string auth_value;
  std::optional<header_list> defaults_without_auth;
  connection* conn = nullptr;       // owned by the session's connection list
  uint32_t handlers = 0;            // Asio handlers started and not yet run
  bool retired = false;             // left the pool: freed when handlers reaches 0
  bool retried = false;
  bool connecting = false;
  std::chrono::milliseconds timeout{0};
  int64_t request_deadline_ns = 0;
  int64_t deadline_ns = 0;  // request or connect deadline, whichever applies now
  bool deadline_is_connect = false;
  std::string wbuf;
  size_t wpos = 0;  // bytes of wbuf written (plain TCP)
  // What wbuf holds when it is a plain request (no body, cookies, auth or headers of its own):
  // the next such request with the same key is not serialized again.
  bool wbuf_plain = false;
  std::string wbuf_method, wbuf_target, wbuf_host;
  header_list wbuf_defaults;
  std::string cookie_buf;
  http::response_parser parser;

  // One timer, re-armed only when the deadline moves earlier: most requests never touch it.
  timer_t timer;
  bool timer_armed = false;
  uint64_t timer_gen = 0;
  int64_t timer_at_ns = 0;

  explicit flight(transport::impl& tr) : t(tr), timer(tr.io.get_executor()) {}
};

}  // namespace

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

transport::impl::~impl() = default;

namespace {

// Every handler of a flight calls this first: false when the flight was retired (it is freed
// here when this was its last pending handler).
bool enter(flight* fl) {
  --fl->handlers;
  if (!fl->retired) return true;
  if (fl->handlers == 0) fl->t.destroy(fl);
  return false;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// session

struct session::impl final : session_core {
  transport::impl& t;
  std::string base_url;
  http::cookie_jar jar;
  header_list default_headers;
  std::vector<std::shared_ptr<connection>> conns;
  flight* f = nullptr;         // the request in flight, if any
  bool in_execute = false;     // completions found during execute() are posted, never inline
  std::shared_ptr<bool> alive; // created on the first posted completion, which checks it

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
    fl->timer.expires_at(timer_t::time_point(std::chrono::nanoseconds(at_ns)));
    ++fl->handlers;
    fl->timer.async_wait([fl, gen = fl->timer_gen](const error_code&) {
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
      s.fail("ConnectTimeoutError: connect timed out after " +
             format_seconds(std::min(s.t.options.connect_timeout, fl->timeout)) + "s");
    else
      s.fail("TimeoutError: request timed out after " + format_seconds(fl->timeout) + "s");
  }

  // --- request lifecycle ---------------------------------------------------------------------
  void execute(request&& r, completion&& cb) {
    if (f != nullptr) {
      response e;
      e.start_ns = e.done_ns = base::mono_now_ns();
      e.error = "SessionBusy: a request is already in flight on this session";
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
    const auto& target = t.resolve_target(base_url, fl.req.url);
    if (!target.error.empty()) return fail(target.error);
    if (fl.req.params.empty()) {
      // A pooled flight usually served the same URL last time: its copy is still right when
      // the text (scheme, host, port, target) and the userinfo are equal.
      if (fl.cur_text != target.text || fl.cur.userinfo != target.u.userinfo) {
        fl.cur = target.u;
        fl.host_header = target.host_header;
        fl.cur_text = target.text;
      }
    } else {
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
    fl.connecting = false;
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

  void hop() {
    reset_parser();
    bool https = f->cur.is_https();
    bool verify = verify_for_request();
    f->conn = nullptr;
    for (auto& c : conns)
      if (c->matches(https, verify, f->cur.host, f->cur.port)) {
        if (c->open && !c->peer_closed) f->conn = c.get();  // a FIN while idle: reconnect
        break;
      }
    if (f->conn != nullptr)
      send();
    else
      connect();
  }

  void connect() {
    flight* fl = f;
    bool https = fl->cur.is_https();
    bool verify = verify_for_request();
    auto fresh = std::make_shared<connection>(t, https, verify, fl->cur.host, fl->cur.port);
    bool replaced = false;
    for (auto& c : conns)
      if (c->matches(https, verify, fl->cur.host, fl->cur.port)) {
        c->close();
        c = fresh;
        replaced = true;
        break;
      }
    if (!replaced) conns.push_back(fresh);
    fl->conn = fresh.get();
    ++fl->epoch;  // handlers of the replaced connection are stale from now on

    const auto* addrs = t.resolve(fl->cur.host);
    if (addrs == nullptr) return fail("DNSError: cannot resolve host '" + fl->cur.host + "'");
    std::vector<tcp::endpoint> endpoints;
    endpoints.reserve(addrs->size());
    for (const auto& a : *addrs) endpoints.emplace_back(a, fl->cur.port);

    fl->connecting = true;
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
    ++fl->handlers;
    asio::async_connect(fresh->socket(), endpoints,
                        [fl, e = fl->epoch, keep = fresh](const error_code& ec,
                                                          const tcp::endpoint&) {
                          if (!enter(fl) || fl->epoch != e) return;
                          static_cast<impl*>(fl->owner)->on_connect(ec, keep);
                        });
  }

  void on_connect(const error_code& ec, const std::shared_ptr<connection>& keep) {
    if (ec) return fail(io_error_string(ec));
    connection& c = *f->conn;
    error_code ignored;
    c.socket().set_option(tcp::no_delay(true), ignored);
    if (!c.https) return connected();
    const std::string& host = f->cur.host;
    SSL* ssl = c.tls->native_handle();
    bool literal = is_ip_literal(host);
    if (!literal)  // SNI (the SSL_set_tlsext_host_name macro casts old-style)
      SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(host.c_str()));
    if (c.verify) {
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
      if (literal)
        X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
      else
        X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
    }
    flight* fl = f;
    ++fl->handlers;
    c.tls->async_handshake(ssl::stream_base::client,
                           [fl, e = fl->epoch, keep](const error_code& hec) {
                             if (!enter(fl) || fl->epoch != e) return;
                             if (hec)
                               return static_cast<impl*>(fl->owner)->fail(ssl_error_string(
                                   hec, keep->tls->native_handle(), keep->verify));
                             static_cast<impl*>(fl->owner)->connected();
                           });
  }

  void connected() {
    f->connecting = false;
    f->deadline_ns = f->request_deadline_ns;
    f->deadline_is_connect = false;
    connection& c = *f->conn;
    if (!c.https) {
      error_code ec;
      c.plain->non_blocking(true, ec);
      if (!ec) ec = c.adopt_socket();
      if (ec) return fail(io_error_string(ec));
    }
    c.open = true;
    send();
  }

  std::shared_ptr<connection> owning(connection* c) const {
    for (const auto& p : conns)
      if (p.get() == c) return p;
    return {};
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
    if (!(plain && fl.wbuf_plain && fl.wbuf_method == fl.req.method &&
          fl.wbuf_target == fl.cur.target && fl.wbuf_host == fl.host_header &&
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
        fl.wbuf_defaults = default_headers;
      }
    }
    connection& c = *fl.conn;
    if (c.fd >= 0) {
      fl.wpos = 0;
      return write_plain();
    }
    flight* p = &fl;
    ++fl.handlers;
    asio::async_write(*c.tls, asio::buffer(fl.wbuf),
                      [p, e = fl.epoch, keep = owning(&c)](const error_code& ec, size_t) {
                        if (!enter(p) || p->epoch != e) return;
                        if (ec) return static_cast<impl*>(p->owner)->on_io_error(ec);
                        static_cast<impl*>(p->owner)->read();
                      });
  }

  // Plain TCP: writes the rest of the request; a request almost always fits the socket buffer,
  // so this is one send(). Otherwise the connection's next EPOLLOUT edge resumes it.
  void write_plain() override {
    flight& fl = *f;
    connection& c = *fl.conn;
    while (fl.wpos < fl.wbuf.size()) {
      ssize_t n = ::send(c.fd, fl.wbuf.data() + fl.wpos, fl.wbuf.size() - fl.wpos, MSG_NOSIGNAL);
      if (n >= 0) {
        fl.wpos += static_cast<size_t>(n);
        continue;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        c.writer = &fl;
        c.writer_epoch = fl.epoch;
        return;
      }
      return on_io_error(error_code(errno, boost::system::system_category()));
    }
    read();
  }

  void read() {
    flight* fl = f;
    connection& c = *fl->conn;
    if (c.fd >= 0) {
      if (c.readable) return read_plain();
      c.reader = fl;
      c.reader_epoch = fl->epoch;
      return;
    }
    ++fl->handlers;
    c.tls->async_read_some(
        asio::buffer(c.tls_buffer.get(), tls_read_buffer_bytes),
        [fl, e = fl->epoch, keep = owning(&c)](const error_code& ec, size_t n) {
          if (!enter(fl) || fl->epoch != e) return;
          impl& s = *static_cast<impl*>(fl->owner);
          if (s.on_bytes(keep->tls_buffer.get(), n, ec)) s.read();
        });
  }

  // Plain TCP, readable: receives into the transport's shared buffer (an idle session holds no
  // read buffer of its own) until the response is complete or the socket would block. A recv
  // that returns less than the buffer drained the socket, so when it completes the response the
  // connection is marked not readable without the EAGAIN round trip: any later byte brings a new
  // edge. A FIN does not count as drained (peer_closed keeps the socket readable).
  void read_plain() override {
    flight* fl = f;
    uint64_t e = fl->epoch;
    char* buf = t.read_buffer.get();
    while (true) {
      connection& c = *fl->conn;
      ssize_t n = ::recv(c.fd, buf, shared_read_buffer_bytes, 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          c.readable = false;
          c.reader = fl;
          c.reader_epoch = e;
          return;
        }
        on_bytes(nullptr, 0, error_code(errno, boost::system::system_category()));
        return;
      }
      if (n == 0) {
        on_bytes(nullptr, 0, asio::error::eof);
        return;
      }
      // Before on_bytes: its completion may run the user's next request, or free c.
      if (static_cast<size_t>(n) < shared_read_buffer_bytes && !c.peer_closed) c.readable = false;
      if (!on_bytes(buf, static_cast<size_t>(n), {})) return;
      if (fl->epoch != e) return;
    }
  }

  // Feeds received bytes; returns true when more bytes are needed.
  bool on_bytes(const char* data, size_t n, const error_code& ec) {
    flight& fl = *f;
    if (n > 0) {
      // One clock read per receive: the first one dates the first byte, the last one the end
      // of the response (complete() reads the clock only when no byte ended it).
      fl.resp.last_byte_ns = base::mono_now_ns();
      if (fl.resp.first_byte_ns == 0) fl.resp.first_byte_ns = fl.resp.last_byte_ns;
      size_t used = fl.parser.feed(std::string_view(data, n));
      if (fl.parser.failed()) {
        fail("ProtocolError: " + std::string(fl.parser.error()));
        return false;
      }
      if (fl.parser.done()) {
        if (used < n) fl.conn->open = false;  // unexpected extra bytes: do not reuse
        on_response();
        return false;
      }
    }
    if (!ec) return true;
    if (ec == asio::error::eof || ec == ssl::error::stream_truncated) {
      bool any = fl.parser.received_any();
      fl.parser.on_eof();
      if (fl.parser.done()) {
        fl.conn->open = false;
        on_response();
        return false;
      }
      if (fl.parser.failed() && fl.parser.error() != http::response_parser::err_premature_eof) {
        fail("ProtocolError: " + std::string(fl.parser.error()));
        return false;
      }
      if (!any) {
        on_io_error(ec);
        return false;
      }
      fail(err_disconnected);
      return false;
    }
    on_io_error(ec);
    return false;
  }

  // A write or read failed. A reused keep-alive connection that the server closed while idle
  // fails before any byte of the response arrives: reconnect once and resend, silently.
  void on_io_error(const error_code& ec) {
    flight& fl = *f;
    if (!fl.parser.received_any() && fl.conn->served > 0 && !fl.retried) {
      fl.retried = true;
      fl.conn->close();
      reset_parser();
      connect();
      return;
    }
    fail(io_error_string(ec));
  }

  void on_response() {
    flight& fl = *f;
    ++fl.conn->served;
    fl.retried = false;
    http::response_parser& parser = fl.parser;
    if (!parser.keep_alive()) fl.conn->close();
    if (http::has_field(parser.headers(), "Set-Cookie"))
      jar.update_from_response(parser.headers(), fl.cur, base::wall_now_s());
    int status = parser.status();
    const std::string* location =
        fl.req.allow_redirects && is_redirect(status)
            ? http::find_field(parser.headers(), "Location")
            : nullptr;
    if (location != nullptr) return follow_redirect(status, *location);
    fl.resp.status = status;
    fl.resp.reason = parser.reason();
    // Swapped, not moved: the parser refills the list and body it gets back (see clear_response).
    fl.resp.headers.swap(parser.headers());
    fl.resp.body.swap(parser.body());
    fl.resp.content_bytes = parser.body_bytes();
    fl.resp.url = fl.cur_text;
    complete(fl.resp.last_byte_ns);
  }

  void follow_redirect(int status, const std::string& location) {
    flight& fl = *f;
    request& req = fl.req;
    if (fl.resp.redirects >= t.options.max_redirects)
      return fail("TooManyRedirects: exceeded " + std::to_string(t.options.max_redirects) +
                      " redirects",
                  false);
    auto next = http::resolve_url(fl.cur, location);
    if (!next) return fail("InvalidURL: " + next.err().message, false);
    // Method rewriting as python-requests does (rebuild_method).
    if (status == 303 && req.method != "HEAD") req.method = "GET";
    if (status == 302 && req.method != "HEAD") req.method = "GET";
    if (status == 301 && req.method == "POST") req.method = "GET";
    if (status != 307 && status != 308) {
      req.body.clear();
      http::erase_field(req.headers, "Content-Length");
      http::erase_field(req.headers, "Content-Type");
      http::erase_field(req.headers, "Transfer-Encoding");
    }
    // Credentials stay with their host (and are not sent over a downgrade to http).
    if (next->host != fl.cur.host || (fl.cur.is_https() && !next->is_https())) {
      fl.auth_value.clear();
      req.basic_auth.reset();
      http::erase_field(req.headers, "Authorization");
      if (http::has_field(default_headers, "Authorization")) {
        fl.defaults_without_auth = default_headers;
        http::erase_field(*fl.defaults_without_auth, "Authorization");
      }
    }
    fl.cur = std::move(*next);
    fl.host_header = fl.cur.host_header();
    fl.cur_text = fl.cur.to_string();
    ++fl.resp.redirects;
    hop();
  }

  // close_connection=false when the last response was complete (the connection stays usable).
  void fail(std::string message, bool close_connection = true) {
    flight& fl = *f;
    if (fl.conn != nullptr && close_connection) fl.conn->close();
    fl.resp.status = 0;
    fl.resp.reason.clear();
    fl.resp.headers.clear();
    fl.resp.body.clear();
    fl.resp.error = std::move(message);
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
    asio::post(t.io, [a = alive, cb = std::move(cb), r = std::move(r)]() mutable {
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
    fl->resp.error = "cancelled";
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
    for (auto& c : conns) c->close();
    conns.clear();
  }
};

void connection::on_ready(uint32_t events) {
  if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) peer_closed = true;
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) readable = true;
  if (writer != nullptr && (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))) {
    flight* fl = writer;
    writer = nullptr;
    if (fl->epoch != writer_epoch || fl->owner == nullptr) return;
    return fl->owner->write_plain();
  }
  if (readable && reader != nullptr) {
    flight* fl = reader;
    reader = nullptr;
    if (fl->epoch != reader_epoch || fl->owner == nullptr) return;
    fl->owner->read_plain();
  }
}

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

const std::string* response::header(std::string_view name) const {
  return http::find_field(headers, name);
}

}  // namespace endure::client
