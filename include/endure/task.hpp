// endure::Task: the coroutine type of every task, on_start/on_stop and helper in a C++ locustfile.
// Lazy (starts when awaited), single-threaded (runs on its user's shard), exceptions propagate to
// the awaiter. No dependency beyond the standard library.
#pragma once
#include <coroutine>
#include <exception>
#include <optional>
#include <utility>

namespace endure {

template <class T = void>
class basic_task;
// A task, on_start or on_stop: `endure::Task index() { co_await client.get("/"); }`.
using Task = basic_task<void>;
// A helper coroutine returning a value: `endure::Async<int> login() { ...; co_return id; }`.
template <class T>
using Async = basic_task<T>;

namespace detail {

struct task_promise_base {
  std::coroutine_handle<> continuation = std::noop_coroutine();
  std::exception_ptr exception;

  std::suspend_always initial_suspend() noexcept { return {}; }
  struct final_awaiter {
    bool await_ready() noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      return h.promise().continuation;  // symmetric transfer back to whoever awaited us
    }
    void await_resume() noexcept {}
  };
  final_awaiter final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { exception = std::current_exception(); }
};

template <class T>
struct task_promise : task_promise_base {
  std::optional<T> value;
  basic_task<T> get_return_object() noexcept;
  template <class U>
  void return_value(U&& v) {
    value.emplace(std::forward<U>(v));
  }
};

template <>
struct task_promise<void> : task_promise_base {
  basic_task<void> get_return_object() noexcept;
  void return_void() noexcept {}
};

}  // namespace detail

template <class T>
class [[nodiscard("endure: a Task or Async does nothing until it is awaited: write co_await f()")]]
basic_task {
 public:
  using promise_type = detail::task_promise<T>;
  using handle_type = std::coroutine_handle<promise_type>;

  basic_task() noexcept = default;
  explicit basic_task(handle_type h) noexcept : h_(h) {}
  basic_task(basic_task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  basic_task& operator=(basic_task&& o) noexcept {
    if (this != &o) {
      if (h_) h_.destroy();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  basic_task(const basic_task&) = delete;
  basic_task& operator=(const basic_task&) = delete;
  ~basic_task() {
    if (h_) h_.destroy();
  }

  bool valid() const noexcept { return static_cast<bool>(h_); }

  struct awaiter {
    handle_type h;
    bool await_ready() const noexcept { return !h || h.done(); }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) noexcept {
      h.promise().continuation = awaiting;
      return h;
    }
    T await_resume() {
      if (!h) return T();
      if (h.promise().exception) std::rethrow_exception(h.promise().exception);
      if constexpr (!std::is_void_v<T>) return std::move(*h.promise().value);
    }
  };
  awaiter operator co_await() && noexcept { return awaiter{h_}; }
  awaiter operator co_await() & noexcept { return awaiter{h_}; }

 private:
  handle_type h_{};
};

namespace detail {
template <class T>
basic_task<T> task_promise<T>::get_return_object() noexcept {
  return basic_task<T>(std::coroutine_handle<task_promise<T>>::from_promise(*this));
}
inline basic_task<void> task_promise<void>::get_return_object() noexcept {
  return basic_task<void>(std::coroutine_handle<task_promise<void>>::from_promise(*this));
}
}  // namespace detail

}  // namespace endure
