// base::result: a value or an error with a code, the offending value and a human sentence.
// Used for recoverable failures (bad flag, bad locustfile, port in use); never for load outcomes.
#pragma once
#include <string>
#include <utility>
#include <variant>

namespace endure::base {

// Process exit codes, documented in docs/cli.md.
enum class exit_code : int {
  ok = 0,
  failures = 1,      // default of --exit-code-on-error
  usage = 2,         // bad flag, bad config, bad locustfile
  internal = 3,      // a bug: an invariant broke
};

struct error {
  int code = static_cast<int>(exit_code::usage);
  std::string message;  // one line, names what is wrong and what is expected
};

template <class T>
class result {
 public:
  result(T value) : v_(std::move(value)) {}          // NOLINT(google-explicit-constructor)
  result(error e) : v_(std::move(e)) {}              // NOLINT(google-explicit-constructor)
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const error& err() const { return std::get<1>(v_); }

 private:
  std::variant<T, error> v_;
};

struct unit {};

inline error make_error(std::string message, exit_code code = exit_code::usage) {
  return error{static_cast<int>(code), std::move(message)};
}

}  // namespace endure::base
