// client::connection: see connection.hpp.
#include "client/connection.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>

#include "client/tls.hpp"

namespace endure::client {

namespace {

socklen_t to_sockaddr(const ip_address& a, uint16_t port, sockaddr_storage& out) {
  std::memset(&out, 0, sizeof out);
  if (a.family == AF_INET) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&out);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    std::memcpy(&sin->sin_addr, a.bytes.data(), 4);
    return sizeof(sockaddr_in);
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(port);
  std::memcpy(&sin6->sin6_addr, a.bytes.data(), 16);
  return sizeof(sockaddr_in6);
}

int clamp_int(size_t n) { return static_cast<int>(std::min<size_t>(n, INT_MAX)); }

}  // namespace

connection::connection(poller& poll, tls_contexts& tls, bool https, bool verify,
                       std::string host, uint16_t port)
    : poll_(poll), tls_(tls), https_(https), verify_(verify), port_(port),
      host_(std::move(host)) {}

connection::~connection() { close(); }

void connection::close_socket() {
  if (io_.fd < 0) return;
  poll_.remove(poll_handle_, io_.fd);  // no event of this socket is delivered from now on
  poll_handle_ = 0;
  ::close(io_.fd);
  io_.fd = -1;
}

// Closed without a close_notify: the server learns it from the FIN, as it would from a client
// that went away, and nothing is left to wait for.
void connection::close() {
  waiter_ = nullptr;
  if (ssl_ != nullptr) {
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  close_socket();
  state_ = state::closed;
}

connection::step connection::fail(error_kind kind, std::string detail) {
  failure_kind_ = kind;
  failure_detail_ = std::move(detail);
  return step::failed;
}

connection::step connection::fail_errno(int err) {
  error_kind kind = errno_kind(err);
  return fail(kind, kind == error_kind::connection ? errno_detail(err) : std::string());
}

connection::step connection::connect(const address_list& addresses) {
  close();
  addresses_ = addresses;  // capacity kept across reconnects
  next_address_ = 0;
  last_connect_errno_ = 0;
  state_ = state::connecting;
  return try_addresses();
}

connection::step connection::try_addresses() {
  for (; next_address_ < addresses_.size(); ++next_address_) {
    const ip_address& a = addresses_[next_address_];
    int fd = ::socket(a.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      last_connect_errno_ = errno;
      continue;
    }
    io_.reset(fd);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_storage sa;
    socklen_t len = to_sockaddr(a, port_, sa);
    int rc;
    do {
      rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&sa), len);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0 && errno != EINPROGRESS) {
      last_connect_errno_ = errno;
      close_socket();
      continue;
    }
    // Registered only now: an unconnected TCP socket polls as hung up. A connect that already
    // finished is reported by the registration itself.
    poll_handle_ = poll_.add(fd, this);
    if (poll_handle_ == 0) {
      int err = errno;
      ::close(fd);
      io_.fd = -1;
      state_ = state::closed;
      return fail_errno(err);
    }
    if (rc == 0) return connected();
    want_write_ = true;  // the connect's outcome arrives as EPOLLOUT (or EPOLLERR)
    return step::wait;
  }
  state_ = state::closed;
  return fail_errno(last_connect_errno_ != 0 ? last_connect_errno_ : EHOSTUNREACH);
}

connection::step connection::continue_connect() {
  if (state_ == state::handshaking) return handshake();
  if (state_ != state::connecting) return fail(error_kind::connection, "not connecting");
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(io_.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err == EINPROGRESS || err == EALREADY) {
    want_write_ = true;
    return step::wait;
  }
  if (err != 0) {
    last_connect_errno_ = err;
    close_socket();
    ++next_address_;
    return try_addresses();
  }
  return connected();
}

// The socket's readiness flags started clear with it (socket_io::reset) and hold what its own
// edges brought since: an edge of a failed attempt's socket is never delivered here.
connection::step connection::connected() {
  if (!https_) {
    state_ = state::open;
    return step::done;
  }
  ssl_ = make_client_ssl(tls_.get(verify_), io_, host_, verify_);
  if (ssl_ == nullptr) {
    close();
    return fail(error_kind::tls, tls_failure());
  }
  state_ = state::handshaking;
  return handshake();
}

namespace {
// Every SSL call starts with an empty error queue: SSL_get_error reads an error left there by
// any earlier OpenSSL call on this thread (user code's included) as this call's failure.
// Peeking first: clearing an empty queue costs ~600 instructions, a request makes two calls.
void clear_stale_errors() {
  if (ERR_peek_error() != 0) ERR_clear_error();
}
}  // namespace

connection::step connection::handshake() {
  clear_stale_errors();
  int rc = SSL_do_handshake(ssl_);
  if (rc == 1) {
    state_ = state::open;
    return step::done;
  }
  switch (SSL_get_error(ssl_, rc)) {
    case SSL_ERROR_WANT_READ:
      want_write_ = false;
      return step::wait;
    case SSL_ERROR_WANT_WRITE:
      want_write_ = true;
      return step::wait;
    default: {
      std::string reason = handshake_failure(ssl_, io_, verify_);
      close();
      return fail(error_kind::tls, std::move(reason));
    }
  }
}

connection::step connection::write(const char* data, size_t n, size_t& written) {
  if (ssl_ == nullptr) {
    ssize_t w = io_.send(data, n);
    if (w >= 0) {
      written = static_cast<size_t>(w);
      return step::done;
    }
    if (w == socket_io::would_block) {
      want_write_ = true;
      return step::wait;
    }
    return fail_errno(io_.error);
  }
  clear_stale_errors();
  int w = SSL_write(ssl_, data, clamp_int(n));
  if (w > 0) {
    written = static_cast<size_t>(w);
    return step::done;
  }
  switch (SSL_get_error(ssl_, w)) {
    case SSL_ERROR_WANT_WRITE:
      want_write_ = true;
      return step::wait;
    case SSL_ERROR_WANT_READ:
      want_write_ = false;
      return step::wait;
    default:
      if (io_.error != 0) {
        ERR_clear_error();
        return fail_errno(io_.error);
      }
      return fail(error_kind::tls, tls_failure());
  }
}

connection::step connection::read(char* buf, size_t cap, size_t& got) {
  if (ssl_ == nullptr) {
    ssize_t n = io_.recv(buf, cap);
    if (n >= 0) {
      got = static_cast<size_t>(n);
      return step::done;
    }
    if (n == socket_io::would_block) {
      want_write_ = false;
      return step::wait;
    }
    return fail_errno(io_.error);
  }
  // A drained socket and nothing buffered in OpenSSL: wait without asking it.
  if (!io_.readable && SSL_has_pending(ssl_) == 0) {
    want_write_ = false;
    return step::wait;
  }
  clear_stale_errors();
  int n = SSL_read(ssl_, buf, clamp_int(cap));
  if (n > 0) {
    got = static_cast<size_t>(n);
    return step::done;
  }
  switch (SSL_get_error(ssl_, n)) {
    case SSL_ERROR_WANT_READ:
      want_write_ = false;
      return step::wait;
    case SSL_ERROR_WANT_WRITE:
      want_write_ = true;
      return step::wait;
    case SSL_ERROR_ZERO_RETURN:  // close_notify
      got = 0;
      return step::done;
    default:
      // A FIN without close_notify (OpenSSL 3 calls it an error) ends the stream as for plain
      // TCP: a close-delimited body is complete, anything else the caller counts as cut off.
      if (io_.eof) {
        ERR_clear_error();
        got = 0;
        return step::done;
      }
      if (io_.error != 0) {
        ERR_clear_error();
        return fail_errno(io_.error);
      }
      return fail(error_kind::tls, tls_failure());
  }
}

void connection::on_ready(uint32_t events) {
  if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) io_.peer_closed = true;
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) io_.readable = true;
  if (waiter_ == nullptr) return;
  const bool ready =
      want_write_ ? (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0 : io_.readable;
  if (!ready) return;
  io_waiter* w = waiter_;
  waiter_ = nullptr;
  if (w->wait_token() != waiter_token_) return;
  w->on_io_ready();
}

}  // namespace endure::client
