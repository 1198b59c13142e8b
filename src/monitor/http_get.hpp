// monitor::http_get: blocking HTTP GETs for a monitor's own thread (node_exporter scrapes,
// Prometheus queries), made with endure's HTTP client (client::session) on an io_context of its
// own, so that a slow or dead exporter only ever holds up its own thread, never the engine.
// One instance per thread; not thread-safe. Asio stays in the .cpp.
#pragma once
#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "client/request.hpp"

namespace endure::monitor {

struct http_result {
  int status = 0;      // 0: no response (error says why)
  std::string error;   // transport failure, "" when a response came
  std::string body;    // decoded
};

class http_get {
 public:
  explicit http_get(std::chrono::milliseconds timeout);
  ~http_get();
  http_get(const http_get&) = delete;
  http_get& operator=(const http_get&) = delete;

  // GETs an absolute URL; returns early (error "stopped") once `stop` is set.
  http_result get(const std::string& url, const client::header_list& headers, const std::atomic<bool>& stop);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace endure::monitor
