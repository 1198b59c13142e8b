// Locust's event hooks, the environment and the locustfile's own command-line options, for C++
// locustfiles. Listeners are added once, when the locustfile is loaded (ENDURE_EVENTS); the
// engine fires them. Each hook's comment says on which thread its listeners run: several shard
// threads run users at once, so state a listener shares with tasks needs std::atomic or a mutex.
#pragma once
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "endure/http.hpp"

namespace endure {

class environment;

// One request as the `request` event reports it (Locust's request event arguments). Views: valid
// during the listener call only; copy what you keep.
struct request_event {
  std::string_view request_type;    // "GET", "POST", or a custom client's type
  std::string_view name;            // the statistics entry: the URL path or name=
  double response_time_ms = 0;
  uint64_t response_length = 0;     // bytes
  std::string_view exception;       // empty: a success; else the failure text
  const response_view* response = nullptr;  // the HTTP response; nullptr for request.fire
  const json* context = nullptr;    // the request's context= (nullptr when none)
  std::string_view url;             // the URL requested (empty for request.fire)
  double start_time = 0;            // Unix seconds; 0 in fire(): now minus response_time_ms
};

namespace detail {
// Implemented by the engine: records a fired request in endure's statistics (any thread).
struct request_recorder {
  virtual ~request_recorder() = default;
  virtual void record(const request_event& e) noexcept = 0;
};
// Implemented by the engine: a listener threw (hook name, what()).
using listener_error_fn = void (*)(const char* hook, const char* what) noexcept;
}  // namespace detail

// A hook: listeners added at load time, called in the order added when the engine fires it.
template <class... Args>
class event_hook {
 public:
  using listener = std::function<void(Args...)>;
  explicit event_hook(const char* name) : name_(name) {}
  event_hook(const event_hook&) = delete;
  event_hook& operator=(const event_hook&) = delete;

  // Adds a listener (Locust's add_listener). Only while the locustfile loads (in the ENDURE_EVENTS
  // function, or in an init or init_command_line_parser listener): throws std::logic_error once
  // the test has started, because shard threads read the list without a lock.
  void add_listener(listener f) {
    if (sealed_) throw std::logic_error(std::string("events.") + name_ +
                                        ".add_listener after the test started: add listeners "
                                        "when the locustfile is loaded (ENDURE_EVENTS)");
    listeners_.push_back(std::move(f));
  }
  bool has_listeners() const noexcept { return !listeners_.empty(); }

  // Engine use (and custom hooks): calls every listener on this thread. An exception from a
  // listener is reported (logged; recorded for request listeners) and the others still run.
  void fire(Args... args) const {
    for (const auto& l : listeners_) {
      try {
        l(args...);
      } catch (const std::exception& e) {
        if (on_error_) on_error_(name_, e.what());
      } catch (...) {
        if (on_error_) on_error_(name_, "unknown exception");
      }
    }
  }

  const char* name() const noexcept { return name_; }
  void bind(detail::listener_error_fn on_error) noexcept { on_error_ = on_error; }  // engine use
  void seal() noexcept { sealed_ = true; }                                          // engine use

 private:
  const char* name_;
  std::vector<listener> listeners_;
  detail::listener_error_fn on_error_ = nullptr;
  bool sealed_ = false;
};

// The request hook: endure's own requests notify its listeners; fire() records a request made
// some other way (a custom client, a custom metric) in endure's statistics, then notifies them.
class request_hook : public event_hook<const request_event&> {
 public:
  request_hook() : event_hook("request") {}
  // Locust's events.request.fire(...): any thread (a task, a listener, a thread of your own).
  // On a user's shard thread it is recorded in that shard's statistics; from another thread in
  // the first shard's (a lock, so keep it to a few thousand a second). Then the listeners run on
  // the calling thread.
  //   env.events().request.fire({.request_type = "QUEUE", .name = "orders depth",
  //                              .response_time_ms = 12.5});
  void fire(const request_event& e) const {
    if (recorder_ != nullptr) recorder_->record(e);
    notify(e);
  }
  // Engine use: the listeners only (the request is already recorded).
  void notify(const request_event& e) const { event_hook::fire(e); }
  void bind_recorder(detail::request_recorder* r) noexcept { recorder_ = r; }  // engine use

 private:
  detail::request_recorder* recorder_ = nullptr;
};

// The value kinds of a locustfile's option (Locust's type= and action="store_true").
enum class arg_type { text, integer, number, flag };

// One option a locustfile adds: parser.add_argument("--my-option", {...}).
struct argument {
  arg_type type = arg_type::text;
  std::string default_value;         // as text ("" when none; flags default to false)
  std::string help;
  std::vector<std::string> choices;  // empty: any value
};

// What an init_command_line_parser listener gets (Locust's parser).
class parser {
 public:
  virtual ~parser() = default;
  // name: "--my-option" (or "my-option"). It is accepted on the command line, in config files and
  // as LOCUST_MY_OPTION / ENDURE_MY_OPTION, listed by `endure -f FILE --help`, and its value is
  // env.parsed_options()["my_option"] (a string, an integer, a double or a bool by its type).
  virtual void add_argument(std::string_view name, argument a = {}) = 0;
};

// Every hook, with Locust's names. The thread each hook's listeners run on is given beside it.
struct events {
  events() = default;
  events(const events&) = delete;
  events& operator=(const events&) = delete;

  // Main thread, once, while options are being read: declare the locustfile's options.
  event_hook<parser&> init_command_line_parser{"init_command_line_parser"};
  // Main thread, once the options are parsed, before the test starts.
  event_hook<environment&> init{"init"};
  // The control thread, before the first user starts. While a run-event listener runs the test
  // waits (no user spawns, no interval closes): keep them short, start a thread for long work.
  event_hook<environment&> test_start{"test_start"};
  // The control thread, when the users of -u (or the shape's stage) are all running.
  event_hook<environment&, uint64_t /*user_count*/> spawning_complete{"spawning_complete"};
  // The control thread, when the statistics are reset (--reset-stats).
  event_hook<environment&> reset_stats{"reset_stats"};
  // The control thread, when the test begins to stop (users still run their on_stop).
  event_hook<environment&> test_stopping{"test_stopping"};
  // The control thread, when every user has stopped; env.stats_total() is final by then.
  event_hook<environment&> test_stop{"test_stop"};
  // Main thread, after the test, the outputs written and every shard thread stopped.
  event_hook<environment&> quitting{"quitting"};
  // Main thread, last, with the process's exit code.
  event_hook<int /*exit_code*/> quit{"quit"};
  // The request's thread: the shard thread of the user that made it, or the thread that called
  // request.fire(). Called for every request: keep listeners cheap (no blocking, no I/O).
  request_hook request;

  // Engine use: reports listener exceptions through `on_error`, and forbids add_listener.
  template <class F>
  void for_each(F&& f) {
    f(init_command_line_parser), f(init), f(test_start), f(spawning_complete), f(reset_stats);
    f(test_stopping), f(test_stop), f(quitting), f(quit), f(request);
  }
};

// The whole-run totals (Locust's environment.stats.total), as of the last closed interval.
struct stats_totals {
  uint64_t num_requests = 0;
  uint64_t num_failures = 0;
  double avg_response_time_ms = 0;
  double max_response_time_ms = 0;
  double fail_ratio = 0;  // num_failures / num_requests
  double total_rps = 0;   // num_requests / seconds since the test (or the last reset) started
};

// The test's environment (Locust's self.environment): from a task, `environment()`; in a
// listener, its argument. Every function may be called from any thread.
class environment {
 public:
  virtual ~environment() = default;
  virtual endure::events& events() = 0;
  // Locust's parsed options by their Python names ("num_users", "host", "run_time", ...) and
  // the locustfile's own options ("my_option").
  virtual const json& parsed_options() const = 0;
  // --host, or empty when each class uses its own.
  virtual const std::string& host() const = 0;
  // Users running now (Locust's runner.user_count).
  virtual uint64_t user_count() const = 0;
  // Totals of the test so far, updated once per interval (1 s).
  virtual stats_totals stats_total() const = 0;
  // Stops the test as --run-time would (Locust's runner.quit()): users stop, outputs are written.
  virtual void quit() = 0;
};

}  // namespace endure

// Adds the locustfile's listeners and options: `void listen(endure::events& events) {...}` then
// ENDURE_EVENTS(listen). Called once on the main thread when the file is loaded (before the
// options are read). At most one per file.
#define ENDURE_EVENTS(fn)                                                                \
  extern "C" __attribute__((visibility("default"))) void endure_register_events_v1(    \
      ::endure::events& e) {                                                             \
    fn(e);                                                                               \
  }
