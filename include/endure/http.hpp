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

namespace endure {

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
};

namespace detail {

// Everything known about one completed request. Owned by the response object; the engine pools
// them (with their strings' capacity) through user_runtime::recycle.
struct response_data {
  std::string method, name, url, request_url;
  int status = 0;
  std::string reason;
  header_list headers;
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

// A response. With catch_response, the outcome is recorded when this object is destroyed:
// failure() or success() decide; without a decision, status >= 400 or a transport error fails.
class response {
 public:
  response() = default;
  explicit response(detail::response_data_ptr d) : d_(std::move(d)) {}
  response(response&&) noexcept = default;
  response& operator=(response&& o) noexcept {
    if (this != &o) {
      finish();
      d_ = std::move(o.d_);
    }
    return *this;
  }
  ~response() { finish(); }

  int status_code() const { return d_ ? d_->status : 0; }
  const std::string& reason() const { return d_->reason; }
  const std::string& text() const { return d_->body; }
  const std::string& content() const { return d_->body; }
  // Parses the body as JSON; throws json::parse_error on invalid JSON (recorded as an exception
  // of the task, like Python's response.json()).
  nlohmann::json json() const { return nlohmann::json::parse(d_->body); }
  const header_list& headers() const { return d_->headers; }
  // First header with this name (case-insensitive), or empty.
  std::string header(std::string_view name) const {
    for (const auto& [k, v] : d_->headers) {
      if (k.size() != name.size()) continue;
      bool same = true;
      for (size_t i = 0; i < k.size() && same; ++i) {
        char a = k[i], b = name[i];
        if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
        if (b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
        same = a == b;
      }
      if (same) return v;
    }
    return {};
  }
  const std::string& url() const { return d_->url; }
  std::chrono::microseconds elapsed() const {
    return std::chrono::microseconds((d_->done_ns - d_->start_ns) / 1000);
  }
  // True when a response arrived with status < 400.
  bool ok() const { return d_ && d_->error.empty() && d_->status > 0 && d_->status < 400; }
  // The transport error ("ConnectionRefusedError: connection refused"), empty if none.
  const std::string& error() const { return d_->error; }
  uint64_t content_size() const { return d_->content_bytes; }

  // catch_response only: mark this request as a success or a failure with a message.
  void success() { d_->manual = detail::response_data::verdict::success; }
  void failure(std::string message) {
    d_->manual = detail::response_data::verdict::failure;
    d_->failure_message = std::move(message);
  }

  // Reports now instead of at destruction (no-op when already reported).
  void finish() noexcept {
    if (d_) detail::report_if_due(*d_);
  }

 private:
  detail::response_data_ptr d_;
};

class http_client;

// The awaitable a request returns. Keep it in a co_await expression.
class [[nodiscard]] request_awaitable {
 public:
  request_awaitable(detail::user_runtime* rt, std::string_view method, std::string url,
                    request_options opts)
      : rt_(rt), method_(method), url_(std::move(url)), opts_(std::move(opts)) {}
  // Without options (the common case: nothing to build, move or destroy).
  request_awaitable(detail::user_runtime* rt, std::string_view method, std::string url)
      : rt_(rt), method_(method), url_(std::move(url)) {}
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
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
};

// Locust's HttpSession: one per user, keep-alive connections and a cookie jar of its own.
class http_client {
 public:
  // Note: g++ 12 miscompiles aggregate temporaries inside co_await expressions (a braced
  // request_options written in the call, or a defaulted one). The overloads without options avoid
  // the defaulted case; endure compiles locustfiles with clang++ when it is installed, which
  // handles `co_await client.get(url, {.catch_response = true})` correctly.
  request_awaitable get(std::string url) { return req("GET", url); }
  request_awaitable get(std::string url, request_options o) { return req("GET", url, o); }
  request_awaitable post(std::string url) { return req("POST", url); }
  request_awaitable post(std::string url, request_options o) { return req("POST", url, o); }
  request_awaitable put(std::string url) { return req("PUT", url); }
  request_awaitable put(std::string url, request_options o) { return req("PUT", url, o); }
  request_awaitable patch(std::string url) { return req("PATCH", url); }
  request_awaitable patch(std::string url, request_options o) { return req("PATCH", url, o); }
  request_awaitable del(std::string url) { return req("DELETE", url); }
  request_awaitable del(std::string url, request_options o) { return req("DELETE", url, o); }
  request_awaitable head(std::string url) { return req("HEAD", url); }
  request_awaitable head(std::string url, request_options o) { return req("HEAD", url, o); }
  request_awaitable options(std::string url) { return req("OPTIONS", url); }
  request_awaitable options(std::string url, request_options o) { return req("OPTIONS", url, o); }
  // Any method. `method` must outlive the co_await (a literal, or a string you keep).
  request_awaitable request(std::string_view method, std::string url) { return req(method, url); }
  request_awaitable request(std::string_view method, std::string url, request_options o) {
    return req(method, url, o);
  }

  // Headers sent with every request of this user (Locust's client.headers).
  header_list& headers() { return rt_->default_headers(); }
  void set_cookie(std::string_view name, std::string_view value, std::string_view domain = "",
                  std::string_view path = "/") {
    rt_->set_cookie(name, value, domain, path);
  }
  std::optional<std::string> cookie(std::string_view name) { return rt_->cookie(name); }
  void clear_cookies() { rt_->clear_cookies(); }
  const std::string& base_url() const { return rt_->host(); }

  void bind(detail::user_runtime* rt) { rt_ = rt; }  // engine use

 private:
  request_awaitable req(std::string_view m, std::string& url, request_options& o) {
    return request_awaitable(rt_, m, std::move(url), std::move(o));
  }
  request_awaitable req(std::string_view m, std::string& url) {
    return request_awaitable(rt_, m, std::move(url));
  }
  detail::user_runtime* rt_ = nullptr;
};

}  // namespace endure
