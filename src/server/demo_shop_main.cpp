#include "server/demo_shop_main.hpp"

#include <pthread.h>
#include <signal.h>

#include <charconv>
#include <cstdio>
#include <iostream>
#include <string>
#include <string_view>

#include "server/demo_shop.hpp"

namespace endure::server {

namespace {

template <class T>
bool parse_number(std::string_view s, T& out) {
  if (s.empty()) return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc{} && r.ptr == s.data() + s.size();
}

base::error bad_value(std::string_view flag, std::string_view value, std::string_view expected) {
  return base::make_error("invalid value for " + std::string(flag) + ": '" + std::string(value) +
                          "' (expected " + std::string(expected) + ")");
}

}  // namespace

std::string demo_shop_usage() {
  return "usage: endure demo-shop [options]\n"
         "Runs the built-in demo shop, a small HTTP target for trying endure.\n"
         "\n"
         "options:\n"
         "  --port N               port to listen on (default 8080; 0 picks a free one)\n"
         "  --host ADDR            address to bind (default 127.0.0.1)\n"
         "  --latency-ms N         added latency per request in ms (default 0)\n"
         "  --latency-jitter-ms N  plus a uniform random 0..N ms (default 0)\n"
         "  --error-rate X         fraction 0.0..1.0 of requests that answer 500 (default 0)\n"
         "  --leak                 leak 256 bytes per request and let latency creep up\n"
         "                         (+1 ms per 16 MiB leaked, +1 ms per 10 minutes of uptime)\n"
         "  --leak-bytes N         bytes leaked per request with --leak (default 256)\n"
         "  --leak-kb-per-request N  leak N KiB of memory per request (RSS grows; no latency creep)\n"
         "  --slowdown-ms-per-hour N  answers get N ms slower per hour of uptime (latency creep)\n"
         "  --fd-leak-every N      open a file and never close it every N requests (fds grow)\n"
         "  --stall-ms N           stall completely for N ms in every --stall-every-ms (default 0)\n"
         "  --stall-every-ms N     the stall's period in ms, from the shop's start (e.g. 10000)\n"
         "  --threads N            event-loop threads (default 1)\n"
         "  --help                 show this help\n"
         "\n"
         "routes: GET / , GET /about/ , GET /products , GET /products/{id} , POST /cart/add/{id} ,\n"
         "        POST /login , GET /cart , POST /checkout , POST /logout , GET /__stats\n";
}

base::result<demo_shop_options> parse_demo_shop_args(int argc, const char* const* argv) {
  demo_shop_options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string_view value;
    bool has_inline_value = false;
    if (const auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_inline_value = true;
    }
    const std::string flag(arg);
    auto take_value = [&]() -> bool {
      if (has_inline_value) return true;
      if (i + 1 >= argc) return false;
      value = argv[++i];
      return true;
    };
    auto missing = [&] { return base::make_error("missing value for " + flag); };

    if (arg == "--help" || arg == "-h") {
      o.show_help = true;
    } else if (arg == "--leak") {
      if (has_inline_value) return base::make_error("--leak takes no value");
      o.leak = true;
    } else if (arg == "--leak-bytes") {
      if (!take_value()) return missing();
      std::size_t n = 0;
      if (!parse_number(value, n) || n == 0 || n > 1'048'576) {
        return bad_value(flag, value, "an integer number of bytes 1..1048576");
      }
      o.leak_bytes_per_request = n;
    } else if (arg == "--leak-kb-per-request" || arg == "--fd-leak-every") {
      if (!take_value()) return missing();
      std::size_t n = 0;
      if (!parse_number(value, n) || n == 0 || n > 1'048'576) {
        return bad_value(flag, value, "an integer 1..1048576");
      }
      (arg == "--fd-leak-every" ? o.fd_leak_every : o.leak_kb_per_request) = n;
    } else if (arg == "--slowdown-ms-per-hour") {
      if (!take_value()) return missing();
      int ms = 0;
      if (!parse_number(value, ms) || ms < 1 || ms > 3'600'000) {
        return bad_value(flag, value, "an integer number of milliseconds 1..3600000");
      }
      o.slowdown_ms_per_hour = ms;
    } else if (arg == "--port") {
      if (!take_value()) return missing();
      unsigned p = 0;
      if (!parse_number(value, p) || p > 65535) {
        return bad_value(flag, value, "an integer port 0..65535");
      }
      o.port = static_cast<uint16_t>(p);
    } else if (arg == "--host") {
      if (!take_value()) return missing();
      if (value.empty()) return bad_value(flag, value, "an IP address such as 127.0.0.1");
      o.host = std::string(value);
    } else if (arg == "--stall-ms" || arg == "--stall-every-ms") {
      if (!take_value()) return missing();
      int ms = 0;
      if (!parse_number(value, ms) || ms < 0 || ms > 86'400'000) {
        return bad_value(flag, value, "an integer number of milliseconds 0..86400000");
      }
      (arg == "--stall-ms" ? o.stall_ms : o.stall_every_ms) = ms;
    } else if (arg == "--latency-ms" || arg == "--latency-jitter-ms") {
      if (!take_value()) return missing();
      int ms = 0;
      if (!parse_number(value, ms) || ms < 0 || ms > 3'600'000) {
        return bad_value(flag, value, "an integer number of milliseconds 0..3600000");
      }
      (arg == "--latency-ms" ? o.latency_ms : o.latency_jitter_ms) = ms;
    } else if (arg == "--error-rate") {
      if (!take_value()) return missing();
      double rate = -1;
      if (!parse_number(value, rate) || !(rate >= 0.0 && rate <= 1.0)) {
        return bad_value(flag, value, "a fraction between 0.0 and 1.0");
      }
      o.error_rate = rate;
    } else if (arg == "--threads") {
      if (!take_value()) return missing();
      unsigned n = 0;
      if (!parse_number(value, n) || n < 1 || n > 256) {
        return bad_value(flag, value, "an integer 1..256");
      }
      o.threads = n;
    } else {
      return base::make_error("unknown option '" + std::string(argv[i]) +
                              "' (see endure demo-shop --help)");
    }
  }
  if ((o.stall_ms > 0) != (o.stall_every_ms > 0))
    return base::make_error("--stall-ms and --stall-every-ms go together: both or neither");
  if (o.stall_ms > 0 && o.stall_ms >= o.stall_every_ms)
    return base::make_error("--stall-ms " + std::to_string(o.stall_ms) +
                            " must be shorter than --stall-every-ms " + std::to_string(o.stall_every_ms));
  return o;
}

int demo_shop_main(int argc, char** argv) {
  auto parsed = parse_demo_shop_args(argc, argv);
  if (!parsed) {
    std::cerr << "endure demo-shop: " << parsed.err().message << "\n";
    return static_cast<int>(base::exit_code::usage);
  }
  if (parsed->show_help) {
    std::cout << demo_shop_usage() << std::flush;
    return 0;
  }

  // Block the stop signals before the server threads exist so they inherit the mask and only
  // sigwait() below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigset_t previous;
  pthread_sigmask(SIG_BLOCK, &stop_signals, &previous);

  int rc = 0;
  {
    demo_shop shop(*parsed);
    if (auto started = shop.start(); !started) {
      std::cerr << "endure demo-shop: " << started.err().message << "\n";
      rc = static_cast<int>(base::exit_code::usage);
    } else {
      std::cout << "demo shop listening on " << shop.base_url() << std::endl;
      int sig = 0;
      sigwait(&stop_signals, &sig);
      shop.stop();
    }
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return rc;
}

}  // namespace endure::server
