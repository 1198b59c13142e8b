// Users, task sets and their specifications (Locust's User, HttpUser, TaskSet,
// SequentialTaskSet, @task, @tag, wait_time, host, weight, fixed_count).
// A class describes itself in `static void define(spec<Self>&)`; the engine does the rest.
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
  bool abstract = false;
  bool needs_host = true;  // an HttpUser: its client needs a base URL
  std::function<std::unique_ptr<User>()> make_user;
  // Task sets only: builds the object, bound to its user and parent.
  std::function<std::unique_ptr<task_set_base>(User&, task_set_base* parent)> make_task_set;
};

template <class T>
const class_spec& spec_of();

}  // namespace detail

// The base of every user. Locust's User: a virtual user that runs tasks until the test ends.
class User {
 public:
  virtual ~User() = default;
  // Runs once when the user starts, before its first task.
  virtual Task on_start() { co_return; }
  // Runs once when the user stops: after its last task, or after the runner killed the task in
  // progress (--stop-timeout over). Its requests are recorded.
  virtual Task on_stop() { co_return; }

  // Stops this user after on_stop (Locust's self.stop()). Does not return.
  [[noreturn]] void stop() { throw stop_user{}; }
  // Waits without blocking other users (Locust's gevent.sleep / time.sleep in a task).
  struct sleep_awaitable {
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
  void bind_user(U* u) {
    user_ = u;
    client = u->client;
  }

 private:
  U* user_ = nullptr;
};

// The builder passed to `static void define(spec<Self>& s)`.
template <class Self>
class spec {
 public:
  explicit spec(detail::class_spec& s) : s_(s) {}

  // A task with a weight (Locust's @task(weight)); named "task_N" unless a name is given.
  spec& task(Task (Self::*fn)(), int weight = 1) {
    return task("task_" + std::to_string(s_.tasks.size() + 1), fn, weight);
  }
  spec& task(std::string name, Task (Self::*fn)(), int weight = 1) {
    detail::task_entry e;
    e.name = std::move(name);
    e.weight = weight;
    e.run = [fn](void* self, User&, task_set_base*) { return (static_cast<Self*>(self)->*fn)(); };
    s_.tasks.push_back(std::move(e));
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

template <class T>
const class_spec& spec_of() {
  static const class_spec s = [] {
    class_spec c;
    c.name = short_type_name<T>();
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

// Exports the locustfile's user classes: ENDURE_USERS(WebsiteUser, AdminUser)
#define ENDURE_USERS(...)                                                            \
  extern "C" __attribute__((visibility("default"))) void endure_register_users_v1( \
      ::endure::detail::registry& r) {                                               \
    ::endure::detail::register_users<__VA_ARGS__>(r);                                \
  }
