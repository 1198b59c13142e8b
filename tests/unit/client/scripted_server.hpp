// Scripted raw servers for the client's integration tests: every accepted connection runs a
// script (blocking I/O on its own thread) against plain TCP or TLS, on 127.0.0.x with an
// ephemeral port; plus a fixture that runs one request on a session to completion. Tests only.
#pragma once
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#pragma GCC diagnostic pop

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "client/session.hpp"
#include "support/self_signed_cert.hpp"

namespace endure::client::scripted {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// One accepted socket, shared by its script's thread and the server's destructor, which shuts
// it down to end a script blocked in a read: closing goes through here, under the lock, so the
// two never touch the socket's state at once.
struct accepted_socket {
  explicit accepted_socket(asio::io_context& io) : s(io) {}
  tcp::socket s;
  std::mutex mu;
  bool closed = false;

  // reset: an RST instead of a FIN (SO_LINGER with a zero timeout).
  void close(bool reset) {
    std::lock_guard lock(mu);
    if (closed) return;
    closed = true;
    boost::system::error_code ec;
    if (reset) s.set_option(asio::socket_base::linger(true, 0), ec);
    s.close(ec);
  }
  void shutdown() {
    std::lock_guard lock(mu);
    if (closed) return;
    boost::system::error_code ec;
    s.shutdown(tcp::socket::shutdown_both, ec);
  }
};

// One accepted connection, as seen by the scripted server (blocking I/O on its own thread).
template <class Stream>
struct peer {
  Stream& s;
  accepted_socket* sock = nullptr;
  std::string buf;

  // Reads one request (head + Content-Length body); nullopt on EOF or error.
  std::optional<std::string> read_request() {
    while (true) {
      size_t end = buf.find("\r\n\r\n");
      if (end != std::string::npos) {
        size_t len = 0;
        std::string head = buf.substr(0, end + 4);
        std::string lower = head;
        for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        size_t cl = lower.find("content-length: ");
        if (cl != std::string::npos) len = std::stoul(head.substr(cl + 16));
        if (buf.size() >= end + 4 + len) {
          std::string req = buf.substr(0, end + 4 + len);
          buf.erase(0, end + 4 + len);
          return req;
        }
      }
      if (!read_some()) return std::nullopt;
    }
  }
  // Reads whatever arrives next (at least one byte); false on EOF or error.
  bool read_some() {
    char tmp[4096];
    boost::system::error_code ec;
    size_t n = s.read_some(asio::buffer(tmp), ec);
    if (ec) return false;
    buf.append(tmp, n);
    return true;
  }
  void write(std::string_view bytes) {
    boost::system::error_code ec;
    asio::write(s, asio::buffer(bytes.data(), bytes.size()), ec);
  }
  // Closes the TCP connection (under TLS too: no close_notify), with a FIN or an RST.
  void close() { sock->close(false); }
  void reset() { sock->close(true); }
};

inline std::string reply(int status, std::string_view body, std::string_view extra = {}) {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n" + std::string(extra) + "\r\n" + std::string(body);
}

inline std::string method_of(const std::string& req) { return req.substr(0, req.find(' ')); }
inline std::string target_of(const std::string& req) {
  size_t a = req.find(' ') + 1;
  return req.substr(a, req.find(' ', a) - a);
}

// A scripted server: every accepted connection runs script(peer, index) on its own thread.
class raw_server {
 public:
  using script = std::function<void(peer<tcp::socket>&, int)>;
  explicit raw_server(script s, const std::string& address = "127.0.0.1", uint16_t port = 0)
      : script_(std::move(s)), acceptor_(io_, {asio::ip::make_address(address), port}) {
    address_ = address;
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { accept_loop(); });
  }
  ~raw_server() {
    stopping_ = true;
    {
      tcp::socket wake(io_);
      boost::system::error_code ec;
      wake.connect({asio::ip::make_address(address_), port_}, ec);
    }
    thread_.join();
    {
      std::lock_guard lock(mu_);
      for (auto& s : sockets_) s->shutdown();
    }
    for (auto& t : workers_) t.join();
  }
  raw_server(const raw_server&) = delete;
  raw_server& operator=(const raw_server&) = delete;

  uint16_t port() const { return port_; }
  std::string base() const { return "http://" + address_ + ":" + std::to_string(port_); }
  int accepted() const { return accepted_; }
  std::vector<std::string> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }
  void record(std::string r) {
    std::lock_guard lock(mu_);
    requests_.push_back(std::move(r));
  }

 private:
  void accept_loop() {
    while (true) {
      auto s = std::make_shared<accepted_socket>(io_);
      boost::system::error_code ec;
      acceptor_.accept(s->s, ec);
      if (ec || stopping_) return;
      int index = accepted_++;
      std::lock_guard lock(mu_);
      sockets_.push_back(s);
      workers_.emplace_back([this, s, index] {
        peer<tcp::socket> p{s->s, s.get(), {}};
        script_(p, index);
      });
    }
  }
  script script_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::string address_;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::mutex mu_;
  std::vector<std::shared_ptr<accepted_socket>> sockets_;
  std::vector<std::thread> workers_;
  std::vector<std::string> requests_;
};

// Serves requests on a keep-alive connection with handler(request) -> bytes until EOF.
inline raw_server::script serve(raw_server* const* self,
                                std::function<std::string(const std::string&)> h) {
  return [self, h](peer<tcp::socket>& p, int) {
    while (auto req = p.read_request()) {
      (*self)->record(*req);
      p.write(h(*req));
    }
  };
}

// A scripted TLS server: every accepted connection completes a server handshake with a fresh
// self-signed certificate (DNS:localhost, IP:127.0.0.1, IP:::1), then runs the script. A
// handshake that fails (the client gave up) ends the connection quietly.
class tls_raw_server {
 public:
  using stream = ssl::stream<tcp::socket&>;
  using script = std::function<void(peer<stream>&, int)>;
  explicit tls_raw_server(script s, const std::string& address = "127.0.0.1")
      : cert_(test_support::make_self_signed_cert()), ctx_(ssl::context::tls_server) {
    ctx_.use_certificate_chain(asio::buffer(cert_.cert_pem));
    ctx_.use_private_key(asio::buffer(cert_.key_pem), ssl::context::pem);
    raw_ = std::make_unique<raw_server>(
        [this, s = std::move(s)](peer<tcp::socket>& p, int index) {
          stream st(p.s, ctx_);
          boost::system::error_code ec;
          st.handshake(ssl::stream_base::server, ec);
          if (ec) return;
          ++handshakes_;
          peer<stream> tp{st, p.sock, {}};
          s(tp, index);
        },
        address);
  }
  uint16_t port() const { return raw_->port(); }
  int accepted() const { return raw_->accepted(); }
  int handshakes() const { return handshakes_; }
  const std::string& cert_pem() const { return cert_.cert_pem; }
  std::string base(const std::string& host = "127.0.0.1") const {
    return "https://" + host + ":" + std::to_string(port());
  }
  // Sends close_notify, waits until the client closes the connection (a client sends no
  // close_notify of its own), then closes the socket.
  static void close_notify(peer<stream>& p) {
    boost::system::error_code ec;
    p.s.shutdown(ec);
    p.close();
  }

 private:
  test_support::self_signed_cert cert_;
  ssl::context ctx_;
  std::atomic<int> handshakes_{0};
  std::unique_ptr<raw_server> raw_;  // last: its threads use the members above
};

// SSL_CERT_FILE names the trust store that set_default_verify_paths loads; a transport loads it
// on its first verified https connection, so a test can trust its own server's certificate.
class trusted_cert_file {
 public:
  explicit trusted_cert_file(const std::string& pem) {
    path_ = ::testing::TempDir() + "endure-trusted-" + std::to_string(::getpid()) + ".pem";
    std::ofstream(path_) << pem;
    ::setenv("SSL_CERT_FILE", path_.c_str(), 1);
  }
  ~trusted_cert_file() {
    ::unsetenv("SSL_CERT_FILE");
    std::remove(path_.c_str());
  }

 private:
  std::string path_;
};

struct client_fixture {
  asio::io_context io;
  transport t;
  session s;
  explicit client_fixture(std::string base, client_options o = {})
      : t(io, o), s(t, std::move(base)) {}

  response run(request r, std::chrono::milliseconds deadline = 5000ms) {
    bool done = false;
    response out;
    s.execute(std::move(r), [&](response&& x) {
      out = std::move(x);
      done = true;
    });
    EXPECT_FALSE(done) << "completion must not run inline";
    auto end = std::chrono::steady_clock::now() + deadline;
    while (!done && std::chrono::steady_clock::now() < end) {
      io.restart();
      io.run_one_for(10ms);
    }
    EXPECT_TRUE(done) << "no completion within the deadline";
    return out;
  }
  response get(std::string url) {
    request r;
    r.url = std::move(url);
    return run(std::move(r));
  }
};

// Polls p every millisecond until it holds or the deadline passes (servers run on threads).
template <class Pred>
bool wait_until(Pred p, std::chrono::milliseconds deadline = 5000ms) {
  auto end = std::chrono::steady_clock::now() + deadline;
  while (!p()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

}  // namespace endure::client::scripted
