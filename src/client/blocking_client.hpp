// client::blocking_client: blocking HTTP requests for a helper thread of its
// own (monitor scrapes, Prometheus queries, InfluxDB writes), made with
// endure's HTTP client (client::session) on an io_context of its own, so that a
// slow or dead server only ever holds up that thread, never the engine. One
// instance per thread; not thread-safe. Asio stays in the .cpp.
#pragma once
#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "client/request.hpp"

namespace endure::client {

struct blocking_result {
  int status = 0;    // 0: no response (error says why)
  std::string error; // transport failure, "" when a response came
  std::string body;  // decoded
};

class blocking_client {
public:
  explicit blocking_client(std::chrono::milliseconds timeout);
  ~blocking_client();
  blocking_client(const blocking_client &) = delete;
  blocking_client &operator=(const blocking_client &) = delete;

  // Sends an absolute-URL request; returns early (error "stopped") once `stop`
  // is set.
  blocking_result run(request req, const std::atomic<bool> &stop);
  blocking_result get(const std::string &url, const header_list &headers,
                      const std::atomic<bool> &stop);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace endure::client
