#include "exports/influx_writer.hpp"

#include <zlib.h>

#include <algorithm>

#include "base/log.hpp"
#include "client/blocking_client.hpp"

namespace endure::exports {
namespace {

std::string url_encode(const std::string &s) {
  static const char *hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

} // namespace

std::string gzip(const std::string &data) {
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK)
    return {};
  std::string out;
  out.resize(deflateBound(&z, data.size()) + 32);
  z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef *>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END ? out : std::string();
}

base::result<influx_target> parse_influx_target(const std::string &url,
                                                const std::string &org,
                                                const std::string &bucket,
                                                const std::string &token) {
  const char *what = "a URL such as http://host:8086/DATABASE (InfluxDB 1.x) "
                     "or http://host:8086 with --influxdb-org, "
                     "--influxdb-bucket and --influxdb-token (2.x)";
  const bool https = url.rfind("https://", 0) == 0;
  if (!https && url.rfind("http://", 0) != 0)
    return base::make_error(what);
  std::string rest = url.substr(https ? 8 : 7);
  const std::string scheme = https ? "https://" : "http://";
  std::string auth;
  const auto slash = rest.find('/');
  const auto at = rest.find('@');
  if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
    auth = rest.substr(0, at);
    rest = rest.substr(at + 1);
  }
  const auto path_at = rest.find('/');
  const std::string hostport = rest.substr(0, path_at);
  std::string path =
      path_at == std::string::npos ? "" : rest.substr(path_at + 1);
  while (!path.empty() && path.back() == '/')
    path.pop_back();
  if (hostport.empty())
    return base::make_error(what);
  influx_target t;
  t.display = scheme + hostport + (path.empty() ? "" : "/" + path);
  if (!auth.empty()) {
    const auto colon = auth.find(':');
    t.user = auth.substr(0, colon);
    t.password = colon == std::string::npos ? "" : auth.substr(colon + 1);
  }
  const bool v2 = !org.empty() || !bucket.empty() || !token.empty();
  if (v2) {
    if (org.empty() || bucket.empty() || token.empty())
      return base::make_error("InfluxDB 2.x needs all of --influxdb-org, "
                              "--influxdb-bucket and --influxdb-token");
    if (!path.empty())
      return base::make_error(
          "with --influxdb-bucket, give the server only: http://host:8086");
    t.token = token;
    t.write_url = scheme + hostport + "/api/v2/write?org=" + url_encode(org) +
                  "&bucket=" + url_encode(bucket) + "&precision=ms";
  } else {
    if (path.empty() || path.find('/') != std::string::npos)
      return base::make_error(what);
    t.write_url =
        scheme + hostport + "/write?db=" + url_encode(path) + "&precision=ms";
  }
  return t;
}

influx_writer::influx_writer(influx_target target, size_t max_points,
                             size_t batch_points)
    : target_(std::move(target)), max_points_(max_points),
      batch_points_(batch_points), thread_([this] { loop(); }) {}

influx_writer::~influx_writer() { finish(std::chrono::seconds(0)); }

void influx_writer::push(std::string lines, size_t points) {
  if (points == 0)
    return;
  {
    std::lock_guard lock(mutex_);
    if (finishing_)
      return;
    if (queued_points_ + points > max_points_) {
      counters_.dropped += points;
      if (!warned_full_) {
        warned_full_ = true;
        base::log_warning("influxdb",
                          target_.display +
                              " falls behind: " + std::to_string(max_points_) +
                              " points are queued; new points are dropped (and "
                              "counted) until it catches up");
      }
      return;
    }
    queued_points_ += points;
    counters_.queued += points;
    queue_.emplace_back(std::move(lines), points);
  }
  cv_.notify_one();
}

bool influx_writer::send(client::blocking_client &http, const std::string &body,
                         size_t points) {
  client::request req;
  req.method = "POST";
  req.url = target_.write_url;
  req.body = gzip(body);
  req.headers = {{"Content-Type", "text/plain; charset=utf-8"},
                 {"Content-Encoding", "gzip"}};
  if (!target_.token.empty())
    req.headers.emplace_back("Authorization", "Token " + target_.token);
  if (!target_.user.empty())
    req.basic_auth = std::make_pair(target_.user, target_.password);
  auto r = http.run(std::move(req), stop_);
  std::lock_guard lock(mutex_);
  ++counters_.requests;
  if (r.error.empty() && r.status >= 200 && r.status < 300) {
    counters_.written += points;
    if (warned_down_)
      base::log_info("influxdb", target_.display + " takes points again");
    warned_down_ = false;
    return true;
  }
  if (r.error.empty() && r.status >= 400 && r.status < 500 && r.status != 429) {
    counters_.rejected += points;
    if (!warned_rejected_) {
      warned_rejected_ = true;
      std::string why =
          r.body.substr(0, std::min<size_t>(r.body.find('\n'), 200));
      base::log_warning("influxdb", target_.display + " rejected a batch of " +
                                        std::to_string(points) +
                                        " points: HTTP " +
                                        std::to_string(r.status) +
                                        (why.empty() ? "" : ": " + why));
    }
    return true;
  }
  if (!warned_down_) {
    warned_down_ = true;
    base::log_warning(
        "influxdb",
        target_.display + ": " +
            (r.error.empty() ? "HTTP " + std::to_string(r.status) : r.error) +
            " (points stay queued and are retried; the test goes on)");
  }
  ++counters_.retries;
  return false;
}

void influx_writer::loop() {
  using namespace std::chrono;
  auto backoff = seconds(1);
  client::blocking_client http(seconds(10));
  std::unique_lock lock(mutex_);
  for (;;) {
    cv_.wait_for(lock, seconds(1), [this] {
      return finishing_ || queued_points_ >= batch_points_;
    });
    if (queue_.empty()) {
      if (finishing_)
        return;
      continue;
    }
    // A batch: whole records' lines up to batch_points.
    std::string body;
    size_t points = 0, chunks = 0;
    for (const auto &[lines, n] : queue_) {
      if (chunks > 0 && points + n > batch_points_)
        break;
      body += lines;
      points += n;
      ++chunks;
    }
    lock.unlock();
    const bool done = send(http, body, points);
    lock.lock();
    if (done) {
      for (size_t i = 0; i < chunks; ++i)
        queue_.pop_front();
      queued_points_ -= points;
      backoff = seconds(1);
      continue;
    }
    // Not sent: wait before trying again (a finish shortens the wait to its
    // deadline).
    if (finishing_ && steady_clock::now() >= deadline_) {
      for (const auto &q : queue_)
        counters_.dropped += q.second;
      queue_.clear();
      queued_points_ = 0;
      return;
    }
    const auto until = finishing_
                           ? std::min(steady_clock::now() + backoff, deadline_)
                           : steady_clock::now() + backoff;
    cv_.wait_until(lock, until, [this] { return stop_.load(); });
    backoff = std::min<seconds>(backoff * 2, seconds(30));
  }
}

void influx_writer::finish(std::chrono::milliseconds limit) {
  if (!thread_.joinable())
    return;
  {
    std::lock_guard lock(mutex_);
    finishing_ = true;
    deadline_ = std::chrono::steady_clock::now() + limit;
  }
  cv_.notify_all();
  // The deadline also cuts a request in flight short.
  std::thread watchdog([this, limit] {
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, limit + std::chrono::milliseconds(500),
                      [this] { return queue_.empty(); }))
      stop_.store(true);
  });
  thread_.join();
  stop_.store(true);
  cv_.notify_all();
  watchdog.join();
}

influx_counters influx_writer::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

} // namespace endure::exports
