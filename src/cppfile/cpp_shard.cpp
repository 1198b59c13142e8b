#include "cppfile/cpp_shard.hpp"

#include <cxxabi.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cmath>
#include <cstdlib>
#include <future>
#include <list>
#include <map>
#include <thread>
#include <typeinfo>
#include <unordered_map>
#include <unordered_set>

#include "base/clock.hpp"
#include "base/log.hpp"
#include "cppfile/cpp_environment.hpp"
#include "endure/endure.hpp"
#include "engine/plan.hpp"
#include "http/cookie_jar.hpp"
#include "rules/body.hpp"
#include "stats/histogram.hpp"
#include "rules/naming.hpp"
#include "rules/outcome.hpp"

namespace asio = boost::asio;

namespace endure::cppfile {

using engine::weighted_picker;

namespace {

// A coroutine nobody awaits: starts at once and frees itself at the end.
struct detached {
  struct promise_type {
    detached get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }  // main() catches everything
  };
};

std::string demangle(const char* name) {
  int status = 0;
  char* d = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  std::string out = (status == 0 && d) ? d : name;
  std::free(d);
  return out;
}

}  // namespace

struct class_plan {
  std::vector<const detail::task_entry*> tasks;
  weighted_picker picker;
};

class cpp_user;

struct cpp_shard::impl {
  int index;
  const engine::shard_config& config;
  cpp_shard& owner;
  std::shared_ptr<cpp_environment> env;
  // The request hook, read on every request: its listener list is fixed once the test starts.
  const request_hook* request_events = nullptr;
  // The current test's settings and shared counters (set on this thread by begin_test).
  std::shared_ptr<const engine::test_settings> settings;
  std::shared_ptr<engine::test_shared> test;
  base::rng seeds;  // users' seeds, from the test's seed and the shard index
  std::vector<uint64_t> assigned;  // users per class the controller asked of this shard
  engine::loop_heartbeat heartbeat;
  // Where the user running now is, readable from the control thread for a stuck report. Set at
  // each task start (two relaxed stores); the names they point to live as long as the process.
  std::atomic<const detail::class_spec*> cur_class{nullptr};
  std::atomic<const char*> cur_task{nullptr};
  // Finished responses of this shard's users, kept for the next requests with their strings'
  // capacity (bounded; large bodies are not kept).
  static constexpr size_t max_spare_responses = 1024;
  std::vector<std::unique_ptr<detail::response_data>> spare_responses;
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
  std::unique_ptr<client::transport> transport;
  asio::steady_timer beat_timer{io};
  stats::shard_recorder recorder;
  std::thread thread;
  std::atomic<bool> finished{false};
  std::map<std::pair<const detail::class_spec*, bool>, class_plan> plans;
  std::vector<std::list<cpp_user*>> users_by_class;
  // Kinds of name= failures this shard has passed on to the log (see cpp_user::report).
  std::unordered_set<std::string> named_failures;

  impl(int i, const engine::shard_config& c, cpp_shard& o, std::shared_ptr<cpp_environment> e)
      : index(i),
        config(c),
        owner(o),
        env(e ? std::move(e) : std::make_shared<cpp_environment>()),
        live_by_class(c.classes.size()) {
    transport = std::make_unique<client::transport>(io, c.client);
    request_events = &env->events().request;
  }

  void beat(int64_t due_ns) {
    heartbeat.beat(due_ns, base::mono_now_ns());
    const int64_t next = base::mono_now_ns() +
                         std::chrono::nanoseconds(engine::loop_heartbeat::period).count();
    beat_timer.expires_after(engine::loop_heartbeat::period);
    beat_timer.async_wait([this, next](const boost::system::error_code& ec) {
      if (!ec) beat(next);
    });
  }
  // Makes a user of the class (started by the caller).
  cpp_user* spawn_one(size_t class_index);
  std::vector<std::atomic<uint64_t>> live_by_class;  // users alive per class, read by the controller
  bool stopping_all = false;  // stop_all() was called: no replacements, no arrivals
  // The open model.
  struct arrival_class {
    double rate = 0;               // arrivals per second on this shard
    uint64_t max_users = 0;        // the pool's cap on this shard
    uint64_t pool = 0;             // users of the pool alive (busy, idle or starting)
    int64_t next_ns = 0, last_ns = 0;
    std::vector<cpp_user*> idle;   // free users
  };
  std::vector<arrival_class> arrivals;
  bool open_model = false, poisson = false;
  base::rng arrival_rng{0x5eed};
  asio::steady_timer arrival_timer{io};
  stats::histogram arrival_lateness;  // how late arrivals were dispatched (us): timer precision
  void set_arrivals(const engine::arrival_targets& a);
  int64_t gap_ns(double rate);
  void arm_arrivals();
  void on_arrivals();
  void dispatch(size_t class_index, int64_t due_ns);
  void back_to_pool(cpp_user* u);
  void forget_idle(cpp_user* u);

  // included: the task set's own entry matched --tags, so all its tasks are in (as Locust).
  const class_plan& plan_for(const detail::class_spec& spec, bool included = false);
  // Wall-clock seconds at a monotonic instant, from an anchor refreshed every second: one clock
  // read per recorded request instead of two (the wall time only dates first/last seen).
  double wall_at(int64_t mono_ns) {
    if (mono_ns - anchor_mono_ns_ > 1'000'000'000 || mono_ns < anchor_mono_ns_) {
      anchor_mono_ns_ = base::mono_now_ns();
      anchor_wall_s_ = base::wall_now_s();
    }
    return anchor_wall_s_ + static_cast<double>(mono_ns - anchor_mono_ns_) / 1e9;
  }
  int64_t anchor_mono_ns_ = INT64_MIN / 2;
  double anchor_wall_s_ = 0;
  void user_done(cpp_user* u);
  bool tagged(const std::vector<std::string>& tags) const;
};

class cpp_user final : public detail::user_runtime, public wait_context {
 public:
  cpp_user(cpp_shard::impl& sh, const detail::class_spec* cls, size_t class_index, uint64_t seed,
           std::string host)
      : sh_(sh),
        cls_(cls),
        class_index_(class_index),
        session_(*sh.transport, std::move(host)),
        rng_(seed),
        timer_(sh.io) {
    base_has_path_ = rules::needs_join(session_.base_url(), "/");
    obj_ = cls_->make_user();
    obj_->bind_runtime(this);
    if (cls_->wait_time) wait_ = cls_->wait_time();
  }

  std::list<cpp_user*>::iterator where;
  size_t class_index() const { return class_index_; }

  void start() { main(); }
  bool is_stopping() const { return stopping_; }

  void request_stop(bool force) {
    stopping_ = true;
    if (in_idle_) asio::post(sh_.io, [this] { resume(); });  // an idle pool user ends now
    if (force && !killed_) {
      killed_ = true;
      if (in_request_) session_.cancel();
      if (sleeping_) timer_.cancel();
    } else if (in_wait_) {
      timer_.cancel();
    }
  }

  // --- user_runtime ---
  detail::response_data* new_response_data() override {
    auto& spare = sh_.spare_responses;
    detail::response_data* d;
    if (spare.empty()) {
      d = new detail::response_data();
    } else {
      d = spare.back().release();
      spare.pop_back();
    }
    d->runtime = this;
    return d;
  }

  void recycle(detail::response_data* d) noexcept override {
    std::unique_ptr<detail::response_data> p(d);
    auto& spare = sh_.spare_responses;
    if (spare.size() >= cpp_shard::impl::max_spare_responses) return;
    if (d->body.capacity() > (64 << 10)) std::string().swap(d->body);
    if (d->headers.capacity() > 64) header_list().swap(d->headers);
    if (d->head_bytes.capacity() > (16 << 10)) std::string().swap(d->head_bytes);
    d->headers_made = false;
    d->method.clear();
    d->name.clear();
    d->url.clear();
    d->request_url.clear();
    d->status = 0;
    d->reason.clear();
    d->body.clear();  // headers are replaced by the next completion (swapped in)
    d->content_bytes = 0;
    d->error.clear();
    d->start_ns = d->done_ns = d->intended_start_ns = 0;
    d->catch_response = false;
    d->named = false;
    d->reported = false;
    d->manual = detail::response_data::verdict::none;
    d->failure_message.clear();
    // Only when set: assigning a json builds and destroys a temporary (most requests have none).
    if (!d->context.is_null()) d->context = nullptr;
    if (!d->parsed.is_null()) d->parsed = nullptr;
    d->has_parsed = false;
    d->runtime = nullptr;
    try {
      spare.push_back(std::move(p));
    } catch (...) {
    }
  }

  void send(std::string_view method, std::string url, request_options* opts,
            detail::response_data* out, std::coroutine_handle<> h) override {
    client::request req;
    req.method.assign(method);
    out->method = req.method;
    // Locust's rules (src/rules, shared with Python users): the path of --host is kept (a
    // relative URL is appended to it), and a request is named by the path and query it asked for.
    const std::string& base = session_.base_url();
    const bool join = base_has_path_ && rules::needs_join(base, url);
    const bool named = opts != nullptr && !opts->name.empty();
    const bool with_params = opts != nullptr && !opts->params.empty();
    if (named) {
      out->name = std::move(opts->name);
    } else if (!join && !with_params && url.starts_with('/') && url.find('#') == std::string::npos) {
      out->name = url;  // the common case: the path as written is its own name
    } else {
      const std::string full = rules::is_absolute_url(url) || base.empty() ? url
                               : join ? rules::join_url(base, url) : base + url;
      out->name = rules::request_name(rules::flavor::requests, url,
                                      with_params ? rules::with_query(full, opts->params) : full);
    }
    out->named = named;
    if (join) url = rules::join_url(base, url);
    out->request_url = url;
    req.url = std::move(url);
    if (opts != nullptr) {
      req.headers = std::move(opts->headers);
      req.params = std::move(opts->params);
      rules::body_input in;
      if (!opts->json.is_null()) in.json = opts->json.dump();
      if (!opts->data.empty()) in.form = std::move(opts->data);
      if (!opts->body.empty()) in.raw = std::move(opts->body);
      if (in.json || in.form || in.raw) {
        rules::body b = rules::build_body(std::move(in));
        req.body = std::move(b.bytes);
        if (!b.content_type.empty()) rules::add_default_header(req.headers, "Content-Type", b.content_type);
      }
      req.allow_redirects = opts->allow_redirects;
      req.timeout = opts->timeout;
      req.verify = opts->verify;
      req.basic_auth = std::move(opts->auth);
      req.cookies = std::move(opts->cookies);
      if (!opts->context.is_null()) out->context = std::move(opts->context);
    }
    in_request_ = true;
    ++suspends_;
    pending_ = h;
    session_.execute(std::move(req), [this, out](client::response&& r) {
      in_request_ = false;
      // The session stamps the request when execute() takes it: one clock read for both.
      out->start_ns = r.start_ns;
      out->intended_start_ns = r.start_ns - lag_ns_;
      out->status = r.status;
      // Swapped: the session's pooled response gets back strings with capacity to refill. The
      // reason is short (assigned in place), the error usually empty on both sides (no swap).
      out->reason.assign(r.reason);
      out->head_bytes.swap(r.headers.bytes);
      out->head_spans.swap(r.headers.spans);
      out->headers_made = false;
      out->body.swap(r.body);
      out->content_bytes = r.content_bytes;
      out->url.swap(r.url);
      if (!r.error.empty() || !out->error.empty()) out->error.swap(r.error);
      out->done_ns = r.done_ns ? r.done_ns : base::mono_now_ns();
      if (killed_ || out->error == "cancelled") {
        out->reported = true;  // an aborted request is not a result
      } else if (!out->catch_response) {
        report(*out);
        out->reported = true;
      }
      resume();
    });
  }

  bool is_killed() const override { return killed_; }

  // Locust's verdict and failure texts (src/rules): a manual success or failure wins, else a
  // transport error, else a status of 400 or more, worded as Locust's HttpUser words them. Empty:
  // a success.
  static std::string failure_text(const detail::response_data& d) {
    using v = detail::response_data::verdict;
    const rules::mark m = d.manual == v::success ? rules::mark::success
                          : d.manual == v::failure ? rules::mark::failure
                                                   : rules::mark::none;
    const std::string manual =
        d.manual == v::failure ? rules::catch_failure_text(d.failure_message) : std::string();
    // requests' HTTPError names the final URL, or the name= given (Locust swaps it in).
    const std::string_view url = d.named && !d.catch_response ? std::string_view(d.name) : std::string_view(d.url);
    auto text = rules::verdict(m, manual, d.error, d.status, d.reason, url, rules::flavor::requests);
    return text ? std::move(*text) : std::string();
  }

  void report(detail::response_data& d) override {
    std::string error;
    if (d.manual != detail::response_data::verdict::none || !d.error.empty() || d.status >= 400)
      error = failure_text(d);  // the common success skips building any text
    stats::request_sample s;
    s.method = d.method;
    s.name = d.name;
    s.latency_us = (d.done_ns - d.start_ns) / 1000;
    s.intended_latency_us = (d.done_ns - d.intended_start_ns) / 1000;
    s.content_bytes = d.content_bytes;
    s.error = error;
    s.wall_s = sh_.wall_at(d.done_ns);
    sh_.recorder.record(s);
    if (sh_.request_events->has_listeners()) notify_listeners(d, s);
    // The failures table groups by name=, so it cannot say which URL failed: the log says it,
    // once per kind (a set per shard first, so a flood of failures takes no shared lock).
    if (!error.empty() && d.name != d.request_url) {
      std::string key = d.method + '\x1f' + d.name + '\x1f' + error;
      if (sh_.named_failures.size() < cpp_environment::max_named_failures_logged + 1 &&
          sh_.named_failures.insert(std::move(key)).second)
        sh_.env->note_named_failure(d.method, d.name, error, real_url(d));
    }
  }

  // The URL a request went to: the final one when a response arrived, else the one asked for,
  // made absolute with the user's host.
  std::string real_url(const detail::response_data& d) const {
    if (!d.url.empty()) return d.url;
    if (d.request_url.find("://") != std::string::npos) return d.request_url;
    return session_.base_url() + d.request_url;
  }

  void not_awaited(std::string_view method, const std::string& url) noexcept override {
    try {
      record_exception("RequestNotAwaited: " + std::string(method) + " " + url +
                       " was never awaited, so it was not sent: write co_await client." +
                       lower(method) + "(...)");
    } catch (...) {
    }
  }

  environment& env() override { return *sh_.env; }

  void sleep(std::chrono::nanoseconds d, std::coroutine_handle<> h) override {
    pending_ = h;
    ++suspends_;
    sleeping_ = true;
    timer_.expires_after(d);
    timer_.async_wait([this](const boost::system::error_code&) {
      sleeping_ = false;
      resume();
    });
  }

  header_list& default_headers() override { return session_.default_headers(); }
  void set_cookie(std::string_view name, std::string_view value, std::string_view domain,
                  std::string_view path) override {
    std::string dom(domain);
    if (dom.empty()) dom = host_of(session_.base_url());
    session_.cookies().set(std::string(name), std::string(value), dom, std::string(path));
  }
  std::optional<std::string> cookie(std::string_view name) override {
    return session_.cookies().get(std::string(name));
  }
  void clear_cookies() override { session_.cookies().clear(); }
  const std::string& host() const override { return session_.base_url(); }

  // --- wait_context ---
  double uniform01() override { return rng_.uniform(); }
  seconds_d now() override { return seconds_d(static_cast<double>(base::mono_now_ns()) / 1e9); }
  seconds_d last_task_start() override {
    return seconds_d(static_cast<double>(last_task_start_ns_) / 1e9);
  }

 private:
  static std::string host_of(const std::string& url) {
    auto p = url.find("://");
    std::string rest = p == std::string::npos ? url : url.substr(p + 3);
    rest = rest.substr(0, rest.find_first_of("/?#"));
    auto at = rest.rfind('@');
    if (at != std::string::npos) rest = rest.substr(at + 1);
    if (!rest.empty() && rest[0] == '[') return rest.substr(0, rest.find(']') + 1);
    return rest.substr(0, rest.find(':'));
  }

  static std::string lower(std::string_view m) {
    std::string out(m);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out == "delete" ? "del" : out;
  }

  // Locust's request event for one of our requests, on this shard's thread (already recorded).
  void notify_listeners(detail::response_data& d, const stats::request_sample& s) {
    response_view view(&d);
    request_event e;
    e.request_type = s.method;
    e.name = s.name;
    e.response_time_ms = static_cast<double>(s.latency_us) / 1000.0;
    e.response_length = s.content_bytes;
    e.exception = s.error;
    e.response = &view;
    e.context = d.context.is_null() ? nullptr : &d.context;
    e.url = d.url.empty() ? std::string_view(d.request_url) : std::string_view(d.url);
    e.start_time = s.wall_s - e.response_time_ms / 1000.0;
    sh_.request_events->notify(e);
  }

  void resume() {
    auto h = std::exchange(pending_, {});
    if (!h) return;
    sh_.cur_class.store(cur_spec_, std::memory_order_relaxed);
    sh_.cur_task.store(cur_task_, std::memory_order_relaxed);
    h.resume();
  }

  void record_exception(const std::string& message) {
    sh_.recorder.record_exception(message, traceback());
  }

  // The traceback of an exception: "Class.task" (or the class alone), spelled only when an
  // exception is recorded: a task run only notes two pointers.
  std::string traceback() const {
    if (where_spec_ == nullptr) return {};
    if (where_task_ == nullptr) return where_spec_->name;
    return where_spec_->name + '.' + where_task_;
  }

  // Handles an exception that reached the top of the user. Returns false when the user must end.
  void handle_top(std::exception_ptr ep) {
    try {
      std::rethrow_exception(ep);
    } catch (const stop_user&) {
    } catch (const detail::user_killed&) {
    } catch (const stop_test&) {
      if (sh_.test && sh_.test->request_stop) sh_.test->request_stop("stop_test");
    } catch (const std::exception& e) {
      record_exception(demangle(typeid(e).name()) + ": " + e.what());
    } catch (...) {
      record_exception("unknown exception");
    }
  }

  detached main() {
    std::exception_ptr ep;
    at(cls_, "on_start");
    try {
      co_await obj_->on_start();
      if (open_)
        co_await run_arrivals();
      else
        co_await run_loop(*cls_, obj_.get(), nullptr, &wait_, false);
    } catch (...) {
      ep = std::current_exception();
    }
    if (ep) handle_top(ep);
    // Killed or not, on_stop runs (Locust runs it on GreenletExit too); its requests count. The
    // runner abandons a user whose on_stop does not end before its deadline.
    killed_ = false;
    {
      ep = nullptr;
      at(cls_, "on_stop");
      try {
        co_await obj_->on_stop();
      } catch (...) {
        ep = std::current_exception();
      }
      if (ep) handle_top(ep);
    }
    sh_.user_done(this);
  }

  Task run_loop(const detail::class_spec& spec, void* self, task_set_base* ts, wait_fn* wait,
                bool tag_included) {
    const class_plan& plan = sh_.plan_for(spec, tag_included);
    if (plan.tasks.empty()) {
      where_spec_ = &spec;
      where_task_ = nullptr;
      record_exception("no tasks: " + spec.name +
                       " has no tasks (or none left after --tags/--exclude-tags)");
      throw stop_user{};
    }
    size_t seq = 0;
    while (!stopping_) {
      // -i: each top-level task run claims one iteration before it starts, so exactly N start.
      bool last_iteration = false;
      if (ts == nullptr && sh_.settings->iterations) {
        uint64_t n = sh_.test->task_runs.fetch_add(1) + 1;
        if (n > *sh_.settings->iterations) {
          stopping_ = true;
          break;
        }
        last_iteration = n == *sh_.settings->iterations;
      }
      const detail::task_entry* t =
          spec.sequential ? plan.tasks[seq++ % plan.tasks.size()] : plan.tasks[plan.picker.pick(rng_)];
      last_task_start_ns_ = base::mono_now_ns();
      const uint64_t suspends_before = suspends_;
      bool skip_wait = co_await run_task(spec, *t, self, ts, wait, tag_included);
      lag_ns_ = 0;
      if (last_iteration) {
        // Other users finish the iterations they claimed: the runner stops gracefully.
        if (!sh_.test->iterations_reached.exchange(true) && sh_.test->request_stop)
          sh_.test->request_stop("iterations");
        stopping_ = true;
      }
      if (!skip_wait && !stopping_ && wait && *wait) {
        seconds_d d = (*wait)(*this);
        if (d.count() < 0) {
          lag_ns_ = static_cast<int64_t>(-d.count() * 1e9);
        } else if (d.count() > 0) {
          in_wait_ = true;
          co_await User::sleep_awaitable{this, std::chrono::duration_cast<std::chrono::nanoseconds>(d)};
          in_wait_ = false;
        }
      }
      // A task that never suspended, with no wait or a zero one, would run this user forever
      // without giving the shard's other users, its timers and the stop a turn: yield once, as
      // gevent.sleep(0) does.
      if (suspends_ == suspends_before && !stopping_) co_await yield_now{this};
      if (ts == nullptr) check_session();
    }
  }

  // One task run, awaited by the loops; co_await gives true when the wait after it is skipped.
  // An awaitable, not a coroutine of its own: a task costs one frame (the task's), not two.
  struct task_run {
    cpp_user* u;
    task_set_base* ts;
    bool is_set = false;
    Task task;          // a plain task, or
    Async<bool> set;    // a nested task set
    std::exception_ptr early;  // thrown while making the task (before it ran)

    bool await_ready() {
      if (early) return true;
      return is_set ? set.operator co_await().await_ready() : task.operator co_await().await_ready();
    }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> h) {
      return is_set ? set.operator co_await().await_suspend(h) : task.operator co_await().await_suspend(h);
    }
    bool await_resume() {
      try {
        if (early) std::rethrow_exception(early);
        if (is_set) return set.operator co_await().await_resume();
        task.operator co_await().await_resume();
        return false;
      } catch (...) {
        return u->on_task_exception(ts);
      }
    }
  };

  task_run run_task(const detail::class_spec& spec, const detail::task_entry& t, void* self,
                    task_set_base* ts, wait_fn* wait, bool tag_included) {
    at(&spec, t.name.c_str());
    task_run r{this, ts, t.is_task_set, {}, {}, {}};
    try {
      if (t.is_task_set)
        r.set = run_task_set(*t.nested, ts, wait, tag_included || sh_.tagged(t.tags));
      else
        r.task = t.run(self, *obj_, ts);
    } catch (...) {
      r.early = std::current_exception();
    }
    return r;
  }

  // Locust's control flow after a task threw (called inside a catch block): true when the wait
  // after it is skipped; stop_user, a kill, stop_test and an interrupt inside a task set go on up.
  bool on_task_exception(task_set_base* ts) {
    try {
      throw;
    } catch (const interrupt_task_set&) {
      if (ts) throw;  // leaves this task set: run_task_set catches it
      record_exception("interrupt_task_set: interrupt() called outside a task set");
    } catch (const reschedule_task&) {
    } catch (const reschedule_task_immediately&) {
      return true;
    } catch (const stop_user&) {
      throw;
    } catch (const detail::user_killed&) {
      throw;
    } catch (const stop_test&) {
      throw;
    } catch (const std::exception& e) {
      record_exception(demangle(typeid(e).name()) + ": " + e.what());
    } catch (...) {
      record_exception("unknown exception");
    }
    return false;
  }

  // The open model: the user waits in its shard's pool until an arrival hands it an iteration
  // (one task, or one pass over a sequential class's tasks), runs it with the arrival's
  // scheduled time as the intended start, and goes back to the pool.
  Task run_arrivals() {
    const class_plan& plan = sh_.plan_for(*cls_, false);
    if (plan.tasks.empty()) {
      where_spec_ = cls_;
      where_task_ = nullptr;
      record_exception("no tasks: " + cls_->name +
                       " has no tasks (or none left after --tags/--exclude-tags)");
      throw stop_user{};
    }
    while (!stopping_) {
      if (!has_iteration_) {
        in_idle_ = true;
        co_await wait_iteration{this};
        in_idle_ = false;
        if (stopping_) break;
      }
      has_iteration_ = false;
      if (sh_.settings->iterations) {
        uint64_t n = sh_.test->task_runs.fetch_add(1) + 1;
        if (n > *sh_.settings->iterations) break;
        if (n == *sh_.settings->iterations && !sh_.test->iterations_reached.exchange(true) &&
            sh_.test->request_stop)
          sh_.test->request_stop("iterations");
      }
      // Every request of the iteration carries how late the iteration started (coordinated
      // omission: the latency a user arriving on schedule would have seen).
      last_task_start_ns_ = base::mono_now_ns();
      lag_ns_ = std::max<int64_t>(0, last_task_start_ns_ - iteration_due_ns_);
      const uint64_t suspends_before = suspends_;
      if (cls_->sequential) {
        for (const auto* t : plan.tasks) {
          co_await run_task(*cls_, *t, obj_.get(), nullptr, nullptr, false);
          if (stopping_) break;
        }
      } else {
        co_await run_task(*cls_, *plan.tasks[plan.picker.pick(rng_)], obj_.get(), nullptr, nullptr, false);
      }
      lag_ns_ = 0;
      if (suspends_ == suspends_before && !stopping_) co_await yield_now{this};
      check_session();
      if (!stopping_) sh_.back_to_pool(this);
    }
  }

  // Suspends an idle pool user until begin_iteration() or a stop resumes it.
  struct wait_iteration {
    cpp_user* u;
    bool await_ready() const noexcept { return u->has_iteration_ || u->stopping_; }
    void await_suspend(std::coroutine_handle<> h) {
      u->pending_ = h;
      ++u->suspends_;
    }
    void await_resume() const {
      if (u->killed_) throw detail::user_killed{};
    }
  };

  // Session churn: past its session's length the user ends (on_stop: logs out) and its shard
  // starts a fresh user of the class in its place (on_start: logs in, new cookies, new connection).
  void check_session() {
    if (session_end_ns_ != 0 && !stopping_ && base::mono_now_ns() >= session_end_ns_) {
      session_over_ = true;
      stopping_ = true;
    }
  }

 public:
  // Open model: an arrival scheduled at due_ns for this (idle or just spawned) user.
  void begin_iteration(int64_t due_ns) {
    iteration_due_ns_ = due_ns;
    has_iteration_ = true;
    if (in_idle_) asio::post(sh_.io, [this] { resume(); });
  }
  bool session_over() const { return session_over_; }
  bool is_idle() const { return in_idle_; }
  void set_open_model() { open_ = true; }
  void set_session_end(int64_t ns) { session_end_ns_ = ns; }

 private:

  // Resumes the awaiting coroutine from the shard's loop, after whatever else is ready.
  struct yield_now {
    cpp_user* u;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) {
      u->pending_ = h;
      ++u->suspends_;
      asio::post(u->sh_.io, [u = u] { u->resume(); });
    }
    void await_resume() const {
      if (u->killed_) throw detail::user_killed{};
    }
  };

  // Notes where this user is, for the traceback of an exception (traceback()) and a stuck-shard
  // report (see cpp_shard::current_task).
  void at(const detail::class_spec* spec, const char* task) {
    where_spec_ = spec;
    where_task_ = task;
    cur_spec_ = spec;
    cur_task_ = task;
    sh_.cur_class.store(spec, std::memory_order_relaxed);
    sh_.cur_task.store(task, std::memory_order_relaxed);
  }

  Async<bool> run_task_set(const detail::class_spec& nested, task_set_base* parent,
                           wait_fn* parent_wait, bool tag_included) {
    auto ts = nested.make_task_set(*obj_, parent);
    wait_fn own;
    wait_fn* w = parent_wait;
    if (nested.wait_time) {
      own = nested.wait_time();
      w = &own;
    }
    bool reschedule = true;
    try {
      co_await ts->on_start();
      co_await run_loop(nested, ts.get(), ts.get(), w, tag_included);
    } catch (const interrupt_task_set& e) {
      reschedule = e.reschedule;
    }
    if (!killed_) co_await ts->on_stop();
    co_return reschedule;
  }

  cpp_shard::impl& sh_;
  const detail::class_spec* cls_;
  size_t class_index_;
  client::session session_;  // its base_url() is the user's host
  base::rng rng_;
  // A timer bound to the io_context's own executor type: smaller than asio::steady_timer (whose
  // polymorphic executor is 40 bytes), and one per user.
  asio::basic_waitable_timer<std::chrono::steady_clock,
                             asio::wait_traits<std::chrono::steady_clock>,
                             asio::io_context::executor_type>
      timer_;
  std::unique_ptr<User> obj_;
  wait_fn wait_;
  std::coroutine_handle<> pending_;
  const detail::class_spec* where_spec_ = nullptr;  // see traceback()
  const char* where_task_ = nullptr;
  int64_t last_task_start_ns_ = 0;
  int64_t lag_ns_ = 0;
  uint64_t suspends_ = 0;  // requests, sleeps and yields so far
  bool base_has_path_ = false;  // --host has a path that relative URLs are appended to
  // The open model and session churn.
  bool open_ = false, in_idle_ = false, has_iteration_ = false, session_over_ = false;
  int64_t iteration_due_ns_ = 0;
  int64_t session_end_ns_ = 0;  // 0: no session length
  const detail::class_spec* cur_spec_ = nullptr;
  const char* cur_task_ = "on_start";
  bool stopping_ = false, killed_ = false, in_request_ = false, sleeping_ = false, in_wait_ = false;
};

namespace {
bool has_any(const std::vector<std::string>& have, const std::vector<std::string>& want) {
  for (const auto& w : want)
    for (const auto& h : have)
      if (h == w) return true;
  return false;
}
}  // namespace


bool cpp_shard::impl::tagged(const std::vector<std::string>& tags) const {
  return !config.tags.empty() && has_any(tags, config.tags);
}

const class_plan& cpp_shard::impl::plan_for(const detail::class_spec& spec, bool included) {
  auto it = plans.find({&spec, included});
  if (it != plans.end()) return it->second;
  class_plan p;
  std::vector<int> weights;
  for (const auto& t : spec.tasks) {
    bool tagged_in = included || config.tags.empty() || has_any(t.tags, config.tags);
    if (!tagged_in && t.is_task_set && t.nested) tagged_in = !plan_for(*t.nested).tasks.empty();
    if (!tagged_in || has_any(t.tags, config.exclude_tags) || t.weight <= 0) continue;
    p.tasks.push_back(&t);
    weights.push_back(t.weight);
  }
  p.picker = weighted_picker(weights);
  return plans.emplace(std::make_pair(&spec, included), std::move(p)).first->second;
}

void cpp_shard::impl::user_done(cpp_user* u) {
  const size_t ci = u->class_index();
  users_by_class[ci].erase(u->where);
  if (u->is_idle()) forget_idle(u);
  live_by_class[ci].fetch_sub(1, std::memory_order_relaxed);
  recorder.record_class(config.classes[ci].name, 0, 0, 1);
  if (open_model && ci < arrivals.size() && arrivals[ci].pool > 0) --arrivals[ci].pool;
  // A user whose session ended is replaced by a fresh one of its class (closed model: the
  // controller's target for this shard is unchanged; open model: the pool refills on demand).
  if (u->session_over() && !open_model && !stopping_all) spawn_one(ci)->start();
  asio::post(io, [this, u] {
    delete u;
    owner.live_.fetch_sub(1);
  });
}

cpp_user* cpp_shard::impl::spawn_one(size_t class_index) {
  const detail::class_spec* cls = spec_of(config.classes[class_index]);
  if (users_by_class.size() <= class_index) users_by_class.resize(class_index + 1);
  const std::string& host = settings->host.empty() ? cls->host : settings->host;
  owner.live_.fetch_add(1);
  live_by_class[class_index].fetch_add(1, std::memory_order_relaxed);
  recorder.record_class(config.classes[class_index].name, 0, 1, 0);
  auto* u = new cpp_user(*this, cls, class_index, seeds.next(), host);
  auto& l = users_by_class[class_index];
  l.push_back(u);
  u->where = std::prev(l.end());
  const auto& own = config.classes[class_index];
  if (own.session_max_ms > 0 || settings->session_max_ms > 0) {
    const int64_t lo = own.session_max_ms > 0 ? own.session_min_ms : settings->session_min_ms;
    const int64_t hi = own.session_max_ms > 0 ? own.session_max_ms : settings->session_max_ms;
    const int64_t ms = lo + static_cast<int64_t>(seeds.below(static_cast<uint64_t>(hi - lo + 1)));
    u->set_session_end(base::mono_now_ns() + ms * 1'000'000);
  }
  return u;
}

// ---------------------------------------------------------------------------------------------
// The open model: one timer per shard, every arrival dispatched at its scheduled time to a free
// user of its class, a new user while the pool may grow, or counted as dropped.

void cpp_shard::impl::set_arrivals(const engine::arrival_targets& a) {
  const int64_t now = base::mono_now_ns();
  open_model = true;
  poisson = a.poisson;
  if (arrivals.size() < a.rate_per_class.size()) arrivals.resize(a.rate_per_class.size());
  for (size_t ci = 0; ci < a.rate_per_class.size(); ++ci) {
    auto& c = arrivals[ci];
    const double old_rate = c.rate;
    c.rate = std::max(0.0, a.rate_per_class[ci]);
    c.max_users = ci < a.max_users_per_class.size() ? a.max_users_per_class[ci] : 0;
    if (c.rate <= 0) continue;
    if (old_rate <= 0) {
      c.next_ns = now;  // the first arrival at once
    } else if (c.rate != old_rate) {
      // The next arrival follows the new rate from the last one.
      c.next_ns = std::max(now, c.last_ns + gap_ns(c.rate));
    }
  }
  arm_arrivals();
}

int64_t cpp_shard::impl::gap_ns(double rate) {
  if (!poisson) return static_cast<int64_t>(1e9 / rate);
  // Exponential gaps: a Poisson process of this rate.
  const double u = std::max(1e-12, 1.0 - arrival_rng.uniform());
  return static_cast<int64_t>(-std::log(u) / rate * 1e9);
}

void cpp_shard::impl::arm_arrivals() {
  int64_t first = INT64_MAX;
  for (const auto& c : arrivals)
    if (c.rate > 0) first = std::min(first, c.next_ns);
  arrival_timer.cancel();
  if (first == INT64_MAX) return;
  arrival_timer.expires_at(std::chrono::steady_clock::time_point(std::chrono::nanoseconds(first)));
  arrival_timer.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) on_arrivals();
  });
}

void cpp_shard::impl::on_arrivals() {
  const int64_t now = base::mono_now_ns();
  for (size_t ci = 0; ci < arrivals.size(); ++ci) {
    auto& c = arrivals[ci];
    while (c.rate > 0 && c.next_ns <= now && !stopping_all) {
      const int64_t due = c.next_ns;
      arrival_lateness.record(static_cast<uint64_t>((now - due) / 1000));
      c.last_ns = due;
      c.next_ns = due + gap_ns(c.rate);
      dispatch(ci, due);
    }
  }
  arm_arrivals();
}

void cpp_shard::impl::dispatch(size_t ci, int64_t due_ns) {
  auto& c = arrivals[ci];
  if (!c.idle.empty()) {
    cpp_user* u = c.idle.back();
    c.idle.pop_back();
    u->begin_iteration(due_ns);
    return;
  }
  if (c.pool < c.max_users) {
    ++c.pool;
    cpp_user* u = spawn_one(ci);
    u->set_open_model();
    u->begin_iteration(due_ns);
    u->start();
    return;
  }
  recorder.record_class(config.classes[ci].name, 1, 0, 0);
}

void cpp_shard::impl::back_to_pool(cpp_user* u) {
  const size_t ci = u->class_index();
  if (ci < arrivals.size()) arrivals[ci].idle.push_back(u);
}

void cpp_shard::impl::forget_idle(cpp_user* u) {
  if (u->class_index() >= arrivals.size()) return;
  auto& idle = arrivals[u->class_index()].idle;
  std::erase(idle, u);
}

cpp_shard::cpp_shard(int index, const engine::shard_config& config,
                     std::shared_ptr<cpp_environment> env)
    : impl_(std::make_unique<impl>(index, config, *this, std::move(env))) {
  impl_->env->add_shard(this);
}

cpp_shard::~cpp_shard() {
  impl_->env->remove_shard(this);
  join_for(std::chrono::seconds(2));
}

void cpp_shard::start() {
  impl_->thread = std::thread([this] {
    // events.request.fire() from a task of this shard records here, without a lock of ours.
    cpp_environment::set_thread_recorder(&impl_->recorder);
    impl_->beat(base::mono_now_ns());
    impl_->io.run();
    impl_->finished = true;
  });
}

bool cpp_shard::join_for(std::chrono::milliseconds limit) {
  if (!impl_->thread.joinable()) return true;
  asio::post(impl_->io, [im = impl_.get()] { im->beat_timer.cancel(); });
  impl_->guard.reset();
  impl_->io.stop();
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!impl_->finished.load() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (!impl_->finished.load()) {
    impl_->thread.detach();
    return false;
  }
  impl_->thread.join();
  // Users still alive here were abandoned (a task that never yields): free what we safely can.
  for (auto& l : impl_->users_by_class) l.clear();
  return true;
}

void cpp_shard::begin_test(std::shared_ptr<const engine::test_settings> settings,
                           std::shared_ptr<engine::test_shared> shared) {
  impl_->env->begin_test(shared);
  posted_.clear();
  asio::post(impl_->io, [im = impl_.get(), settings = std::move(settings),
                         shared = std::move(shared)]() mutable {
    im->seeds.reseed(settings->seed ^ (0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(im->index + 1)));
    im->settings = std::move(settings);
    im->test = std::move(shared);
    im->assigned.clear();
    im->stopping_all = false;
    im->open_model = false;
    im->arrivals.clear();
    im->arrival_timer.cancel();
  });
}

void cpp_shard::set_targets(const std::vector<uint64_t>& users_per_class) {
  // Mirrors the loop's diff below (both start from zero at begin_test): the users this post will
  // start count as starting until they do.
  if (posted_.size() < users_per_class.size()) posted_.resize(users_per_class.size(), 0);
  for (size_t ci = 0; ci < users_per_class.size(); ++ci) {
    if (users_per_class[ci] > posted_[ci]) starting_.fetch_add(users_per_class[ci] - posted_[ci]);
    posted_[ci] = users_per_class[ci];
  }
  asio::post(impl_->io, [im = impl_.get(), targets = users_per_class] {
    // Diffs against the targets given before, not the users alive: a user that stopped itself
    // (StopUser) is not brought back by the next change of targets.
    if (im->users_by_class.size() < targets.size()) im->users_by_class.resize(targets.size());
    if (im->assigned.size() < targets.size()) im->assigned.resize(targets.size(), 0);
    for (size_t ci = 0; ci < targets.size(); ++ci) {
      uint64_t& have = im->assigned[ci];
      if (targets[ci] < have) {
        // Stop the most recent users that are not already on their way out.
        uint64_t extra = have - targets[ci];
        std::vector<cpp_user*> victims;
        auto& l = im->users_by_class[ci];
        for (auto it = l.rbegin(); it != l.rend() && victims.size() < extra; ++it)
          if (!(*it)->is_stopping()) victims.push_back(*it);
        for (auto* u : victims) u->request_stop(false);
      }
      for (; have < targets[ci]; ++have) {
        cpp_user* u = im->spawn_one(ci);  // counted live from here
        im->owner.starting_.fetch_sub(1);  // so no longer starting (never counted twice)
        u->start();
      }
      have = targets[ci];
    }
  });
}

void cpp_shard::stop_all(bool force) {
  asio::post(impl_->io, [im = impl_.get(), force] {
    if (!im->stopping_all && im->arrival_lateness.count() > 0) {
      // The open model's timer precision on this shard (bench/RESULTS.md reads this line).
      const auto& h = im->arrival_lateness;
      base::log_debug("runner", "arrival timer: " + std::to_string(h.count()) +
                                    " arrivals dispatched, lateness p50 " +
                                    std::to_string(h.value_at_quantile(0.5)) + " us, p99 " +
                                    std::to_string(h.value_at_quantile(0.99)) + " us, max " +
                                    std::to_string(h.max()) + " us");
    }
    im->stopping_all = true;
    im->arrival_timer.cancel();
    std::vector<cpp_user*> all;
    for (auto& l : im->users_by_class)
      for (auto* u : l) all.push_back(u);
    for (auto* u : all) u->request_stop(force);
  });
}

void cpp_shard::set_arrivals(const engine::arrival_targets& a) {
  asio::post(impl_->io, [im = impl_.get(), a] { im->set_arrivals(a); });
}

std::vector<uint64_t> cpp_shard::live_users_by_class() const {
  std::vector<uint64_t> out;
  out.reserve(impl_->live_by_class.size());
  for (const auto& n : impl_->live_by_class) out.push_back(n.load(std::memory_order_relaxed));
  return out;
}

stats::histogram cpp_shard::arrival_lateness() {
  std::promise<stats::histogram> p;
  auto f = p.get_future();
  asio::post(impl_->io, [im = impl_.get(), &p] { p.set_value(im->arrival_lateness); });
  return f.get();
}

stats::shard_recorder& cpp_shard::recorder() { return impl_->recorder; }

uint64_t cpp_shard::loop_turns() const { return impl_->heartbeat.turns(); }

double cpp_shard::take_loop_lag_ms() { return impl_->heartbeat.take_lag_ms(); }

std::string cpp_shard::current_task() const {
  const auto* cls = impl_->cur_class.load(std::memory_order_relaxed);
  const char* task = impl_->cur_task.load(std::memory_order_relaxed);
  if (cls == nullptr) return {};
  return cls->name + "." + (task ? task : "?");
}

}  // namespace endure::cppfile
