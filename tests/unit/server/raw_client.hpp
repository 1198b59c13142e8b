// A minimal blocking HTTP/1.1 client on raw sockets, for the server tests only: send exact bytes,
// read one response (Content-Length, chunked or close-delimited). Every read has a deadline.
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace endure::server_test {

struct raw_response {
  bool ok = false;  // a complete response was read
  int status = 0;
  std::string reason;
  std::string version;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // de-chunked, not decompressed

  std::optional<std::string> header(std::string_view name) const {
    for (const auto& [n, v] : headers) {
      if (n.size() == name.size() && strncasecmp(n.data(), name.data(), n.size()) == 0) return v;
    }
    return std::nullopt;
  }
  std::vector<std::string> all(std::string_view name) const {
    std::vector<std::string> out;
    for (const auto& [n, v] : headers) {
      if (n.size() == name.size() && strncasecmp(n.data(), name.data(), n.size()) == 0) {
        out.push_back(v);
      }
    }
    return out;
  }
};

class raw_conn {
 public:
  explicit raw_conn(uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~raw_conn() {
    if (fd_ >= 0) ::close(fd_);
  }
  raw_conn(const raw_conn&) = delete;
  raw_conn& operator=(const raw_conn&) = delete;

  bool connected() const { return connected_; }

  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Reads one response. `head` for a HEAD request (no body whatever the headers say).
  raw_response read_response(bool head = false) {
    raw_response r;
    std::size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return r;
    }
    const std::string head_block = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    std::size_t pos = head_block.find("\r\n");
    const std::string status_line = head_block.substr(0, pos);
    const auto sp1 = status_line.find(' ');
    const auto sp2 = status_line.find(' ', sp1 + 1);
    if (sp1 == std::string::npos) return r;
    r.version = status_line.substr(0, sp1);
    r.status = std::atoi(status_line.substr(sp1 + 1, sp2 - sp1 - 1).c_str());
    r.reason = sp2 == std::string::npos ? "" : status_line.substr(sp2 + 1);
    while (pos != std::string::npos) {
      const std::size_t start = pos + 2;
      pos = head_block.find("\r\n", start);
      const std::string line = head_block.substr(start, pos == std::string::npos ? std::string::npos
                                                                                 : pos - start);
      const auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      r.headers.emplace_back(line.substr(0, colon), value);
    }
    if (head || r.status == 204 || r.status == 304 || (r.status >= 100 && r.status < 200)) {
      r.ok = true;
      return r;
    }
    if (const auto te = r.header("transfer-encoding"); te && te->find("chunked") != std::string::npos) {
      for (;;) {
        std::size_t eol;
        while ((eol = buf_.find("\r\n")) == std::string::npos) {
          if (!fill()) return r;
        }
        const std::size_t size = std::stoul(buf_.substr(0, eol), nullptr, 16);
        buf_.erase(0, eol + 2);
        while (buf_.size() < size + 2) {
          if (!fill()) return r;
        }
        r.body.append(buf_, 0, size);
        buf_.erase(0, size + 2);
        ++chunks_seen_;
        if (size == 0) break;
      }
      r.ok = true;
      return r;
    }
    if (const auto cl = r.header("content-length")) {
      const std::size_t len = std::stoul(*cl);
      while (buf_.size() < len) {
        if (!fill()) return r;
      }
      r.body = buf_.substr(0, len);
      buf_.erase(0, len);
      r.ok = true;
      return r;
    }
    while (fill()) {  // close-delimited
    }
    r.body = std::move(buf_);
    buf_.clear();
    r.ok = eof_;
    return r;
  }

  // True if the peer closes (orderly) before the deadline, with no further bytes.
  bool closed_by_peer() {
    while (buf_.empty()) {
      if (!fill()) return eof_ && buf_.empty();
    }
    return false;
  }

  // Number of chunk-size lines seen so far (including the last "0").
  std::size_t chunks_seen() const { return chunks_seen_; }
  bool reset_seen() const { return reset_; }

 private:
  bool fill() {
    char tmp[16384];
    const ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n > 0) {
      buf_.append(tmp, static_cast<std::size_t>(n));
      return true;
    }
    if (n == 0) eof_ = true;
    if (n < 0 && errno == ECONNRESET) reset_ = true;
    return false;
  }

  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  bool reset_ = false;
  std::size_t chunks_seen_ = 0;
  std::string buf_;
};

inline std::string get(std::string_view target, std::string_view extra_headers = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
         std::string(extra_headers) + "\r\n";
}

inline std::string post(std::string_view target, std::string_view body,
                        std::string_view extra_headers = "") {
  return "POST " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n" + std::string(extra_headers) + "\r\n" +
         std::string(body);
}

// One request on a fresh connection.
inline raw_response round_trip(uint16_t port, const std::string& bytes) {
  raw_conn c(port);
  if (!c.connected() || !c.send(bytes)) return {};
  return c.read_response();
}

// Inflates gzip or zlib data (window bits 15 + 32: auto-detect the wrapper).
inline std::optional<std::string> inflate_any(std::string_view in) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK) return std::nullopt;
  std::string out;
  char buf[16384];
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) return std::nullopt;
  return out;
}

}  // namespace endure::server_test
