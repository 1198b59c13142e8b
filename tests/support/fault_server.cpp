#include "support/fault_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

namespace endure::test_support {

namespace {

constexpr int poll_step_ms = 20;  // how often blocked waits look at the stop flag

std::string ok_response(bool close) {
  return std::string("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n") +
         (close ? "Connection: close\r\n" : "") + "\r\nok";
}

}  // namespace

struct fault_server::state {
  fault kind;
  fault_options options;
  int listen_fd = -1;
  uint16_t port = 0;
  std::atomic<bool> stopping{false};
  std::atomic<uint64_t> connections{0}, requests{0}, answered{0};
  std::thread acceptor;
  std::mutex mu;
  std::vector<std::thread> workers;
  std::set<int> open_fds;

  // Waits until fd is readable (true) or the deadline passes / the server stops (false).
  bool wait_readable(int fd, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!stopping) {
      pollfd p{fd, POLLIN, 0};
      int r = ::poll(&p, 1, poll_step_ms);
      if (r > 0) return true;
      if (r < 0 && errno != EINTR) return false;
      if (std::chrono::steady_clock::now() >= deadline) return false;
    }
    return false;
  }

  void sleep_for(std::chrono::milliseconds d) {
    auto deadline = std::chrono::steady_clock::now() + d;
    while (!stopping && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::min(d, std::chrono::milliseconds(poll_step_ms)));
  }

  // Reads one request head (GET-style, no body). False on EOF, error or stop.
  bool read_request(int fd, std::string& buf) {
    while (true) {
      if (auto end = buf.find("\r\n\r\n"); end != std::string::npos) {
        buf.erase(0, end + 4);
        ++requests;
        return true;
      }
      if (!wait_readable(fd, std::chrono::hours(1))) return false;
      char tmp[4096];
      ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
      if (n <= 0) return false;
      buf.append(tmp, static_cast<size_t>(n));
    }
  }

  bool send_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) {
        if (n < 0 && errno == EINTR) continue;
        return false;
      }
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Orderly end: FIN, then drain until the client closes (so no unread byte turns it into RST).
  void finish(int fd) {
    ::shutdown(fd, SHUT_WR);
    char tmp[4096];
    while (wait_readable(fd, std::chrono::seconds(30)))
      if (::recv(fd, tmp, sizeof tmp, 0) <= 0) break;
  }

  static void reset(int fd) {
    linger l{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }

  // Waits for the client to go away (EOF) while saying nothing.
  void stay_silent(int fd) {
    char tmp[4096];
    while (wait_readable(fd, std::chrono::hours(1)))
      if (::recv(fd, tmp, sizeof tmp, 0) <= 0) break;
  }

  void serve(int fd) {
    std::string buf;
    switch (kind) {
      case fault::close_at_once:
        finish(fd);
        break;
      case fault::reset_in_headers:
        if (read_request(fd, buf)) {
          send_all(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/pl");
          sleep_for(std::chrono::milliseconds(20));  // let the half head arrive on its own
          reset(fd);
        }
        break;
      case fault::reset_in_body:
        if (read_request(fd, buf)) {
          send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
          sleep_for(std::chrono::milliseconds(20));
          reset(fd);
        }
        break;
      case fault::never_answer:
        if (read_request(fd, buf)) stay_silent(fd);
        break;
      case fault::drip_body:
        if (read_request(fd, buf) && send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"))
          for (int i = 0; i < 100 && !stopping; ++i) {
            if (!send_all(fd, "x")) break;
            sleep_for(options.drip_interval);
          }
        break;
      case fault::not_http:
        if (read_request(fd, buf)) {
          send_all(fd, "SSH-2.0-OpenSSH_9.2\r\n\r\n");
          finish(fd);
        }
        break;
      case fault::bad_header:
        if (read_request(fd, buf)) {
          send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nthis line has no colon\r\n\r\nok");
          finish(fd);
        }
        break;
      case fault::huge_header:
        if (read_request(fd, buf)) {
          send_all(fd, "HTTP/1.1 200 OK\r\nX-Huge: " + std::string(1 << 20, 'h') +
                           "\r\nContent-Length: 2\r\n\r\nok");
          finish(fd);
        }
        break;
      case fault::short_body_then_close:
        if (read_request(fd, buf)) {
          send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort");
          finish(fd);
        }
        break;
      case fault::bad_chunked:
        if (read_request(fd, buf)) {
          send_all(fd,
                   "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\nzz\r\n");
          finish(fd);
        }
        break;
      case fault::huge_body: {
        const std::string chunk(64 << 10, 'b');
        while (read_request(fd, buf)) {
          if (!send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: " +
                                std::to_string(options.huge_body_bytes) + "\r\n\r\n"))
            break;
          uint64_t left = options.huge_body_bytes;
          while (left > 0 && !stopping) {
            size_t n = static_cast<size_t>(std::min<uint64_t>(left, chunk.size()));
            if (!send_all(fd, std::string_view(chunk).substr(0, n))) break;
            left -= n;
          }
          if (left > 0) break;
          ++answered;
        }
        break;
      }
      case fault::http10_close:
        if (read_request(fd, buf)) {
          if (send_all(fd, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nthe body ends at FIN"))
            ++answered;
          finish(fd);
        }
        break;
      case fault::interim_1xx:
        while (read_request(fd, buf)) {
          if (!send_all(fd,
                        "HTTP/1.1 100 Continue\r\n\r\n"
                        "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n" +
                            ok_response(false)))
            break;
          ++answered;
        }
        break;
      case fault::keepalive_close_idle:
        if (read_request(fd, buf) && send_all(fd, ok_response(false))) {
          ++answered;
          sleep_for(std::chrono::milliseconds(30));
          // Closing now: the client's next request (if already sent) draws an RST, otherwise
          // its write or read sees the close. No byte of a second response is ever sent.
        }
        break;
      case fault::keepalive_partial:
        if (read_request(fd, buf) && send_all(fd, ok_response(false))) {
          ++answered;
          if (read_request(fd, buf)) {
            send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
            finish(fd);
          }
        }
        break;
      case fault::tls_garbage:
        // Answer the ClientHello with text: the client's TLS layer sees a bogus record.
        if (wait_readable(fd, std::chrono::seconds(5))) {
          send_all(fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
          finish(fd);
        }
        break;
      case fault::backlog_full:
        break;
    }
    std::lock_guard lock(mu);
    open_fds.erase(fd);
    ::close(fd);
  }

  void accept_loop() {
    while (!stopping) {
      pollfd p{listen_fd, POLLIN, 0};
      if (::poll(&p, 1, poll_step_ms) <= 0) continue;
      int fd = ::accept(listen_fd, nullptr, nullptr);
      if (fd < 0) continue;
      ++connections;
      std::lock_guard lock(mu);
      if (stopping) {
        ::close(fd);
        break;
      }
      open_fds.insert(fd);
      workers.emplace_back([this, fd] { serve(fd); });
    }
  }
};

fault_server::fault_server(fault f, fault_options options) : state_(std::make_unique<state>()) {
  state_->kind = f;
  state_->options = options;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("fault_server: socket() failed");
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(fd, f == fault::backlog_full ? options.backlog : 128) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("fault_server: cannot listen on 127.0.0.1");
  }
  state_->listen_fd = fd;
  state_->port = ntohs(addr.sin_port);
  if (f != fault::backlog_full) state_->acceptor = std::thread([s = state_.get()] { s->accept_loop(); });
}

fault_server::~fault_server() { stop(); }

void fault_server::stop() {
  if (!state_ || state_->stopping.exchange(true)) return;
  if (state_->acceptor.joinable()) state_->acceptor.join();
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(state_->mu);
    for (int fd : state_->open_fds) ::shutdown(fd, SHUT_RDWR);  // unblocks send/recv
    workers.swap(state_->workers);
  }
  for (auto& w : workers) w.join();
  ::close(state_->listen_fd);
}

uint16_t fault_server::port() const { return state_->port; }
std::string fault_server::url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(state_->port) + std::string(path);
}
uint64_t fault_server::connections() const { return state_->connections; }
uint64_t fault_server::requests() const { return state_->requests; }
uint64_t fault_server::answered() const { return state_->answered; }

uint16_t fault_server::closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);  // never listened: connecting gets RST (refused)
  return ntohs(addr.sin_port);
}

}  // namespace endure::test_support
