#include "support/test_server.hpp"

#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include <charconv>
#include <cstdio>
#include <stdexcept>

#include "server/counter_table.hpp"
#include "server/http_server.hpp"
#include "support/self_signed_cert.hpp"

namespace endure::test_support {

namespace {

using json = nlohmann::json;
using server::request;
using server::responder;
using server::response;

template <class T>
T number_param(const request& req, std::string_view name, T fallback, T lo, T hi) {
  const auto v = req.query_param(name);
  if (!v) return fallback;
  T out{};
  const auto r = std::from_chars(v->data(), v->data() + v->size(), out);
  if (r.ec != std::errc{}) return fallback;
  return std::clamp(out, lo, hi);
}

template <class T>
bool parse_whole(std::string_view s, T& out) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && r.ec == std::errc{} && r.ptr == s.data() + s.size();
}

std::string base64_decode(std::string_view in) {
  std::string out(3 * ((in.size() + 3) / 4), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  if (n < 0) return {};
  std::size_t len = static_cast<std::size_t>(n);
  // EVP_DecodeBlock counts padding as output bytes: drop one per '='.
  for (std::size_t i = in.size(); i > 0 && in[i - 1] == '=' && len > 0; --i) --len;
  out.resize(len);
  return out;
}

std::string products_json() {
  json list = json::array();
  for (int id = 1; id <= 20; ++id) {
    list.push_back({{"id", id},
                    {"name", "Product " + std::to_string(id)},
                    {"price", static_cast<double>(499 + id * 100) / 100.0}});
  }
  return list.dump();
}

}  // namespace

struct test_server::state {
  std::string cert_pem;
  server::counter_table counters{4096};
  std::unique_ptr<server::http_server> http;
  std::string json_body = products_json();

  void count(const request& req) {
    thread_local std::string key;
    key.assign(req.method);
    key += ' ';
    key += req.path;
    counters.add(key);
  }

  // Registers a route for any method that counts itself first.
  template <class Fn>
  void add(const std::string& pattern, Fn fn) {
    http->route("", pattern, [this, fn = std::move(fn)](const request& req, responder res) {
      count(req);
      fn(req, std::move(res));
    });
  }

  void add_routes();
};

void test_server::state::add_routes() {
  add("/fast", [](const request&, responder res) { res.send(response::text(200, "ok\n")); });
  add("/slow", [](const request& req, responder res) {
    const int ms = number_param(req, "ms", 100, 0, 600'000);
    res.send_after(std::chrono::milliseconds(ms), response::text(200, "slow\n"));
  });
  add("/status/{code}", [](const request& req, responder res) {
    int code = 0;
    if (!parse_whole(req.param("code"), code) || code < 100 || code > 599) {
      res.send(response::text(400, "status must be 100..599\n"));
      return;
    }
    res.send(response::text(code, "status " + std::to_string(code) + "\n"));
  });
  add("/redirect", [](const request& req, responder res) {
    response r = response::text(302, "redirect\n");
    r.header("Location", std::string(req.query_param("to").value_or("/fast")));
    res.send(std::move(r));
  });
  add("/redirect/{n}", [](const request& req, responder res) {
    int n = 0;
    if (!parse_whole(req.param("n"), n) || n < 0 || n > 10'000) {
      res.send(response::text(400, "n must be 0..10000\n"));
      return;
    }
    response r = response::text(302, "redirect\n");
    r.header("Location", n <= 1 ? std::string("/fast") : "/redirect/" + std::to_string(n - 1));
    res.send(std::move(r));
  });
  add("/redirect-loop", [](const request&, responder res) {
    response r = response::text(302, "loop\n");
    r.header("Location", "/redirect-loop");
    res.send(std::move(r));
  });
  add("/absolute-redirect", [this](const request& req, responder res) {
    std::string to(req.query_param("to").value_or("/fast"));
    if (!to.empty() && to.front() == '/') to = http->base_url() + to;
    response r = response::text(302, "redirect\n");
    r.header("Location", std::move(to));
    res.send(std::move(r));
  });
  add("/chunked", [](const request& req, responder res) {
    const std::size_t n = number_param<std::size_t>(req, "n", 4, 1, 100'000);
    std::string body;
    body.reserve(n * 11);
    char line[16];
    for (std::size_t i = 0; i < n; ++i) {
      std::snprintf(line, sizeof line, "chunk %04zu\n", i % 10'000);
      body += line;
    }
    response r = response::text(200, std::move(body));
    r.chunks = n;
    res.send(std::move(r));
  });
  auto compressible = [] {
    std::string body;
    for (int i = 0; i < 200; ++i) body += "endure compresses this line well. ";
    return body;
  };
  add("/gzip", [compressible](const request&, responder res) {
    response r = response::text(200, compressible());
    r.compress = server::content_coding::gzip;
    res.send(std::move(r));
  });
  add("/deflate", [compressible](const request&, responder res) {
    response r = response::text(200, compressible());
    r.compress = server::content_coding::deflate;
    res.send(std::move(r));
  });
  add("/set-cookie", [](const request& req, responder res) {
    json set = json::object();
    response r;
    for (const auto& [k, v] : req.query) {
      r.header("Set-Cookie", k + "=" + v + "; Path=/");
      set[k] = v;
    }
    r.content_type = "application/json";
    r.body = set.dump();
    res.send(std::move(r));
  });
  add("/cookies", [](const request& req, responder res) {
    json cookies = json::object();
    for (const auto& [name, value] : req.headers) {
      if (!server::iequals(name, "cookie")) continue;
      std::string_view rest = value;
      while (!rest.empty()) {
        const auto semi = rest.find(';');
        std::string_view item = rest.substr(0, semi);
        rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        const auto eq = item.find('=');
        if (eq == std::string_view::npos || eq == 0) continue;
        cookies[std::string(item.substr(0, eq))] = std::string(item.substr(eq + 1));
      }
    }
    res.send(response::json(200, cookies.dump()));
  });
  add("/echo", [](const request& req, responder res) {
    json query = json::object();
    for (const auto& [k, v] : req.query) query[k] = v;
    json headers = json::object();
    for (const auto& [k, v] : req.headers) {
      const std::string key(k);
      if (headers.contains(key)) {
        headers[key] = headers[key].get<std::string>() + ", " + std::string(v);
      } else {
        headers[key] = std::string(v);
      }
    }
    json body = json{{"method", std::string(req.method)},
                     {"path", req.path},
                     {"query", std::move(query)},
                     {"headers", std::move(headers)},
                     // Invalid UTF-8 would make dump() throw: replace it.
                     {"body", req.body}};
    res.send(response::json(200, body.dump(-1, ' ', false, json::error_handler_t::replace)));
  });
  add("/close", [](const request&, responder res) {
    response r = response::text(200, "closing\n");
    r.close = true;
    res.send(std::move(r));
  });
  add("/basic-auth/{user}/{pass}", [](const request& req, responder res) {
    const std::string expected = std::string(req.param("user")) + ":" +
                                 std::string(req.param("pass"));
    const auto auth = req.header("authorization");
    bool ok = false;
    if (auth && auth->size() > 6 && server::iequals(auth->substr(0, 6), "basic ")) {
      ok = base64_decode(auth->substr(6)) == expected;
    }
    if (!ok) {
      response r = response::text(401, "unauthorized\n");
      r.header("WWW-Authenticate", "Basic realm=\"endure-test\"");
      res.send(std::move(r));
      return;
    }
    res.send(response::json(
        200, json{{"authenticated", true}, {"user", std::string(req.param("user"))}}.dump()));
  });
  add("/large", [](const request& req, responder res) {
    const std::size_t bytes =
        number_param<std::size_t>(req, "bytes", std::size_t{1} << 20, 0, std::size_t{64} << 20);
    std::string body(bytes, 'x');
    for (std::size_t i = 63; i < bytes; i += 64) body[i] = '\n';
    res.send(response::text(200, std::move(body)));
  });
  add("/json", [this](const request&, responder res) {
    res.send(response::json(200, json_body));
  });
  add("/http10", [](const request&, responder res) {
    res.send(response::raw_bytes(
        "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhttp/1.0 body, delimited by close\n",
        server::raw_end::close));
  });
  http->fallback([this](const request& req, responder res) {
    count(req);
    res.send(response::text(404, "not found\n"));
  });
}

test_server::test_server(test_server_options options) : state_(std::make_unique<state>()) {
  server::http_server_options http_options;
  http_options.host = "127.0.0.1";
  http_options.port = 0;
  if (options.tls) {
    auto cert = make_self_signed_cert();
    state_->cert_pem = cert.cert_pem;
    http_options.tls = server::tls_options{cert.cert_pem, cert.key_pem, {}, {}};
  }
  state_->http = std::make_unique<server::http_server>(std::move(http_options));
  state_->add_routes();
  if (auto started = state_->http->start(options.threads); !started) {
    throw std::runtime_error("test_server: " + started.err().message);
  }
}

test_server::~test_server() { stop(); }

std::unique_ptr<test_server> test_server::start_tls() {
  return std::make_unique<test_server>(test_server_options{true, 1});
}

uint16_t test_server::port() const { return state_->http->port(); }
std::string test_server::base_url() const { return state_->http->base_url(); }
bool test_server::is_tls() const { return state_->http->is_tls(); }
const std::string& test_server::ca_cert_pem() const { return state_->cert_pem; }
uint64_t test_server::count(std::string_view key) const { return state_->counters.count(key); }
uint64_t test_server::total() const { return state_->counters.total(); }
void test_server::reset() { state_->counters.reset(); }
void test_server::stop() { state_->http->stop(); }

}  // namespace endure::test_support
