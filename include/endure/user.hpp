// Users, task sets and their specifications (Locust's User, HttpUser, TaskSet,
// SequentialTaskSet, @task, @tag, wait_time, host, weight, fixed_count). Tasks are declared where
// they are defined (ENDURE_TASK, Locust's @task); the rest in `static void define(auto& u)`.
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "endure/control.hpp"
#include "endure/events.hpp"
#include "endure/http.hpp"
#include "endure/task.hpp"
#include "endure/wait_time.hpp"

namespace endure {

class User;
class task_set_base;

namespace detail {

// A task, type-erased: runs on `self`, which is the User or task set that declared it.
struct task_entry {
  std::string name;
  int weight = 1;
  std::vector<std::string> tags;
  std::function<Task(void* self, User& user, task_set_base* parent)> run;
  bool is_task_set = false;
  const struct class_spec* nested = nullptr;  // the task set's spec when is_task_set
};

// What define() builds, for a user class or a task set class.
struct class_spec {
  std::string name;
  std::vector<task_entry> tasks;
  wait_time_factory wait_time;  // empty: inherit (task sets) or no wait (users)
  bool sequential = false;
  // Users only:
  std::string host;
  int weight = 1;
  int fixed_count = 0;
  double arrival_rate = 0;  // the open model: this class's own arrivals per second (0: a share)
  int64_t session_min_ms = 0, session_max_ms = 0;  // session churn of its own (0: --session-length)
  bool abstract = false;
  bool needs_host = true;  // an HttpUser: its client needs a base URL
  std::function<std::unique_ptr<User>()> make_user;
  // Task sets only: builds the object, bound to its user and parent.
  std::function<std::unique_ptr<task_set_base>(User&, task_set_base* parent)> make_task_set;
};

template <class T>
const class_spec& spec_of();

// ENDURE_TASK's registry: each task declares a hidden friend `endure_tasks_(collector, slot<N>)`
// with N from __COUNTER__ (unique in the file); spec_of<T>() calls those of T and its bases in
// ascending N, i.e. in declaration order. Found by argument-dependent lookup through T.
inline constexpr int max_task_slots = 512;
template <int N>
struct task_slot {};
template <class Self>
struct task_collector {
  class_spec& spec;
  template <class Owner, class... Tags>
  void add(const char* name, Task (Owner::*fn)(), int weight = 1, Tags&&... tags) {
    static_assert(std::is_base_of_v<Owner, Self>, "ENDURE_TASK: the task belongs to another class");
    task_entry e;
    e.name = name;
    e.weight = weight;
    (e.tags.emplace_back(std::forward<Tags>(tags)), ...);
    e.run = [fn](void* self, User&, task_set_base*) { return (static_cast<Self*>(self)->*fn)(); };
    spec.tasks.push_back(std::move(e));
  }
  template <class TS>
  void add_task_set(int weight = 1);
};

}  // namespace detail

// The base of every user. Locust's User: a virtual user that runs tasks until the test ends.
class User {
 public:
  virtual ~User() = default;
  // What a class without its own define() declares: nothing beyond its ENDURE_TASKs.
  static void define(auto&) {}
  // Runs once when the user starts, before its first task.
  virtual Task on_start() { co_return; }
  // Runs once when the user stops: after its last task, or after the runner killed the task in
  // progress (--stop-timeout over). Its requests are recorded.
  virtual Task on_stop() { co_return; }

  // Stops this user after on_stop (Locust's self.stop()). Does not return.
  [[noreturn]] void stop() { throw stop_user{}; }
  // Waits without blocking other users (Locust's gevent.sleep / time.sleep in a task).
  struct [[nodiscard("endure: a sleep does nothing until it is awaited: write co_await sleep(d)")]]
  sleep_awaitable {
    detail::user_runtime* rt;
    std::chrono::nanoseconds d;
    bool await_ready() const noexcept { return d.count() <= 0; }
    void await_suspend(std::coroutine_handle<> h) { rt->sleep(d, h); }
    void await_resume() const {
      if (rt->is_killed()) throw detail::user_killed{};
    }
  };
  template <class R, class P>
  sleep_awaitable sleep(std::chrono::duration<R, P> d) {
    return {runtime_, std::chrono::duration_cast<std::chrono::nanoseconds>(d)};
  }
  // The host this user targets (--host, or the class's host).
  const std::string& host() const { return runtime_->host(); }
  // The test's environment (Locust's self.environment): events, parsed options, user count,
  // totals, quit(). Inside a user class the type is spelled endure::environment.
  endure::environment& environment() { return runtime_->env(); }

  virtual void bind_runtime(detail::user_runtime* rt) { runtime_ = rt; }  // engine use

 protected:
  detail::user_runtime* runtime_ = nullptr;
};

// A user with an HTTP client (Locust's HttpUser and FastHttpUser).
class HttpUser : public User {
 public:
  http_client client;
  void bind_runtime(detail::user_runtime* rt) override {
    User::bind_runtime(rt);
    client.bind(rt);
  }
};

// The base of task sets (Locust's TaskSet): a group of tasks that runs until interrupt().
class task_set_base {
 public:
  virtual ~task_set_base() = default;
  static void define(auto&) {}
  virtual Task on_start() { co_return; }
  virtual Task on_stop() { co_return; }
  // Returns to the parent (Locust's self.interrupt(reschedule=True)). Does not return.
  [[noreturn]] void interrupt(bool reschedule = true) { throw interrupt_task_set{reschedule}; }
  task_set_base* parent_task_set = nullptr;  // nullptr when the parent is the user itself
};

// TaskSet<UserType>: `user` is the owning user, `client` its HTTP client.
template <class U>
class TaskSet : public task_set_base {
 public:
  http_client client;  // the user's client (same session and cookies)
  U& user() { return *user_; }
  template <class R, class P>
  User::sleep_awaitable sleep(std::chrono::duration<R, P> d) {
    return user_->sleep(d);
  }
  [[noreturn]] void stop_user() { throw endure::stop_user{}; }
  endure::environment& environment() { return user_->environment(); }
  void bind_user(U* u) {
    user_ = u;
    client = u->client;
  }

 private:
  U* user_ = nullptr;
};

// The builder passed to `static void define(auto& u)` (its type is spec<Self>; UserSpec and
// TaskSetSpec are older names of it).
template <class Self>
class spec {
 public:
  explicit spec(detail::class_spec& s) : s_(s) {}

  // A task declared here instead of with ENDURE_TASK (a function of a base class, a name of your
  // choice), with a weight (Locust's @task(weight)); named "task_N" unless a name is given.
  template <class Owner>
  spec& task(Task (Owner::*fn)(), int weight = 1) {
    return task("task_" + std::to_string(s_.tasks.size() + 1), fn, weight);
  }
  template <class Owner>
  spec& task(std::string name, Task (Owner::*fn)(), int weight = 1) {
    static_assert(std::is_base_of_v<Owner, Self>, "task(): the function belongs to another class");
    detail::task_entry e;
    e.name = std::move(name);
    e.weight = weight;
    e.run = [fn](void* self, User&, task_set_base*) { return (static_cast<Self*>(self)->*fn)(); };
    s_.tasks.push_back(std::move(e));
    return *this;
  }
  // Tags a task by name (an ENDURE_TASK, or one added above), for --tags / --exclude-tags.
  template <class... S>
  spec& tag_task(std::string_view task_name, S&&... names) {
    for (auto& t : s_.tasks)
      if (t.name == task_name) (t.tags.emplace_back(names), ...);
    return *this;
  }
  // A nested task set as a task (Locust: tasks = {SubTaskSet: 2}).
  template <class TS>
  spec& task_set(int weight = 1) {
    const detail::class_spec& nested = detail::spec_of<TS>();
    detail::task_entry e;
    e.name = nested.name;
    e.weight = weight;
    e.is_task_set = true;
    e.nested = &nested;
    s_.tasks.push_back(std::move(e));
    return *this;
  }
  // Tags the task added last (Locust's @tag), for --tags / --exclude-tags.
  template <class... S>
  spec& tag(S&&... names) {
    if (!s_.tasks.empty()) (s_.tasks.back().tags.emplace_back(std::forward<S>(names)), ...);
    return *this;
  }
  spec& wait_time(wait_time_factory w) {
    s_.wait_time = std::move(w);
    return *this;
  }
  spec& host(std::string h) {
    s_.host = std::move(h);
    return *this;
  }
  spec& weight(int w) {
    s_.weight = w;
    return *this;
  }
  spec& fixed_count(int n) {
    s_.fixed_count = n;
    return *this;
  }
  // The open model: this class's iterations start at this rate (per second) of its own, instead
  // of a share of --arrival-rate by weight; a class with a rate puts the run in the open model.
  spec& arrival_rate(double per_second) {
    s_.arrival_rate = per_second;
    return *this;
  }
  // Session churn for this class (instead of --session-length): each user ends after a random
  // time in [min, max] (on_stop runs) and a fresh user of the class takes its place (on_start).
  spec& session_length(std::chrono::milliseconds min, std::chrono::milliseconds max) {
    s_.session_min_ms = min.count();
    s_.session_max_ms = max.count() < min.count() ? min.count() : max.count();
    return *this;
  }
  // Runs the tasks in declaration order, each once per round (Locust's SequentialTaskSet).
  spec& sequential(bool on = true) {
    s_.sequential = on;
    return *this;
  }
  spec& abstract(bool on = true) {
    s_.abstract = on;
    return *this;
  }
  spec& name(std::string n) {
    s_.name = std::move(n);
    return *this;
  }

 private:
  detail::class_spec& s_;
};

template <class Self>
using UserSpec = spec<Self>;
template <class Self>
using TaskSetSpec = spec<Self>;

namespace detail {

template <class T>
std::string short_type_name() {
  // __PRETTY_FUNCTION__ ends with "[with T = ns::Name]"; keep the last identifier.
  std::string_view f = __PRETTY_FUNCTION__;
  auto eq = f.rfind("T = ");
  std::string_view n = f.substr(eq + 4);
  n = n.substr(0, n.find_first_of(";]"));
  auto colon = n.rfind("::");
  if (colon != std::string_view::npos) n = n.substr(colon + 2);
  return std::string(n);
}

template <class Self>
template <class TS>
void task_collector<Self>::add_task_set(int weight) {
  ::endure::spec<Self> builder(spec);
  builder.template task_set<TS>(weight);
}

// Calls the ENDURE_TASK registrations of T (and its bases) in declaration order.
template <class T, int... N>
void collect_tasks(task_collector<T>& c, std::integer_sequence<int, N...>) {
  auto one = [&c]<int I>(task_slot<I> slot) {
    if constexpr (requires { endure_tasks_(c, slot); }) endure_tasks_(c, slot);
  };
  // A braced list, not a fold: its elements run in order and it has no nesting limit.
  const int in_order[] = {(one(task_slot<N>{}), 0)...};
  (void)in_order;
}

template <class T>
const class_spec& spec_of() {
  static const class_spec s = [] {
    class_spec c;
    c.name = short_type_name<T>();
    task_collector<T> collector{c};
    collect_tasks(collector, std::make_integer_sequence<int, max_task_slots>{});
    spec<T> b(c);
    T::define(b);
    if constexpr (std::is_base_of_v<User, T>) {
      c.needs_host = std::is_base_of_v<HttpUser, T>;
      c.make_user = [] { return std::unique_ptr<User>(std::make_unique<T>()); };
    } else {
      c.make_task_set = [](User& u, task_set_base* parent) {
        auto ts = std::make_unique<T>();
        using owner = std::remove_reference_t<decltype(ts->user())>;
        ts->bind_user(&dynamic_cast<owner&>(u));
        ts->parent_task_set = parent;
        return std::unique_ptr<task_set_base>(std::move(ts));
      };
    }
    return c;
  }();
  return s;
}

// The set of user classes a locustfile exports.
struct registry {
  std::vector<const class_spec*> users;
};

template <class... U>
void register_users(registry& r) {
  (r.users.push_back(&spec_of<U>()), ...);
}

}  // namespace detail
}  // namespace endure

// Declares a task where it is defined (Locust's @task): its name is the function's name (in
// --show-task-ratio and exception locations), an optional weight and tags follow:
//   ENDURE_TASK(index) { co_await client.get("/"); }
//   ENDURE_TASK(about, 2) { co_await client.get("/about/"); }
//   ENDURE_TASK(buy, 1, "cart") { co_await client.post("/cart/add/7"); }
#define ENDURE_TASK(...) ENDURE_TASK_AT_(__COUNTER__, __VA_ARGS__)
#define ENDURE_TASK_AT_(n, fn, ...)                                                        \
  static_assert((n) < ::endure::detail::max_task_slots,                                   \
                "endure: more than 512 ENDURE_TASK in one file");                         \
  template <class endure_self_>                                                           \
  friend void endure_tasks_(::endure::detail::task_collector<endure_self_>& c,            \
                            ::endure::detail::task_slot<(n)>) {                           \
    c.add(#fn, &endure_self_::fn __VA_OPT__(, ) __VA_ARGS__);                             \
  }                                                                                       \
  ::endure::Task fn()

// Declares a task set as a task of this class, in declaration order with the ENDURE_TASKs
// (Locust's tasks = {Browse: 2}): ENDURE_TASK_SET(Browse, 2);
#define ENDURE_TASK_SET(...) ENDURE_TASK_SET_AT_(__COUNTER__, __VA_ARGS__)
#define ENDURE_TASK_SET_AT_(n, ts, ...)                                                    \
  template <class endure_self_>                                                           \
  friend void endure_tasks_(::endure::detail::task_collector<endure_self_>& c,            \
                            ::endure::detail::task_slot<(n)>) {                           \
    c.template add_task_set<ts>(__VA_ARGS__);                                             \
  }                                                                                       \
  static_assert((n) < ::endure::detail::max_task_slots,                                   \
                "endure: more than 512 ENDURE_TASK in one file")

// Exports the locustfile's user classes: ENDURE_USERS(WebsiteUser, AdminUser)
#define ENDURE_USERS(...)                                                            \
  extern "C" __attribute__((visibility("default"))) void endure_register_users_v1( \
      ::endure::detail::registry& r) {                                               \
    ::endure::detail::register_users<__VA_ARGS__>(r);                                \
  }
