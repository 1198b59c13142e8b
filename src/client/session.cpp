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
#include <cstdio>
#include <unordered_map>

#include "base/clock.hpp"
#include "http/cookie_jar.hpp"
#include "http/request_writer.hpp"
#include "http/response_parser.hpp"
#include "http/url.hpp"

namespace endure::client {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

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

struct transport::impl {
  asio::io_context& io;
  client_options options;
  ssl::context verify_ctx{ssl::context::tls_client};
  ssl::context noverify_ctx{ssl::context::tls_client};
  std::unordered_map<std::string, std::vector<asio::ip::address>> dns;
  std::unique_ptr<char[]> read_buffer{new char[shared_read_buffer_bytes]};

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

  const target_entry& resolve_target(const std::string& base_url,
                                     const std::optional<http::url>& base,
                                     const std::string& base_error, const std::string& ref) {
    bool absolute = ref.find("://") != std::string::npos;
    std::string_view key_base = absolute ? std::string_view() : std::string_view(base_url);
    size_t h = std::hash<std::string_view>{}(ref) * 31 + std::hash<std::string_view>{}(key_base);
    target_entry& e = targets[h % target_cache_slots];
    if (e.used && e.ref == ref && e.base_url == key_base) return e;
    e.used = true;
    e.base_url.assign(key_base);
    e.ref = ref;
    e.error.clear();
    base::result<http::url> r = base::make_error(std::string());
    if (absolute) {
      r = http::parse_url(ref);
    } else if (base) {
      r = http::resolve_url(*base, ref);
    } else if (!base_error.empty()) {
      e.error = "InvalidURL: " + base_error;
      return e;
    } else {
      e.error = "InvalidURL: invalid URL '" + ref +
                "': a relative URL needs a base URL (--host), expected http:// or https://";
      return e;
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

  impl(asio::io_context& i, client_options o) : io(i), options(o) {
    error_code ec;
    verify_ctx.set_default_verify_paths(ec);
    verify_ctx.set_verify_mode(ssl::verify_peer);
    noverify_ctx.set_verify_mode(ssl::verify_none);
  }

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
// replaced or closed connection lives until its last pending handler has run.

namespace {

struct connection {
  bool https = false;
  bool verify = true;
  std::string host;
  uint16_t port = 0;
  std::optional<tcp::socket> plain;
  std::optional<ssl::stream<tcp::socket>> tls;
  std::unique_ptr<char[]> tls_buffer;
  bool open = false;      // connected (and handshaken) and reusable
  uint64_t served = 0;    // responses completed on this connection

  connection(transport::impl& t, bool is_https, bool verify_peer, const std::string& h,
             uint16_t p)
      : https(is_https), verify(verify_peer), host(h), port(p) {
    if (https) {
      tls.emplace(t.io, verify ? t.verify_ctx : t.noverify_ctx);
      tls_buffer.reset(new char[tls_read_buffer_bytes]);
    } else {
      plain.emplace(t.io);
    }
  }
  tcp::socket& socket() { return tls ? tls->next_layer() : *plain; }
  void close() {
    open = false;
    error_code ec;
    socket().close(ec);
  }
  bool matches(bool is_https, bool verify_peer, const std::string& h, uint16_t p) const {
    return https == is_https && (!https || verify == verify_peer) && port == p && host == h;
  }
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// session

struct session::impl : std::enable_shared_from_this<session::impl> {
  transport::impl& t;
  std::string base_url;
  std::optional<http::url> base;
  std::string base_error;
  http::cookie_jar jar;
  header_list default_headers;
  std::vector<std::shared_ptr<connection>> conns;
  bool alive = true;

  // The request in flight.
  bool busy = false;
  uint64_t seq = 0;  // bumped when a request completes: late handlers of it see a mismatch
  request req;
  completion on_done;
  response resp;
  http::url cur;
  std::string auth_value;
  std::optional<header_list> defaults_without_auth;
  std::shared_ptr<connection> conn;
  bool retried = false;
  bool connecting = false;
  std::chrono::milliseconds timeout{0};
  int64_t request_deadline_ns = 0;
  int64_t deadline_ns = 0;  // request or connect deadline, whichever applies now
  bool deadline_is_connect = false;
  std::string wbuf;
  std::string host_header;  // of cur
  std::string cur_text;     // cur.to_string()
  std::string cookie_buf;
  http::response_parser parser;

  // One timer, re-armed only when the deadline moves earlier: most requests never touch it.
  asio::steady_timer timer;
  bool timer_armed = false;
  uint64_t timer_gen = 0;
  int64_t timer_at_ns = 0;

  impl(transport::impl& tr, std::string b) : t(tr), base_url(std::move(b)), timer(tr.io) {
    if (!base_url.empty()) {
      auto u = http::parse_url(base_url);
      if (u)
        base = std::move(*u);
      else
        base_error = u.err().message;
    }
  }

  bool stale(uint64_t s) const { return !alive || s != seq || !busy; }

  // --- timer ---------------------------------------------------------------------------------
  void arm_timer(int64_t at_ns) {
    if (timer_armed && timer_at_ns <= at_ns) return;
    ++timer_gen;
    timer_armed = true;
    timer_at_ns = at_ns;
    timer.expires_at(asio::steady_timer::time_point(std::chrono::nanoseconds(at_ns)));
    timer.async_wait([self = shared_from_this(), gen = timer_gen](const error_code&) {
      self->on_timer(gen);
    });
  }

  void on_timer(uint64_t gen) {
    if (!alive || gen != timer_gen) return;
    timer_armed = false;
    if (!busy) return;
    int64_t now = base::mono_now_ns();
    if (now < deadline_ns) {
      arm_timer(deadline_ns);
      return;
    }
    if (deadline_is_connect)
      fail("ConnectTimeoutError: connect timed out after " +
           format_seconds(std::min(t.options.connect_timeout, timeout)) + "s");
    else
      fail("TimeoutError: request timed out after " + format_seconds(timeout) + "s");
  }

  // --- request lifecycle ---------------------------------------------------------------------
  void execute(request&& r, completion&& cb) {
    if (busy) {
      response e;
      e.start_ns = e.done_ns = base::mono_now_ns();
      e.error = "SessionBusy: a request is already in flight on this session";
      post_completion(std::move(cb), std::move(e));
      return;
    }
    busy = true;
    req = std::move(r);
    on_done = std::move(cb);
    resp = response{};
    resp.start_ns = base::mono_now_ns();
    asio::post(t.io, [self = shared_from_this(), s = seq] {
      if (!self->stale(s)) self->start();
    });
  }

  void start() {
    // Target URL (resolved once per distinct (base, reference) per shard).
    const auto& target = t.resolve_target(base_url, base, base_error, req.url);
    if (!target.error.empty()) return fail(target.error);
    cur = target.u;
    if (req.params.empty()) {
      host_header = target.host_header;
      cur_text = target.text;
    } else {
      http::append_query(cur.target, req.params);
      host_header = cur.host_header();
      cur_text = cur.to_string();
    }
    if (req.basic_auth) {
      auth_value = http::basic_auth_value(req.basic_auth->first, req.basic_auth->second);
    } else if (!cur.userinfo.empty()) {
      auto colon = cur.userinfo.find(':');
      auth_value = http::basic_auth_value(
          http::url_decode(std::string_view(cur.userinfo).substr(0, colon)),
          colon == std::string::npos ? std::string()
                                     : http::url_decode(cur.userinfo.substr(colon + 1)));
    } else {
      auth_value.clear();
    }
    defaults_without_auth.reset();
    retried = false;
    timeout = req.timeout ? *req.timeout : t.options.request_timeout;
    request_deadline_ns = resp.start_ns + std::chrono::nanoseconds(timeout).count();
    deadline_ns = request_deadline_ns;
    deadline_is_connect = false;
    arm_timer(deadline_ns);
    hop();
  }

  bool verify_for_request() const { return req.verify ? *req.verify : !t.options.insecure; }

  void hop() {
    http::parser_options po;
    po.head_request = req.method == "HEAD";
    po.max_body_bytes = t.options.max_body_bytes;
    parser.reset(po);
    bool https = cur.is_https();
    bool verify = verify_for_request();
    conn.reset();
    for (auto& c : conns)
      if (c->matches(https, verify, cur.host, cur.port)) {
        if (c->open) conn = c;
        break;
      }
    if (conn)
      send();
    else
      connect();
  }

  void connect() {
    bool https = cur.is_https();
    bool verify = verify_for_request();
    auto fresh = std::make_shared<connection>(t, https, verify, cur.host, cur.port);
    bool replaced = false;
    for (auto& c : conns)
      if (c->matches(https, verify, cur.host, cur.port)) {
        c->close();
        c = fresh;
        replaced = true;
        break;
      }
    if (!replaced) conns.push_back(fresh);
    conn = fresh;

    const auto* addrs = t.resolve(cur.host);
    if (addrs == nullptr) return fail("DNSError: cannot resolve host '" + cur.host + "'");
    std::vector<tcp::endpoint> endpoints;
    endpoints.reserve(addrs->size());
    for (const auto& a : *addrs) endpoints.emplace_back(a, cur.port);

    connecting = true;
    int64_t connect_deadline =
        base::mono_now_ns() + std::chrono::nanoseconds(t.options.connect_timeout).count();
    if (connect_deadline < request_deadline_ns) {
      deadline_ns = connect_deadline;
      deadline_is_connect = true;
    } else {
      deadline_ns = request_deadline_ns;
      deadline_is_connect = t.options.connect_timeout <= timeout;
    }
    arm_timer(deadline_ns);
    asio::async_connect(conn->socket(), endpoints,
                        [self = shared_from_this(), s = seq, c = conn](const error_code& ec,
                                                                       const tcp::endpoint&) {
                          if (self->stale(s) || c != self->conn) return;
                          self->on_connect(ec);
                        });
  }

  void on_connect(const error_code& ec) {
    if (ec) return fail(io_error_string(ec));
    error_code ignored;
    conn->socket().set_option(tcp::no_delay(true), ignored);
    if (!conn->https) return connected();
    SSL* ssl = conn->tls->native_handle();
    bool literal = is_ip_literal(cur.host);
    if (!literal)  // SNI (the SSL_set_tlsext_host_name macro casts old-style)
      SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(cur.host.c_str()));
    if (conn->verify) {
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
      if (literal)
        X509_VERIFY_PARAM_set1_ip_asc(param, cur.host.c_str());
      else
        X509_VERIFY_PARAM_set1_host(param, cur.host.c_str(), cur.host.size());
    }
    conn->tls->async_handshake(
        ssl::stream_base::client,
        [self = shared_from_this(), s = seq, c = conn](const error_code& hec) {
          if (self->stale(s) || c != self->conn) return;
          if (hec) return self->fail(ssl_error_string(hec, c->tls->native_handle(), c->verify));
          self->connected();
        });
  }

  void connected() {
    connecting = false;
    deadline_ns = request_deadline_ns;
    deadline_is_connect = false;
    conn->open = true;
    if (!conn->https) conn->plain->non_blocking(true);
    send();
  }

  void send() {
    const header_list* layers[2] = {&default_headers, &req.headers};
    if (defaults_without_auth) layers[0] = &*defaults_without_auth;
    cookie_buf.clear();
    if (!jar.empty()) jar.cookie_header(cur, base::wall_now_s(), cookie_buf);
    for (const auto& [name, value] : req.cookies) {
      if (!cookie_buf.empty()) cookie_buf += "; ";
      cookie_buf += name;
      cookie_buf += '=';
      cookie_buf += value;
    }
    http::request_head head;
    head.method = req.method;
    head.target = cur.target;
    head.host = host_header;
    head.layers = layers;
    head.cookie = cookie_buf;
    head.authorization = auth_value;
    head.body = req.body;
    wbuf.clear();
    http::write_request(wbuf, head);
    auto on_written = [self = shared_from_this(), s = seq, c = conn](const error_code& ec,
                                                                      size_t) {
      if (self->stale(s) || c != self->conn) return;
      if (ec) return self->on_io_error(ec);
      self->read();
    };
    if (conn->tls)
      asio::async_write(*conn->tls, asio::buffer(wbuf), std::move(on_written));
    else
      asio::async_write(*conn->plain, asio::buffer(wbuf), std::move(on_written));
  }

  void read() {
    if (conn->tls) {
      conn->tls->async_read_some(
          asio::buffer(conn->tls_buffer.get(), tls_read_buffer_bytes),
          [self = shared_from_this(), s = seq, c = conn](const error_code& ec, size_t n) {
            if (self->stale(s) || c != self->conn) return;
            if (self->on_bytes(c->tls_buffer.get(), n, ec)) self->read();
          });
      return;
    }
    // Plain TCP: wait for readability, then read into the transport's shared buffer, so an
    // idle session holds no read buffer of its own.
    conn->plain->async_wait(tcp::socket::wait_read, [self = shared_from_this(), s = seq,
                                                     c = conn](const error_code& ec) {
      if (self->stale(s) || c != self->conn) return;
      if (ec) {
        self->on_bytes(nullptr, 0, ec);
        return;
      }
      char* buf = self->t.read_buffer.get();
      while (true) {
        error_code rec;
        size_t n = c->plain->read_some(asio::buffer(buf, shared_read_buffer_bytes), rec);
        if (rec == asio::error::would_block || rec == asio::error::try_again) {
          self->read();
          return;
        }
        if (!self->on_bytes(buf, n, rec)) return;
        if (self->stale(s)) return;
      }
    });
  }

  // Feeds received bytes; returns true when more bytes are needed.
  bool on_bytes(const char* data, size_t n, const error_code& ec) {
    if (n > 0) {
      if (resp.first_byte_ns == 0) resp.first_byte_ns = base::mono_now_ns();
      size_t used = parser.feed(std::string_view(data, n));
      if (parser.failed()) {
        fail("ProtocolError: " + std::string(parser.error()));
        return false;
      }
      if (parser.done()) {
        if (used < n) conn->open = false;  // unexpected extra bytes: do not reuse
        on_response();
        return false;
      }
    }
    if (!ec) return true;
    if (ec == asio::error::eof || ec == ssl::error::stream_truncated) {
      bool any = parser.received_any();
      parser.on_eof();
      if (parser.done()) {
        conn->open = false;
        on_response();
        return false;
      }
      if (parser.failed() && parser.error() != http::response_parser::err_premature_eof) {
        fail("ProtocolError: " + std::string(parser.error()));
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
    if (!parser.received_any() && conn->served > 0 && !retried) {
      retried = true;
      conn->close();
      http::parser_options po;
      po.head_request = req.method == "HEAD";
      po.max_body_bytes = t.options.max_body_bytes;
      parser.reset(po);
      connect();
      return;
    }
    fail(io_error_string(ec));
  }

  void on_response() {
    ++conn->served;
    retried = false;
    if (!parser.keep_alive()) conn->close();
    if (http::has_field(parser.headers(), "Set-Cookie"))
      jar.update_from_response(parser.headers(), cur, base::wall_now_s());
    int status = parser.status();
    const std::string* location =
        req.allow_redirects && is_redirect(status) ? http::find_field(parser.headers(), "Location")
                                                   : nullptr;
    if (location != nullptr) return follow_redirect(status, *location);
    resp.status = status;
    resp.reason = parser.reason();
    resp.headers = std::move(parser.headers());
    resp.body = std::move(parser.body());
    resp.content_bytes = parser.body_bytes();
    resp.url = cur_text;
    complete();
  }

  void follow_redirect(int status, const std::string& location) {
    if (resp.redirects >= t.options.max_redirects)
      return fail("TooManyRedirects: exceeded " + std::to_string(t.options.max_redirects) +
                      " redirects",
                  false);
    auto next = http::resolve_url(cur, location);
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
    if (next->host != cur.host || (cur.is_https() && !next->is_https())) {
      auth_value.clear();
      req.basic_auth.reset();
      http::erase_field(req.headers, "Authorization");
      if (http::has_field(default_headers, "Authorization")) {
        defaults_without_auth = default_headers;
        http::erase_field(*defaults_without_auth, "Authorization");
      }
    }
    cur = std::move(*next);
    host_header = cur.host_header();
    cur_text = cur.to_string();
    ++resp.redirects;
    hop();
  }

  // close_connection=false when the last response was complete (the connection stays usable).
  void fail(std::string message, bool close_connection = true) {
    if (conn && close_connection) conn->close();
    resp.status = 0;
    resp.error = std::move(message);
    if (resp.url.empty() && !cur.host.empty()) resp.url = cur_text;
    complete();
  }

  // Finishes the request: state is reset before the user's completion runs, so it may start
  // the next request or destroy the session.
  void complete() {
    resp.done_ns = base::mono_now_ns();
    busy = false;
    ++seq;
    conn.reset();
    connecting = false;
    completion cb = std::move(on_done);
    on_done = nullptr;
    response r = std::move(resp);
    if (cb) cb(std::move(r));
  }

  void post_completion(completion cb, response r) {
    asio::post(t.io, [self = shared_from_this(), cb = std::move(cb), r = std::move(r)]() mutable {
      if (self->alive && cb) cb(std::move(r));
    });
  }

  void cancel() {
    if (!busy) return;
    if (conn) conn->close();
    conn.reset();
    busy = false;
    ++seq;
    resp.status = 0;
    resp.error = "cancelled";
    resp.done_ns = base::mono_now_ns();
    completion cb = std::move(on_done);
    on_done = nullptr;
    post_completion(std::move(cb), std::move(resp));
  }

  void shutdown() {
    alive = false;
    busy = false;
    on_done = nullptr;
    for (auto& c : conns) c->close();
    conns.clear();
    conn.reset();
    timer.cancel();
  }
};

session::session(transport& t, std::string base_url)
    : impl_(std::make_shared<impl>(t.get_impl(), std::move(base_url))) {}

session::~session() {
  if (impl_) impl_->shutdown();
}

void session::execute(request req, completion on_done) {
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
