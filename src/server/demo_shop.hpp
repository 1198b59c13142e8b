// server::demo_shop: the built-in demo e-commerce target (products, cart, login journey) on top of
// http_server, with switchable latency, error injection and a deliberate slow leak for soak demos.
// It counts requests server-side (GET /__stats) so tests can check endure's numbers; no load logic.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace endure::server {

struct demo_shop_options {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;          // 0: ephemeral
  int latency_ms = 0;            // added to every answer (timer, not sleep)
  int latency_jitter_ms = 0;     // plus uniform [0, jitter] ms
  double error_rate = 0.0;       // this fraction of requests answers 500 (0.0 .. 1.0)
  bool leak = false;             // retain leak_bytes_per_request per request and creep latency
  // A complete stall of stall_ms in every stall_every_ms (from the start): every answer due in
  // the stall is held until it ends (the ground truth for coordinated-omission demonstrations).
  int stall_ms = 0;
  int stall_every_ms = 0;
  std::size_t threads = 1;       // event-loop threads
  std::size_t max_sessions = 10'000;  // oldest sessions are evicted beyond this
  std::size_t leak_bytes_per_request = 256;
  // Fault modes for soak demos, each on its own (no latency creep with them):
  std::size_t leak_kb_per_request = 0;  // --leak-kb-per-request: memory that grows, touched
  int slowdown_ms_per_hour = 0;         // --slowdown-ms-per-hour: latency creeping with uptime
  std::size_t fd_leak_every = 0;        // --fd-leak-every: a file opened and never closed per N requests
  bool show_help = false;        // set by --help (demo_shop_main prints usage and returns 0)
};

// Parses demo shop flags (argv[0] is skipped): --port N, --host ADDR, --latency-ms N,
// --latency-jitter-ms N, --error-rate X, --leak, --leak-bytes N, --leak-kb-per-request N,
// --slowdown-ms-per-hour N, --fd-leak-every N, --stall-ms N, --stall-every-ms N, --threads N,
// --help; "--flag=value" also works.
// An error names the flag, the value and what is expected.
base::result<demo_shop_options> parse_demo_shop_args(int argc, const char* const* argv);
std::string demo_shop_usage();

// Routes: GET / , GET /about/ , GET /products , GET /products/{id} (ids 1..250),
// POST /cart/add/{id} (201), POST /login, GET /cart, POST /checkout, POST /logout, GET /__stats.
// With --leak, latency creeps by +1 ms per 10 minutes of uptime plus +1 ms per 16 MiB leaked.
class demo_shop {
 public:
  explicit demo_shop(demo_shop_options options);
  ~demo_shop();  // stops
  demo_shop(const demo_shop&) = delete;
  demo_shop& operator=(const demo_shop&) = delete;

  base::result<base::unit> start();  // binds and serves on its own thread(s)
  void stop();

  uint16_t port() const;
  std::string base_url() const;
  // Server-side counters by "METHOD /path" (actual path, query excluded); /__stats is not counted.
  uint64_t count(std::string_view key) const;
  uint64_t total() const;
  uint64_t leaked_bytes() const;
  uint64_t leaked_fds() const;
  std::string stats_json() const;  // the body of GET /__stats

  struct state;

 private:
  std::unique_ptr<state> state_;
};

}  // namespace endure::server
