#include "server/http_server.hpp"

// g++ 12 reports -Wnull-dereference inside Asio's scheduler once it is inlined here (a false
// positive in system headers that -isystem does not silence); our own code is checked elsewhere.
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include <array>
#include <atomic>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "server/request_parser.hpp"

namespace endure::server {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

// ---------------------------------------------------------------------------------------------
// responder

responder& responder::operator=(responder&& other) noexcept {
  if (this != &other) {
    if (sink_) {
      auto s = std::move(sink_);
      s->deliver(response::text(500, "handler did not answer\n"), std::chrono::milliseconds{0});
    }
    sink_ = std::move(other.sink_);
  }
  return *this;
}

responder::~responder() {
  if (sink_) {
    auto s = std::move(sink_);
    s->deliver(response::text(500, "handler did not answer\n"), std::chrono::milliseconds{0});
  }
}

void responder::send(response r) {
  if (!sink_) return;
  auto s = std::move(sink_);
  s->deliver(std::move(r), std::chrono::milliseconds{0});
}

void responder::send_after(std::chrono::milliseconds delay, response r) {
  if (!sink_) return;
  auto s = std::move(sink_);
  s->deliver(std::move(r), delay);
}

std::shared_ptr<stream_writer> responder::stream(response head, std::size_t max_buffered) {
  if (!sink_) return nullptr;
  auto s = std::move(sink_);
  return s->open_stream(std::move(head), max_buffered);
}

namespace {

// ---------------------------------------------------------------------------------------------
// router

struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

struct route_entry {
  std::string method;                 // "" matches any
  std::vector<std::string> segments;  // literal, or "{name}" capture
  bool prefix = false;                // pattern ended with "/*"
  handler h;
};

class router {
 public:
  void add(std::string method, const std::string& pattern, handler h) {
    if (method == "*") method.clear();
    route_entry e;
    e.method = std::move(method);
    e.h = std::move(h);
    const bool is_pattern =
        pattern.find('{') != std::string::npos ||
        (pattern.size() >= 2 && pattern.compare(pattern.size() - 2, 2, "/*") == 0);
    if (!is_pattern) {
      exact_[pattern].push_back(entries_.size());
      entries_.push_back(std::move(e));
      return;
    }
    std::string_view rest(pattern);
    if (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
    while (true) {
      const auto slash = rest.find('/');
      const std::string_view seg = rest.substr(0, slash);
      if (seg == "*" && slash == std::string_view::npos) {
        e.prefix = true;
        break;
      }
      e.segments.emplace_back(seg);
      if (slash == std::string_view::npos) break;
      rest.remove_prefix(slash + 1);
    }
    patterns_.push_back(entries_.size());
    entries_.push_back(std::move(e));
  }

  void set_fallback(handler h) { fallback_ = std::move(h); }
  const handler& fallback() const { return fallback_; }

  // The matching handler (params filled in), or nullptr. `allow` lists the methods of routes that
  // matched the path but not the method (for a 405).
  const handler* match(request& req, std::string& allow) const {
    allow.clear();
    if (auto it = exact_.find(std::string_view(req.path)); it != exact_.end()) {
      for (std::size_t i : it->second) {
        if (method_matches(entries_[i].method, req.method)) return &entries_[i].h;
        add_allow(allow, entries_[i].method);
      }
    }
    for (std::size_t i : patterns_) {
      const auto& e = entries_[i];
      const std::size_t mark = req.params.size();
      if (!match_pattern(e, req.path, req)) continue;
      if (method_matches(e.method, req.method)) return &e.h;
      req.params.resize(mark);
      add_allow(allow, e.method);
    }
    return nullptr;
  }

 private:
  static bool method_matches(const std::string& route_method, std::string_view m) {
    return route_method.empty() || route_method == m || (route_method == "GET" && m == "HEAD");
  }

  static void add_allow(std::string& allow, const std::string& m) {
    if (!allow.empty()) allow += ", ";
    allow += m;
  }

  static bool match_pattern(const route_entry& e, std::string_view path, request& req) {
    if (path.empty() || path.front() != '/') return false;
    const std::size_t mark = req.params.size();
    std::size_t pos = 1;
    for (const auto& seg : e.segments) {
      if (pos > path.size()) {
        req.params.resize(mark);
        return false;
      }
      const auto slash = path.find('/', pos);
      const std::size_t end = slash == std::string_view::npos ? path.size() : slash;
      const std::string_view piece = path.substr(pos, end - pos);
      if (seg.size() >= 2 && seg.front() == '{' && seg.back() == '}') {
        if (piece.empty()) {
          req.params.resize(mark);
          return false;
        }
        req.params.emplace_back(std::string_view(seg).substr(1, seg.size() - 2), piece);
      } else if (piece != seg) {
        req.params.resize(mark);
        return false;
      }
      pos = end + 1;
    }
    if (e.prefix) {
      req.params.emplace_back("*", pos <= path.size() ? path.substr(pos) : std::string_view{});
      return true;
    }
    if (pos == path.size() + 1) return true;
    req.params.resize(mark);
    return false;
  }

  std::unordered_map<std::string, std::vector<std::size_t>, string_hash, std::equal_to<>> exact_;
  std::vector<std::size_t> patterns_;
  std::vector<route_entry> entries_;
  handler fallback_;
};

// Read-only while serving; shared by every connection of a server.
struct server_shared {
  router routes;
  std::size_t max_header_bytes = 0;
  std::size_t max_body_bytes = 0;
  std::atomic<bool> stopping{false};  // set by stop(): late answers are dropped, not posted
};

template <class Stream>
constexpr bool is_tls_stream = false;
template <>
constexpr bool is_tls_stream<asio::ssl::stream<tcp::socket>> = true;

void append_uint(std::string& out, uint64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_hex(std::string& out, uint64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, 16);
  out.append(buf, r.ptr);
}

constexpr std::size_t inline_body_limit = 16 * 1024;  // smaller bodies are copied into one write

// ---------------------------------------------------------------------------------------------
// A connection's open stream: counts what is queued (any thread) and hands data to the
// connection's thread.

class open_stream_state final : public stream_writer {
 public:
  open_stream_state(asio::io_context& ioc, std::size_t max_buffered) : ioc_(ioc), max_(max_buffered) {}
  // Set once, on the connection's thread, before the writer is handed out.
  std::function<void(std::string&&)> append;
  std::function<void()> shut;

  bool push(std::string data) override {
    if (!open_.load(std::memory_order_acquire)) return false;
    const std::size_t n = data.size();
    if (queued_.fetch_add(n, std::memory_order_acq_rel) + n > max_) {
      close();  // too far behind: dropped
      return false;
    }
    asio::post(ioc_, [this, keep = keep_alive(), d = std::move(data)]() mutable {
      if (open_.load(std::memory_order_acquire) && append) append(std::move(d));
    });
    return true;
  }
  bool is_open() const override { return open_.load(std::memory_order_acquire); }
  void close() override {
    if (!open_.exchange(false, std::memory_order_acq_rel)) return;
    asio::post(ioc_, [keep = keep_alive()] {
      if (keep->shut) keep->shut();
    });
  }
  // The connection's thread: bytes written (or discarded).
  void written(std::size_t n) { queued_.fetch_sub(n, std::memory_order_acq_rel); }
  void closed_here() {
    open_.store(false, std::memory_order_release);
    append = nullptr;
    shut = nullptr;
  }
  std::weak_ptr<open_stream_state> self;

 private:
  std::shared_ptr<open_stream_state> keep_alive() { return self.lock(); }
  asio::io_context& ioc_;
  const std::size_t max_;
  std::atomic<std::size_t> queued_{0};
  std::atomic<bool> open_{true};
};

// ---------------------------------------------------------------------------------------------
// connection: owns one socket; lives on one io_context thread; no locks.

template <class Stream>
class connection final : public detail::response_sink,
                         public std::enable_shared_from_this<connection<Stream>> {
 public:
  connection(Stream stream, asio::io_context& ioc, const server_shared& shared)
      : stream_(std::move(stream)),
        ioc_(ioc),
        shared_(shared),
        timer_(ioc),
        parser_(shared.max_header_bytes, shared.max_body_bytes) {
    in_.resize(8192);
  }

  void start() {
    if constexpr (is_tls_stream<Stream>) {
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](const error_code& ec) {
                                if (ec) {
                                  self->force_close();
                                } else {
                                  self->do_read();
                                }
                              });
    } else {
      do_read();
    }
  }

  void deliver(response&& r, std::chrono::milliseconds delay) override {
    if (shared_.stopping.load(std::memory_order_relaxed)) return;
    if (!ioc_.get_executor().running_in_this_thread()) {
      asio::post(ioc_, [self = this->shared_from_this(), r = std::move(r), delay]() mutable {
        self->deliver_here(std::move(r), delay);
      });
      return;
    }
    deliver_here(std::move(r), delay);
  }

  std::shared_ptr<stream_writer> open_stream(response&& head, std::size_t max_buffered) override {
    auto st = std::make_shared<open_stream_state>(ioc_, max_buffered);
    st->self = st;
    if (shared_.stopping.load(std::memory_order_relaxed)) {
      st->closed_here();
      return st;
    }
    auto begin = [self = this->shared_from_this(), st, head = std::move(head)]() mutable {
      self->start_stream(std::move(head), st);
    };
    if (ioc_.get_executor().running_in_this_thread()) {
      begin();
    } else {
      asio::post(ioc_, std::move(begin));
    }
    return st;
  }

 private:
  // The head (no Content-Length, Connection: close), then whatever is pushed, in order; the
  // client's side is drained so its going away is noticed.
  void start_stream(response&& head, const std::shared_ptr<open_stream_state>& st) {
    if (!st->is_open() || !socket().is_open()) {
      st->closed_here();
      return;
    }
    stream_state_ = st;
    std::string out = "HTTP/1.1 ";
    append_uint(out, static_cast<uint64_t>(head.status));
    out += ' ';
    out += head.reason.empty() ? reason_phrase(head.status) : std::string_view(head.reason);
    out += "\r\n";
    if (!head.content_type.empty()) out += "Content-Type: " + head.content_type + "\r\n";
    out += "Connection: close\r\n";
    for (const auto& [name, value] : head.headers) out += name + ": " + value + "\r\n";
    out += "\r\n";
    out += head.body;
    std::weak_ptr<connection> weak = this->shared_from_this();
    st->append = [weak](std::string&& d) {
      if (auto c = weak.lock()) c->stream_append(std::move(d));
    };
    st->shut = [weak] {
      if (auto c = weak.lock()) c->force_close();
    };
    stream_pending_ = std::move(out);
    stream_flush();
    drain();
  }

  void stream_append(std::string&& d) {
    stream_pending_ += d;
    stream_owed_ += d.size();
    if (!stream_writing_) stream_flush();
  }

  void stream_flush() {
    if (stream_pending_.empty() || !socket().is_open()) return;
    stream_writing_ = true;
    out_body_ = std::move(stream_pending_);
    stream_pending_.clear();
    const std::size_t owed = stream_owed_;  // pushed bytes in this write (the head is not counted)
    stream_owed_ = 0;
    asio::async_write(stream_, asio::buffer(out_body_),
                      [self = this->shared_from_this(), owed](const error_code& ec, std::size_t) {
                        self->stream_writing_ = false;
                        if (self->stream_state_) self->stream_state_->written(owed);
                        if (ec) {
                          self->force_close();
                          return;
                        }
                        self->stream_flush();
                      });
  }

  tcp::socket& socket() {
    if constexpr (is_tls_stream<Stream>) {
      return stream_.next_layer();
    } else {
      return stream_;
    }
  }

  void do_read() {
    if (in_.size() - end_ < 4096) {
      if (begin_ > 0) {
        std::memmove(in_.data(), in_.data() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
      }
      if (in_.size() - end_ < 4096) in_.resize(in_.size() * 2);
    }
    stream_.async_read_some(asio::buffer(in_.data() + end_, in_.size() - end_),
                            [self = this->shared_from_this()](const error_code& ec, std::size_t n) {
                              self->on_read(ec, n);
                            });
  }

  void on_read(const error_code& ec, std::size_t n) {
    if (ec) {
      force_close();
      return;
    }
    end_ += n;
    process();
  }

  void process() {
    std::size_t consumed = 0;
    const auto st =
        parser_.parse(std::string_view(in_.data() + begin_, end_ - begin_), consumed, req_);
    begin_ += consumed;
    if (begin_ == end_) begin_ = end_ = 0;
    switch (st) {
      case request_parser::status::need_more:
        if (parser_.in_body() && parser_.expects_continue() && !sent_continue_) {
          sent_continue_ = true;
          static constexpr std::string_view cont = "HTTP/1.1 100 Continue\r\n\r\n";
          asio::async_write(stream_, asio::buffer(cont.data(), cont.size()),
                            [self = this->shared_from_this()](const error_code& ec, std::size_t) {
                              if (ec) {
                                self->force_close();
                              } else {
                                self->do_read();
                              }
                            });
          return;
        }
        do_read();
        return;
      case request_parser::status::done:
        dispatch();
        return;
      case request_parser::status::bad_request:
      case request_parser::status::header_too_large:
        fail_request(400, st == request_parser::status::bad_request ? "bad request\n"
                                                                     : "header too large\n");
        return;
      case request_parser::status::body_too_large:
        fail_request(413, "body too large\n");
        return;
    }
  }

  void fail_request(int status, std::string body) {
    req_.keep_alive = false;
    response r = response::text(status, std::move(body));
    r.close = true;
    write_response(std::move(r));
  }

  void dispatch() {
    std::string allow;
    const handler* h = shared_.routes.match(req_, allow);
    if (h == nullptr && !allow.empty()) {
      response r = response::text(405, "method not allowed\n");
      r.header("Allow", std::move(allow));
      write_response(std::move(r));
      return;
    }
    if (h == nullptr) h = &shared_.routes.fallback();
    if (!*h) {
      write_response(response::text(404, "not found\n"));
      return;
    }
    try {
      (*h)(req_, responder(this->shared_from_this()));
    } catch (...) {
      // The handler's responder parameter was destroyed while unwinding: it answered 500.
    }
  }

  void deliver_here(response&& r, std::chrono::milliseconds delay) {
    if (delay.count() > 0) {
      timer_.expires_after(delay);
      timer_.async_wait([self = this->shared_from_this(), r = std::move(r)](
                            const error_code& ec) mutable {
        if (ec) return;
        self->write_response(std::move(r));
      });
      return;
    }
    write_response(std::move(r));
  }

  void write_response(response&& r) {
    if (r.raw) {
      out_body_ = std::move(*r.raw);
      const raw_end then = r.raw_then;
      asio::async_write(stream_, asio::buffer(out_body_),
                        [self = this->shared_from_this(), then](const error_code& ec, std::size_t) {
                          self->after_raw(ec, then);
                        });
      return;
    }
    const bool is_head = req_.method == "HEAD";
    const bool close = r.close || !req_.keep_alive;
    const bool no_body = (r.status >= 100 && r.status < 200) || r.status == 204 || r.status == 304;
    std::string_view coding_name;
    if (r.compress != content_coding::identity && !no_body) {
      coding_name = r.compress == content_coding::gzip ? "gzip" : "deflate";
      const auto accept = req_.header("accept-encoding");
      if (accept && header_has_token(*accept, coding_name)) {
        r.body = compress_body(r.body, r.compress);
      } else {
        coding_name = {};
      }
    }

    out_head_.clear();
    out_head_ += "HTTP/1.1 ";
    append_uint(out_head_, static_cast<uint64_t>(r.status));
    out_head_ += ' ';
    out_head_ += r.reason.empty() ? reason_phrase(r.status) : std::string_view(r.reason);
    out_head_ += "\r\n";
    if (!r.content_type.empty()) {
      out_head_ += "Content-Type: ";
      out_head_ += r.content_type;
      out_head_ += "\r\n";
    }
    if (!coding_name.empty()) {
      out_head_ += "Content-Encoding: ";
      out_head_ += coding_name;
      out_head_ += "\r\nVary: Accept-Encoding\r\n";
    }
    const bool chunked = r.chunks > 0 && !no_body;
    if (chunked) {
      out_head_ += "Transfer-Encoding: chunked\r\n";
    } else if (!no_body) {
      out_head_ += "Content-Length: ";
      append_uint(out_head_, r.body.size());
      out_head_ += "\r\n";
    }
    if (close) {
      out_head_ += "Connection: close\r\n";
    } else if (req_.version_minor == 0) {
      out_head_ += "Connection: keep-alive\r\n";
    }
    for (const auto& [name, value] : r.headers) {
      out_head_ += name;
      out_head_ += ": ";
      out_head_ += value;
      out_head_ += "\r\n";
    }
    out_head_ += "\r\n";
    close_after_ = close;

    bool gather = false;
    if (!is_head && !no_body) {
      if (chunked) {
        const std::size_t n = std::max<std::size_t>(1, std::min(r.chunks, r.body.size()));
        const std::size_t step = (r.body.size() + n - 1) / std::max<std::size_t>(n, 1);
        out_body_.clear();
        for (std::size_t off = 0; off < r.body.size(); off += step) {
          const std::size_t len = std::min(step, r.body.size() - off);
          append_hex(out_body_, len);
          out_body_ += "\r\n";
          out_body_.append(r.body, off, len);
          out_body_ += "\r\n";
        }
        out_body_ += "0\r\n\r\n";
        gather = true;
      } else if (r.body.size() <= inline_body_limit) {
        out_head_ += r.body;
      } else {
        out_body_ = std::move(r.body);
        gather = true;
      }
    }
    auto on_written = [self = this->shared_from_this()](const error_code& ec, std::size_t) {
      self->after_write(ec);
    };
    if (gather) {
      const std::array<asio::const_buffer, 2> bufs{asio::buffer(out_head_),
                                                   asio::buffer(out_body_)};
      asio::async_write(stream_, bufs, std::move(on_written));
    } else {
      asio::async_write(stream_, asio::buffer(out_head_), std::move(on_written));
    }
  }

  void after_write(const error_code& ec) {
    if (ec) {
      force_close();
      return;
    }
    if (close_after_) {
      linger_close(true);
      return;
    }
    req_.clear();
    parser_.reset();
    sent_continue_ = false;
    if (out_body_.capacity() > (1u << 20)) {
      std::string().swap(out_body_);  // do not keep a large body's buffer per connection
    } else {
      out_body_.clear();
    }
    if (in_.size() > 65536 && begin_ == end_) {
      std::vector<char>(8192).swap(in_);
      begin_ = end_ = 0;
    }
    process();  // a pipelined request may already be buffered
  }

  void after_raw(const error_code& ec, raw_end then) {
    if (ec) {
      force_close();
      return;
    }
    switch (then) {
      case raw_end::close:
        linger_close(true);
        return;
      case raw_end::reset: {
        error_code ignored;
        socket().set_option(tcp::socket::linger(true, 0), ignored);
        socket().close(ignored);
        return;
      }
      case raw_end::stall:
        linger_close(false);  // stay silent; close when the client does (or the server stops)
        return;
    }
  }

  // Orderly close: FIN our side, then drain what the client still sends so the kernel does not
  // answer it with RST (which could destroy the response in flight). Bounded by a timer.
  void linger_close(bool with_deadline) {
    error_code ignored;
    if (with_deadline) {
      socket().shutdown(tcp::socket::shutdown_send, ignored);
      timer_.expires_after(std::chrono::seconds(2));
      timer_.async_wait([self = this->shared_from_this()](const error_code& ec) {
        if (!ec) self->force_close();
      });
    }
    drain();
  }

  void drain() {
    if (in_.size() < 4096) in_.resize(4096);
    socket().async_read_some(asio::buffer(in_.data(), in_.size()),
                             [self = this->shared_from_this()](const error_code& ec, std::size_t) {
                               if (ec) {
                                 self->force_close();
                               } else {
                                 self->drain();
                               }
                             });
  }

  void force_close() {
    error_code ignored;
    timer_.cancel();
    if (socket().is_open()) socket().close(ignored);
    if (stream_state_) {
      stream_state_->closed_here();
      stream_state_.reset();
    }
  }

  Stream stream_;
  asio::io_context& ioc_;
  const server_shared& shared_;
  asio::steady_timer timer_;
  request_parser parser_;
  request req_;
  std::vector<char> in_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::string out_head_;
  std::string out_body_;
  bool close_after_ = false;
  bool sent_continue_ = false;
  // An open stream (responder::stream): what waits for the current write to finish.
  std::shared_ptr<open_stream_state> stream_state_;
  std::string stream_pending_;
  std::size_t stream_owed_ = 0;
  bool stream_writing_ = false;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// http_server

struct http_server::impl {
  http_server_options options;
  server_shared shared;
  // Declared before the contexts: connections (destroyed with their context) use it.
  std::unique_ptr<asio::ssl::context> ssl_ctx;
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  std::atomic<uint64_t> accepted{0};
  std::size_t next_context = 0;
  uint16_t port = 0;
  bool started = false;
  bool stopped = false;
  std::mutex lifecycle_mu;

  void do_accept() {
    asio::io_context& target = *contexts[next_context];
    next_context = (next_context + 1) % contexts.size();
    acceptor->async_accept(target, [this, &target](const error_code& ec, tcp::socket s) {
      if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
      if (!ec) {
        accepted.fetch_add(1, std::memory_order_relaxed);
        error_code ignored;
        s.set_option(tcp::no_delay(true), ignored);
        if (ssl_ctx) {
          auto c = std::make_shared<connection<asio::ssl::stream<tcp::socket>>>(
              asio::ssl::stream<tcp::socket>(std::move(s), *ssl_ctx), target, shared);
          asio::post(target, [c] { c->start(); });
        } else {
          auto c = std::make_shared<connection<tcp::socket>>(std::move(s), target, shared);
          asio::post(target, [c] { c->start(); });
        }
      }
      do_accept();
    });
  }
};

http_server::http_server(http_server_options options) : impl_(std::make_unique<impl>()) {
  impl_->options = std::move(options);
  impl_->shared.max_header_bytes = impl_->options.max_header_bytes;
  impl_->shared.max_body_bytes = impl_->options.max_body_bytes;
}

http_server::~http_server() { stop(); }

void http_server::route(std::string method, std::string pattern, handler h) {
  impl_->shared.routes.add(std::move(method), pattern, std::move(h));
}

void http_server::fallback(handler h) { impl_->shared.routes.set_fallback(std::move(h)); }

base::result<base::unit> http_server::start(std::size_t threads) {
  std::lock_guard lock(impl_->lifecycle_mu);
  auto& m = *impl_;
  if (m.started) return base::make_error("http_server: already started");
  const std::string where = m.options.host + ":" + std::to_string(m.options.port);

  error_code ec;
  asio::ip::address addr;
  if (m.options.host == "localhost") {
    addr = asio::ip::address_v4::loopback();
  } else {
    addr = asio::ip::make_address(m.options.host, ec);
    if (ec) {
      return base::make_error("invalid listen address '" + m.options.host +
                              "' (expected an IPv4 or IPv6 address such as 127.0.0.1)");
    }
  }

  if (m.options.tls) {
    const auto& t = *m.options.tls;
    try {
      m.ssl_ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
      m.ssl_ctx->set_options(asio::ssl::context::default_workarounds |
                             asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                             asio::ssl::context::single_dh_use);
      if (!t.cert_pem.empty()) {
        m.ssl_ctx->use_certificate_chain(asio::buffer(t.cert_pem));
      } else {
        m.ssl_ctx->use_certificate_chain_file(t.cert_file);
      }
      if (!t.key_pem.empty()) {
        m.ssl_ctx->use_private_key(asio::buffer(t.key_pem), asio::ssl::context::pem);
      } else {
        m.ssl_ctx->use_private_key_file(t.key_file, asio::ssl::context::pem);
      }
    } catch (const std::exception& e) {
      m.ssl_ctx.reset();
      return base::make_error(std::string("cannot load TLS certificate or key: ") + e.what());
    }
  }

  const std::size_t n = std::max<std::size_t>(1, threads);
  for (std::size_t i = 0; i < n; ++i) {
    m.contexts.push_back(std::make_unique<asio::io_context>(1));
    m.guards.push_back(asio::make_work_guard(*m.contexts.back()));
  }
  m.acceptor = std::make_unique<tcp::acceptor>(*m.contexts[0]);
  const tcp::endpoint ep(addr, m.options.port);
  auto fail = [&](const std::string& what) -> base::result<base::unit> {
    m.acceptor.reset();
    m.guards.clear();
    m.contexts.clear();
    m.ssl_ctx.reset();
    return base::make_error("cannot listen on " + where + ": " + what);
  };
  if (m.acceptor->open(ep.protocol(), ec)) return fail(ec.message());
  m.acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  if (m.acceptor->bind(ep, ec)) {
    return fail(ec == asio::error::address_in_use ? "address already in use" : ec.message());
  }
  if (m.acceptor->listen(asio::socket_base::max_listen_connections, ec)) return fail(ec.message());
  m.port = m.acceptor->local_endpoint(ec).port();
  m.do_accept();
  for (auto& ctx : m.contexts) {
    asio::io_context* c = ctx.get();
    m.threads.emplace_back([c] { c->run(); });
  }
  m.started = true;
  return base::unit{};
}

void http_server::stop() {
  std::lock_guard lock(impl_->lifecycle_mu);
  auto& m = *impl_;
  if (!m.started || m.stopped) return;
  m.stopped = true;
  m.shared.stopping.store(true);
  for (auto& ctx : m.contexts) ctx->stop();
  for (auto& t : m.threads) t.join();
  m.threads.clear();
  // With the loops stopped, destroying them drops every pending operation and so every
  // connection (closing its socket) before the TLS context goes.
  error_code ignored;
  if (m.acceptor) m.acceptor->close(ignored);
  m.acceptor.reset();
  m.guards.clear();
  m.contexts.clear();
  m.ssl_ctx.reset();
}

uint16_t http_server::port() const { return impl_->port; }
const std::string& http_server::host() const { return impl_->options.host; }
bool http_server::is_tls() const { return impl_->options.tls.has_value(); }

std::string http_server::base_url() const {
  std::string h = impl_->options.host;
  if (h.find(':') != std::string::npos) h = "[" + h + "]";
  return std::string(is_tls() ? "https://" : "http://") + h + ":" + std::to_string(impl_->port);
}

uint64_t http_server::connections_accepted() const {
  return impl_->accepted.load(std::memory_order_relaxed);
}

}  // namespace endure::server
