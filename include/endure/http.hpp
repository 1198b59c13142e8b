// The HTTP client a C++ user holds (Locust's self.client) and the response it returns.
// Requests are awaited: `auto r = co_await client.get("/path");`. Everything runs on the user's
// shard thread. No Boost or Asio here: the engine implements detail::user_runtime.
#pragma once
#include <chrono>
#include <coroutine>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "endure/control.hpp"
#include "endure/format.hpp"

namespace endure {

class environment;

using json = nlohmann::json;
using header_list = std::vector<std::pair<std::string, std::string>>;

// Options of one request, in Locust's vocabulary. Use designated initializers:
//   client.post("/cart/add/1", {.json = {{"quantity", 1}}, .catch_response = true})
struct request_options {
  std::string name;            // groups statistics under this name instead of the URL path
  header_list headers;         // extra headers for this request
  header_list params;          // query parameters, url-encoded and appended
  nlohmann::json json = nullptr;  // a JSON body (sets Content-Type: application/json); null: none
  header_list data;            // form fields (application/x-www-form-urlencoded)
  std::string body;            // a raw body, sent as is
  header_list cookies;         // extra cookies for this request only
  std::optional<std::pair<std::string, std::string>> auth;  // HTTP basic auth (user, password)
  bool allow_redirects = true;
  std::optional<std::chrono::milliseconds> timeout;         // whole request; default --request-timeout
  std::optional<bool> verify;  // false: do not verify the TLS certificate for this request
  bool catch_response = false; // the script decides success/failure; reported when the
                               // response goes out of scope (Locust's `with ... as response`)
  nlohmann::json context = nullptr;  // handed to request listeners (Locust's context=)
};

namespace detail {

// Everything known about one completed request. Owned by the response object; the engine pools
// them (with their strings' capacity) through user_runtime::recycle.
struct response_data {
  std::string method, name, url, request_url;
  int status = 0;
  std::string reason;
  // The response head as received, and four offsets per field into it (name offset and length,
  // value offset and length): headers() makes `headers` from them on first use.
  std::string head_bytes;
  std::vector<uint32_t> head_spans;
  header_list headers;
  bool headers_made = false;
  std::string body;
  uint64_t content_bytes = 0;
  std::string error;                     // transport error, empty if a response arrived
  int64_t start_ns = 0, done_ns = 0;     // monotonic
  int64_t intended_start_ns = 0;         // for coordinated-omission correction
  bool catch_response = false;
  bool named = false;  // name= was given (the statistics name is not the URL)
  bool reported = false;
  enum class verdict { none, success, failure } manual = verdict::none;
  std::string failure_message;
  nlohmann::json context = nullptr;  // from request_options::context
  nlohmann::json parsed = nullptr;   // the body parsed by response::json(), once
  bool has_parsed = false;
  struct user_runtime* runtime = nullptr;
};

// Implemented by the engine; one per user. Calls happen on the user's shard thread.
struct user_runtime {
  virtual ~user_runtime() = default;
  // Starts the request (opts: nullptr for none); fills *out and resumes `h` on completion (never
  // inline).
  virtual void send(std::string_view method, std::string url, request_options* opts,
                    response_data* out, std::coroutine_handle<> h) = 0;
  // True when the user was killed while suspended: the awaiter throws detail::user_killed.
  virtual bool is_killed() const = 0;
  // Records the outcome of a finished request (success or failure) in the statistics.
  virtual void report(response_data& r) = 0;
  virtual void sleep(std::chrono::nanoseconds d, std::coroutine_handle<> h) = 0;
  virtual header_list& default_headers() = 0;
  virtual void set_cookie(std::string_view name, std::string_view value, std::string_view domain,
                          std::string_view path) = 0;
  virtual std::optional<std::string> cookie(std::string_view name) = 0;
  virtual void clear_cookies() = 0;
  virtual const std::string& host() const = 0;
  // A response_data for the next request (from the engine's pool), and its return.
  virtual response_data* new_response_data() = 0;
  virtual void recycle(response_data* d) noexcept = 0;
  // A request awaitable was destroyed without being awaited: nothing was sent. Recorded as an
  // exception of the task, so the mistake is seen.
  virtual void not_awaited(std::string_view method, const std::string& url) noexcept = 0;
  // The test's environment (events, options, totals, quit).
  virtual environment& env() = 0;
};

struct response_data_deleter {
  void operator()(response_data* d) const noexcept {
    if (d->runtime != nullptr)
      d->runtime->recycle(d);
    else
      delete d;
  }
};
using response_data_ptr = std::unique_ptr<response_data, response_data_deleter>;

inline void report_if_due(response_data& d) noexcept {
  if (d.reported || !d.runtime) return;
  d.reported = true;
  try {
    d.runtime->report(d);
  } catch (...) {
    // Recording never throws in practice; a destructor must not.
  }
}

}  // namespace detail

namespace detail {
// What a response with no data (default-constructed, or moved from) answers: status 0, empty.
inline const response_data& no_response_data() {
  static const response_data empty{};
  return empty;
}
}  // namespace detail

// Read access to a response: what a request listener gets, and the base of `response`. Every
// accessor is safe on an empty one (status 0, empty strings and headers).
class response_view {
 public:
  response_view() = default;
  explicit response_view(detail::response_data* d) : p_(d) {}

  int status_code() const { return d().status; }
  const std::string& reason() const { return d().reason; }
  const std::string& text() const { return d().body; }
  const std::string& content() const { return d().body; }
  // The body parsed as JSON, once (later calls return the same object, which you may modify).
  // Throws json::parse_error on invalid JSON (an exception of the task, recorded like Python's
  // response.json() raising).
  nlohmann::json& json() const {
    if (p_ == nullptr) {
      // No response: parse the empty body, which throws json::parse_error as it would.
      static thread_local nlohmann::json none;
      none = nlohmann::json::parse(std::string_view());
      return none;
    }
    if (!p_->has_parsed) {
      p_->parsed = nlohmann::json::parse(p_->body);
      p_->has_parsed = true;
    }
    return p_->parsed;
  }
  // The headers as (name, value) pairs, in the order received (made on first use).
  const header_list& headers() const {
    if (p_ != nullptr && !p_->headers_made) {
      const auto& s = p_->head_spans;
      p_->headers.resize(s.size() / 4);
      for (size_t i = 0; i + 3 < s.size(); i += 4) {
        p_->headers[i / 4].first.assign(p_->head_bytes, s[i], s[i + 1]);
        p_->headers[i / 4].second.assign(p_->head_bytes, s[i + 2], s[i + 3]);
      }
      p_->headers_made = true;
    }
    return d().headers;
  }
  // First header with this name (case-insensitive), or empty.
  std::string header(std::string_view name) const {
    const auto& s = d().head_spans;
    const std::string& bytes = d().head_bytes;
    for (size_t f = 0; f + 3 < s.size(); f += 4) {
      std::string_view k(bytes.data() + s[f], s[f + 1]), v(bytes.data() + s[f + 2], s[f + 3]);
      if (k.size() != name.size()) continue;
      bool same = true;
      for (size_t i = 0; i < k.size() && same; ++i) {
        char a = k[i], b = name[i];
        if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
        if (b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
        same = a == b;
      }
      if (same) return std::string(v);
    }
    return {};
  }
  // The final URL (after redirects).
  const std::string& url() const { return d().url; }
  std::chrono::microseconds elapsed() const {
    return std::chrono::microseconds((d().done_ns - d().start_ns) / 1000);
  }
  // True when a response arrived with status < 400.
  bool ok() const { return d().error.empty() && d().status > 0 && d().status < 400; }
  // The transport error ("ConnectionRefusedError: connection refused"), empty if none.
  const std::string& error() const { return d().error; }
  uint64_t content_size() const { return d().content_bytes; }
  explicit operator bool() const { return p_ != nullptr; }

 protected:
  const detail::response_data& d() const { return p_ ? *p_ : detail::no_response_data(); }
  detail::response_data* p_ = nullptr;
};

// A response. With catch_response, the outcome is recorded when this object is destroyed (or
// assigned over, or at finish()): failure() or success() decide; without a decision, status >= 400
// or a transport error fails. A default-constructed response is empty and safe to query.
class response : public response_view {
 public:
  response() = default;
  explicit response(detail::response_data_ptr d) : own_(std::move(d)) { p_ = own_.get(); }
  response(response&& o) noexcept : own_(std::move(o.own_)) {
    p_ = own_.get();
    o.p_ = nullptr;
  }
  response& operator=(response&& o) noexcept {
    if (this != &o) {
      finish();
      own_ = std::move(o.own_);
      p_ = own_.get();
      o.p_ = nullptr;
    }
    return *this;
  }
  ~response() { finish(); }

  // catch_response only: mark this request as a success or a failure with a message.
  void success() {
    if (p_) p_->manual = detail::response_data::verdict::success;
  }
  void failure(std::string message) {
    if (!p_) return;
    p_->manual = detail::response_data::verdict::failure;
    p_->failure_message = std::move(message);
  }
  // With "{}" placeholders: r.failure("Failed to add to cart: {}", r.status_code())
  template <class A, class... Rest>
  void failure(std::string_view fmt, A&& a, Rest&&... rest) {
    failure(endure::format(fmt, std::forward<A>(a), std::forward<Rest>(rest)...));
  }

  // Reports now instead of at destruction (no-op when already reported).
  void finish() noexcept {
    if (own_) detail::report_if_due(*own_);
  }

 private:
  detail::response_data_ptr own_;
};

class http_client;

// The awaitable a request returns: nothing is sent until it is awaited. Keep it in a co_await
// expression (`auto r = co_await client.get("/")`); endure compiles locustfiles with
// -Werror=unused-result, so a request whose co_await is forgotten does not compile.
class [[nodiscard("endure: a request does nothing until it is awaited: write co_await client.get(...)")]]
request_awaitable {
 public:
  // Options are copied (an lvalue) or moved (a temporary) once, straight into the awaitable.
  request_awaitable(detail::user_runtime* rt, std::string_view method, std::string url,
                    const request_options& opts)
      : rt_(rt), method_(method), url_(std::move(url)), opts_(opts) {}
  request_awaitable(detail::user_runtime* rt, std::string_view method, std::string url,
                    request_options&& opts)
      : rt_(rt), method_(method), url_(std::move(url)), opts_(std::move(opts)) {}
  // Without options (the common case: nothing to build, move or destroy).
  request_awaitable(detail::user_runtime* rt, std::string_view method, std::string url)
      : rt_(rt), method_(method), url_(std::move(url)) {}
  request_awaitable(request_awaitable&& o) noexcept
      : rt_(std::exchange(o.rt_, nullptr)),
        method_(o.method_),
        url_(std::move(o.url_)),
        opts_(std::move(o.opts_)),
        data_(std::move(o.data_)),
        awaited_(o.awaited_) {}
  request_awaitable& operator=(request_awaitable&&) = delete;
  // A request stored in a variable and never awaited (`auto r = client.get("/");` with no
  // co_await) is reported, since it silently did nothing.
  ~request_awaitable() {
    if (rt_ != nullptr && !awaited_) rt_->not_awaited(method_, url_);
  }
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    awaited_ = true;
    data_.reset(rt_->new_response_data());
    data_->catch_response = opts_ && opts_->catch_response;
    rt_->send(method_, std::move(url_), opts_ ? &*opts_ : nullptr, data_.get(), h);
  }
  response await_resume() {
    if (rt_->is_killed()) throw detail::user_killed{};
    return response(std::move(data_));
  }

 private:
  detail::user_runtime* rt_;
  std::string_view method_;
  std::string url_;
  std::optional<request_options> opts_;
  detail::response_data_ptr data_;
  bool awaited_ = false;
};

// Locust's HttpSession: one per user, keep-alive connections and a cookie jar of its own.
class http_client {
 public:
  // Note: g++ 12 miscompiles aggregate temporaries inside co_await expressions (a braced
  // request_options written in the call, or a defaulted one). The overloads without options avoid
  // the defaulted case; endure compiles locustfiles with clang++ when it is installed, which
  // handles `co_await client.get(url, {.catch_response = true})` correctly.
  request_awaitable get(std::string url) { return req("GET", url); }
  request_awaitable get(std::string url, const request_options& o) { return req("GET", url, o); }
  request_awaitable get(std::string url, request_options&& o) { return req("GET", url, std::move(o)); }
  request_awaitable post(std::string url) { return req("POST", url); }
  request_awaitable post(std::string url, const request_options& o) { return req("POST", url, o); }
  request_awaitable post(std::string url, request_options&& o) { return req("POST", url, std::move(o)); }
  request_awaitable put(std::string url) { return req("PUT", url); }
  request_awaitable put(std::string url, const request_options& o) { return req("PUT", url, o); }
  request_awaitable put(std::string url, request_options&& o) { return req("PUT", url, std::move(o)); }
  request_awaitable patch(std::string url) { return req("PATCH", url); }
  request_awaitable patch(std::string url, const request_options& o) { return req("PATCH", url, o); }
  request_awaitable patch(std::string url, request_options&& o) { return req("PATCH", url, std::move(o)); }
  request_awaitable del(std::string url) { return req("DELETE", url); }
  request_awaitable del(std::string url, const request_options& o) { return req("DELETE", url, o); }
  request_awaitable del(std::string url, request_options&& o) { return req("DELETE", url, std::move(o)); }
  request_awaitable head(std::string url) { return req("HEAD", url); }
  request_awaitable head(std::string url, const request_options& o) { return req("HEAD", url, o); }
  request_awaitable head(std::string url, request_options&& o) { return req("HEAD", url, std::move(o)); }
  request_awaitable options(std::string url) { return req("OPTIONS", url); }
  request_awaitable options(std::string url, const request_options& o) { return req("OPTIONS", url, o); }
  request_awaitable options(std::string url, request_options&& o) { return req("OPTIONS", url, std::move(o)); }
  // Any method. `method` must outlive the co_await (a literal, or a string you keep).
  request_awaitable request(std::string_view method, std::string url) { return req(method, url); }
  request_awaitable request(std::string_view method, std::string url, const request_options& o) {
    return req(method, url, o);
  }
  request_awaitable request(std::string_view method, std::string url, request_options&& o) {
    return req(method, url, std::move(o));
  }

  // Headers sent with every request of this user (Locust's client.headers).
  header_list& headers() { return rt_->default_headers(); }
  void set_cookie(std::string_view name, std::string_view value, std::string_view domain = "",
                  std::string_view path = "/") {
    rt_->set_cookie(name, value, domain, path);
  }
  // The value of a cookie in this user's jar, or std::nullopt when it has none by that name:
  //   if (auto sid = client.cookie("session")) use(*sid);
  std::optional<std::string> cookie(std::string_view name) { return rt_->cookie(name); }
  void clear_cookies() { rt_->clear_cookies(); }
  const std::string& base_url() const { return rt_->host(); }

  void bind(detail::user_runtime* rt) { rt_ = rt; }  // engine use

 private:
  request_awaitable req(std::string_view m, std::string& url, const request_options& o) {
    return request_awaitable(rt_, m, std::move(url), o);
  }
  request_awaitable req(std::string_view m, std::string& url, request_options&& o) {
    return request_awaitable(rt_, m, std::move(url), std::move(o));
  }
  request_awaitable req(std::string_view m, std::string& url) {
    return request_awaitable(rt_, m, std::move(url));
  }
  detail::user_runtime* rt_ = nullptr;
};

}  // namespace endure
