// client::socket_io: the one place where a connection's non-blocking socket is read and written,
// for plain TCP directly and for TLS through OpenSSL (client/tls.cpp's BIO calls it). It keeps
// the readiness an edge-triggered poller needs remembered: whether bytes may be waiting.
// Lives on the shard's thread; not thread-safe.
#pragma once
#include <sys/socket.h>
#include <sys/types.h>

#include <cerrno>
#include <cstddef>

namespace endure::client {

struct socket_io {
  static constexpr ssize_t would_block = -1;
  static constexpr ssize_t failed = -2;  // `error` holds the errno

  int fd = -1;
  // An edge arrived that no read has consumed yet. A recv that returns less than it asked for
  // drained the socket, so this turns false without the EAGAIN round trip: any later byte
  // brings a new edge. A FIN does not count as drained (peer_closed keeps it true).
  bool readable = false;
  bool peer_closed = false;  // FIN, RST or an error seen by the poller
  bool eof = false;          // a recv returned 0
  int error = 0;             // errno of the last failed recv or send

  void reset(int new_fd) {
    fd = new_fd;
    readable = peer_closed = eof = false;
    error = 0;
  }

  // Bytes read (> 0), 0 at EOF, would_block or failed. Drained: would_block without a syscall.
  ssize_t recv(char* buf, size_t cap) {
    if (!readable) return would_block;
    while (true) {
      ssize_t n = ::recv(fd, buf, cap, 0);
      if (n > 0) {
        if (static_cast<size_t>(n) < cap && !peer_closed) readable = false;
        return n;
      }
      if (n == 0) {
        eof = true;
        return 0;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        readable = false;
        return would_block;
      }
      error = errno;
      return failed;
    }
  }

  // Bytes written (>= 0), would_block or failed. Writes keep no readiness flag: a send is always
  // tried first, and only one that would block waits, for an edge that can only come after it.
  ssize_t send(const char* data, size_t n) {
    while (true) {
      ssize_t w = ::send(fd, data, n, MSG_NOSIGNAL);
      if (w >= 0) return w;
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return would_block;
      error = errno;
      return failed;
    }
  }
};

}  // namespace endure::client
