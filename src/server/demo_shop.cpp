#include "server/demo_shop.hpp"

#include <fcntl.h>

#include <nlohmann/json.hpp>

#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/clock.hpp"
#include "base/rng.hpp"
#include "server/counter_table.hpp"
#include "server/http_server.hpp"

namespace endure::server {

namespace {

using json = nlohmann::json;

constexpr int max_product_id = 250;
constexpr int listed_products = 20;
constexpr std::size_t max_cart_lines = 100;
constexpr int max_quantity = 1000;
constexpr std::size_t leak_block_bytes = 64 * 1024;

constexpr std::array<std::string_view, 10> adjectives = {
    "Classic", "Rugged", "Compact", "Deluxe", "Eco", "Smart", "Vintage", "Ultra", "Mini", "Pro"};
constexpr std::array<std::string_view, 10> nouns = {
    "Mug", "Backpack", "Lamp", "Notebook", "Headphones", "Kettle", "Chair", "Umbrella", "Watch",
    "Bottle"};

std::string product_name(int id) {
  return std::string(adjectives[static_cast<std::size_t>(id) % adjectives.size()]) + " " +
         std::string(nouns[static_cast<std::size_t>(id / 10) % nouns.size()]) + " " +
         std::to_string(id);
}

// Deterministic prices between 4.99 and 99.99, in cents to keep JSON numbers exact.
int product_price_cents(int id) { return 499 + (id * 7919) % 9500; }

json product_json(int id) {
  return json{{"id", id},
              {"name", product_name(id)},
              {"price", static_cast<double>(product_price_cents(id)) / 100.0}};
}

// Per-thread generator: no locks, different seeds per thread and per process.
base::rng& thread_rng() {
  thread_local base::rng r([] {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) ^ rd() ^
           std::hash<std::thread::id>{}(std::this_thread::get_id());
  }());
  return r;
}

std::string random_token() {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out(32, '0');
  uint64_t a = thread_rng().next();
  uint64_t b = thread_rng().next();
  for (std::size_t i = 0; i < 16; ++i) {
    out[i] = hex[a & 0xF];
    a >>= 4;
    out[16 + i] = hex[b & 0xF];
    b >>= 4;
  }
  return out;
}

constexpr std::string_view index_html = R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>endure demo shop</title></head>
<body><h1>endure demo shop</h1>
<p>A small shop to point endure at. Try <a href="/products">/products</a>,
<a href="/products/123">/products/123</a> and <a href="/about/">/about/</a>.</p>
</body></html>
)";

constexpr std::string_view about_html = R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>About - endure demo shop</title></head>
<body><h1>About</h1><p>The demo shop is built into endure as a target for trying it out.</p>
</body></html>
)";

struct session {
  std::string user;
  std::map<int, int> cart;  // product id -> quantity (bounded by max_cart_lines)
};

json cart_json(const std::map<int, int>& cart) {
  json items = json::array();
  int64_t total_cents = 0;
  int64_t count = 0;
  for (const auto& [id, qty] : cart) {
    items.push_back({{"id", id},
                     {"name", product_name(id)},
                     {"quantity", qty},
                     {"price", static_cast<double>(product_price_cents(id)) / 100.0}});
    total_cents += static_cast<int64_t>(product_price_cents(id)) * qty;
    count += qty;
  }
  return json{{"items", std::move(items)},
              {"count", count},
              {"total", static_cast<double>(total_cents) / 100.0}};
}

bool parse_product_id(std::string_view s, int& id) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), id);
  return r.ec == std::errc{} && r.ptr == s.data() + s.size() && id >= 1 && id <= max_product_id;
}

response json_response(int status, const json& j) { return response::json(status, j.dump()); }

}  // namespace

struct demo_shop::state {
  demo_shop_options options;
  http_server server;
  counter_table counters{4096};
  int64_t started_ns = base::mono_now_ns();
  std::vector<std::string> product_bodies;  // index = id
  std::string products_body;

  std::mutex sessions_mu;
  std::unordered_map<std::string, session> sessions;
  std::deque<std::string> session_order;  // login order, for eviction
  std::atomic<uint64_t> orders{0};

  std::mutex leak_mu;
  std::vector<std::unique_ptr<char[]>> leak_blocks;
  std::size_t leak_used_in_block = leak_block_bytes;
  std::atomic<uint64_t> leaked{0};
  std::atomic<uint64_t> fd_requests{0}, fds_leaked{0};

  explicit state(demo_shop_options o)
      : options(std::move(o)), server(http_server_options{options.host, options.port, {}}) {
    product_bodies.resize(max_product_id + 1);
    for (int id = 1; id <= max_product_id; ++id) {
      product_bodies[static_cast<std::size_t>(id)] = product_json(id).dump();
    }
    json list = json::array();
    for (int id = 1; id <= listed_products; ++id) list.push_back(product_json(id));
    products_body = list.dump();
  }

  void leak_some(std::size_t n) {
    std::lock_guard lock(leak_mu);
    std::size_t left = n;
    while (left > 0) {
      if (leak_used_in_block == leak_block_bytes) {
        leak_blocks.push_back(std::make_unique<char[]>(leak_block_bytes));
        leak_used_in_block = 0;
      }
      const std::size_t take = std::min(left, leak_block_bytes - leak_used_in_block);
      // Touch the bytes so they count in RSS, as a real leak would.
      std::memset(leak_blocks.back().get() + leak_used_in_block, 0x5A, take);
      leak_used_in_block += take;
      left -= take;
    }
    leaked.fetch_add(n, std::memory_order_relaxed);
  }

  std::chrono::milliseconds delay_for_request() {
    int64_t ms = options.latency_ms;
    if (options.latency_jitter_ms > 0) {
      ms += static_cast<int64_t>(
          thread_rng().below(static_cast<uint64_t>(options.latency_jitter_ms) + 1));
    }
    if (options.stall_ms > 0 && options.stall_every_ms > 0) {
      // Inside a stall window: held until it ends (rounded up to the next millisecond).
      const int64_t every_ns = int64_t{options.stall_every_ms} * 1'000'000;
      const int64_t phase_ns = (base::mono_now_ns() - started_ns) % every_ns;
      const int64_t stall_ns = int64_t{options.stall_ms} * 1'000'000;
      if (phase_ns < stall_ns) ms += (stall_ns - phase_ns + 999'999) / 1'000'000;
    }
    if (options.leak) {
      const int64_t uptime_s = (base::mono_now_ns() - started_ns) / 1'000'000'000;
      ms += uptime_s / 600;                                                   // +1 ms / 10 min
      ms += static_cast<int64_t>(leaked.load(std::memory_order_relaxed) >> 24);  // +1 ms / 16 MiB
    }
    if (options.slowdown_ms_per_hour > 0) {
      const int64_t uptime_ns = base::mono_now_ns() - started_ns;
      ms += uptime_ns / 1'000'000 * options.slowdown_ms_per_hour / 3'600'000;
    }
    return std::chrono::milliseconds(ms);
  }

  // Every shop route goes through here: count, leak, inject errors, add latency, answer.
  void serve(const request& req, responder res,
             const std::function<response(state&, const request&)>& fn) {
    thread_local std::string key;
    key.assign(req.method);
    key += ' ';
    key += req.path;
    counters.add(key);
    if (options.leak) leak_some(options.leak_bytes_per_request);
    if (options.leak_kb_per_request > 0) leak_some(options.leak_kb_per_request * 1024);
    if (options.fd_leak_every > 0 &&
        fd_requests.fetch_add(1, std::memory_order_relaxed) % options.fd_leak_every == 0) {
      // Opened and never closed, as a forgotten connection or file would be.
      if (::open("/dev/null", O_RDONLY | O_CLOEXEC) >= 0)
        fds_leaked.fetch_add(1, std::memory_order_relaxed);
    }
    response r;
    if (options.error_rate > 0.0 && thread_rng().uniform() < options.error_rate) {
      r = json_response(500, json{{"error", "injected failure (--error-rate)"}});
    } else {
      r = fn(*this, req);
    }
    const auto delay = delay_for_request();
    if (delay.count() > 0) {
      res.send_after(delay, std::move(r));
    } else {
      res.send(std::move(r));
    }
  }

  // Looks up the session named by the request's cookie; calls fn under the sessions lock.
  template <class Fn>
  auto with_session(const request& req, Fn&& fn) -> decltype(fn(static_cast<session*>(nullptr))) {
    const auto id = req.cookie("session");
    std::lock_guard lock(sessions_mu);
    session* s = nullptr;
    if (id) {
      auto it = sessions.find(std::string(*id));
      if (it != sessions.end()) s = &it->second;
    }
    return fn(s);
  }

  std::string new_session(std::string user) {
    std::string id = random_token();
    std::lock_guard lock(sessions_mu);
    while (sessions.size() >= options.max_sessions ||
           session_order.size() >= 2 * options.max_sessions) {
      sessions.erase(session_order.front());
      session_order.pop_front();
    }
    sessions[id] = session{std::move(user), {}};
    session_order.push_back(id);
    return id;
  }

  std::string stats_json() {
    json requests = json::object();
    for (auto& [k, v] : counters.snapshot()) requests[k] = v;
    std::size_t live_sessions = 0;
    {
      std::lock_guard lock(sessions_mu);
      live_sessions = sessions.size();
    }
    const double uptime_s = static_cast<double>(base::mono_now_ns() - started_ns) / 1e9;
    return json{{"requests", std::move(requests)},
                {"total", counters.total()},
                {"sessions", live_sessions},
                {"leaked_bytes", leaked.load(std::memory_order_relaxed)},
                {"leaked_fds", fds_leaked.load(std::memory_order_relaxed)},
                {"uptime_s", uptime_s}}
        .dump();
  }

  void add_routes();
};

void demo_shop::state::add_routes() {
  auto add = [this](std::string method, std::string pattern,
                    std::function<response(state&, const request&)> fn) {
    server.route(std::move(method), std::move(pattern),
                 [this, fn = std::move(fn)](const request& req, responder res) {
                   serve(req, std::move(res), fn);
                 });
  };

  add("GET", "/", [](state&, const request&) {
    return response::text(200, std::string(index_html), "text/html; charset=utf-8");
  });
  add("GET", "/about/", [](state&, const request&) {
    return response::text(200, std::string(about_html), "text/html; charset=utf-8");
  });
  add("GET", "/products", [](state& s, const request&) {
    return response::json(200, s.products_body);
  });
  add("GET", "/products/{id}", [](state& s, const request& req) {
    int id = 0;
    if (!parse_product_id(req.param("id"), id)) {
      return json_response(404, json{{"error", "no such product"}});
    }
    return response::json(200, s.product_bodies[static_cast<std::size_t>(id)]);
  });
  add("POST", "/cart/add/{id}", [](state& s, const request& req) {
    int id = 0;
    if (!parse_product_id(req.param("id"), id)) {
      return json_response(404, json{{"error", "no such product"}});
    }
    int qty = 1;
    if (!req.body.empty()) {
      const json body = json::parse(req.body, nullptr, false);
      if (body.is_object() && body.contains("quantity") && body["quantity"].is_number_integer()) {
        qty = std::clamp(body["quantity"].get<int>(), 1, max_quantity);
      }
    }
    return s.with_session(req, [&](session* sess) {
      if (sess == nullptr) {  // anonymous: a one-line cart that is not kept
        return json_response(201, cart_json({{id, qty}}));
      }
      auto it = sess->cart.find(id);
      if (it == sess->cart.end() && sess->cart.size() >= max_cart_lines) {
        return json_response(409, json{{"error", "cart is full"}});
      }
      int& q = sess->cart[id];
      q = std::min(q + qty, max_quantity);
      return json_response(201, cart_json(sess->cart));
    });
  });
  add("POST", "/login", [](state& s, const request& req) {
    std::string user;
    std::string password;
    const auto ct = req.header("content-type");
    if (ct && ct->find("json") != std::string_view::npos) {
      const json body = json::parse(req.body, nullptr, false);
      if (body.is_object()) {
        if (body.contains("username") && body["username"].is_string()) user = body["username"];
        if (body.contains("password") && body["password"].is_string()) password = body["password"];
      }
    } else {
      for (auto& [k, v] : parse_query(req.body)) {
        if (k == "username") user = v;
        if (k == "password") password = v;
      }
    }
    if (user.empty() || password.empty() || user.size() > 256) {
      return json_response(401, json{{"error", "username and password are required"}});
    }
    const std::string id = s.new_session(user);
    response r = json_response(200, json{{"user", user}, {"logged_in", true}});
    r.header("Set-Cookie", "session=" + id + "; Path=/; HttpOnly");
    return r;
  });
  add("GET", "/cart", [](state& s, const request& req) {
    return s.with_session(req, [&](session* sess) {
      if (sess == nullptr) return json_response(401, json{{"error", "login required"}});
      return json_response(200, cart_json(sess->cart));
    });
  });
  add("POST", "/checkout", [](state& s, const request& req) {
    return s.with_session(req, [&](session* sess) {
      if (sess == nullptr) return json_response(401, json{{"error", "login required"}});
      if (sess->cart.empty()) return json_response(409, json{{"error", "cart is empty"}});
      json cart = cart_json(sess->cart);
      sess->cart.clear();
      const uint64_t n = s.orders.fetch_add(1, std::memory_order_relaxed) + 1;
      return json_response(200, json{{"order_id", "order-" + std::to_string(n)},
                                     {"total", cart["total"]},
                                     {"count", cart["count"]}});
    });
  });
  add("POST", "/logout", [](state& s, const request& req) {
    const auto id = req.cookie("session");
    if (id) {
      std::lock_guard lock(s.sessions_mu);
      s.sessions.erase(std::string(*id));  // its entry in session_order ages out
    }
    response r = json_response(200, json{{"logged_out", true}});
    r.header("Set-Cookie", "session=; Path=/; Max-Age=0");
    return r;
  });
  server.route("GET", "/__stats", [this](const request&, responder res) {
    res.send(response::json(200, stats_json()));
  });
  server.fallback([this](const request& req, responder res) {
    serve(req, std::move(res), [](state&, const request&) {
      return json_response(404, json{{"error", "not found"}});
    });
  });
}

demo_shop::demo_shop(demo_shop_options options)
    : state_(std::make_unique<state>(std::move(options))) {
  state_->add_routes();
}

demo_shop::~demo_shop() { stop(); }

base::result<base::unit> demo_shop::start() {
  state_->started_ns = base::mono_now_ns();
  return state_->server.start(state_->options.threads);
}

void demo_shop::stop() { state_->server.stop(); }
uint16_t demo_shop::port() const { return state_->server.port(); }
std::string demo_shop::base_url() const { return state_->server.base_url(); }
uint64_t demo_shop::count(std::string_view key) const { return state_->counters.count(key); }
uint64_t demo_shop::total() const { return state_->counters.total(); }
uint64_t demo_shop::leaked_fds() const {
  return state_->fds_leaked.load(std::memory_order_relaxed);
}

uint64_t demo_shop::leaked_bytes() const {
  return state_->leaked.load(std::memory_order_relaxed);
}

std::string demo_shop::stats_json() const { return state_->stats_json(); }

}  // namespace endure::server
