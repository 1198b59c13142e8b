// exports::influx_writer: sends line protocol to InfluxDB (v1 /write, or v2
// /api/v2/write with a token) from a thread of its own: batched (up to 5,000
// points or every second), gzip-compressed, retried with backoff (1 s doubling
// to 30 s) on transport errors, 5xx and 429, behind a bounded queue: when
// InfluxDB cannot keep up, new points are dropped and counted, never buffered
// without bound and never waited for by the caller. A rejected batch (another
// 4xx: bad data, bad credentials, no such database) is dropped, counted and
// reported once.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "base/result.hpp"

namespace endure::client {
class blocking_client;
}

namespace endure::exports {

struct influx_target {
  std::string
      write_url; // full URL of the write endpoint, with its query string
  std::string user, password; // v1 basic authentication ("" when none)
  std::string token;          // v2: Authorization: Token ...
  std::string display;        // for messages, without credentials
};

// --influxdb http://[user:password@]host:8086/DATABASE (v1), or
// http://host:8086 with org, bucket and token (v2). Errors say what was
// expected.
base::result<influx_target> parse_influx_target(const std::string &url,
                                                const std::string &org,
                                                const std::string &bucket,
                                                const std::string &token);

struct influx_counters {
  uint64_t queued = 0, written = 0, dropped = 0, rejected = 0, requests = 0,
           retries = 0;
};

class influx_writer {
public:
  explicit influx_writer(influx_target target, size_t max_points = 200'000,
                         size_t batch_points = 5'000);
  ~influx_writer();
  influx_writer(const influx_writer &) = delete;
  influx_writer &operator=(const influx_writer &) = delete;

  // Any thread; never blocks on the network. `lines` holds `points` lines.
  void push(std::string lines, size_t points);
  // Sends what is queued (retrying until `limit`), then ends the thread; what
  // is left is dropped.
  void finish(std::chrono::milliseconds limit);
  influx_counters counters() const;

private:
  void loop();
  bool send(client::blocking_client &http, const std::string &body,
            size_t points); // true: done with it

  influx_target target_;
  size_t max_points_, batch_points_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::pair<std::string, size_t>> queue_;
  size_t queued_points_ = 0;
  bool finishing_ = false, warned_full_ = false, warned_down_ = false,
       warned_rejected_ = false;
  std::chrono::steady_clock::time_point deadline_{};
  std::atomic<bool> stop_{false};
  influx_counters counters_;
  std::thread thread_;
};

// gzip of `data` (RFC 1952), for Content-Encoding: gzip.
std::string gzip(const std::string &data);

} // namespace endure::exports
