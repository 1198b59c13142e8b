// base::result: a value or an error with a code, the offending value and a human sentence.
// Used for recoverable failures (bad flag, bad locustfile, port in use); never for load outcomes.
#pragma once
#include <string>
#include <utility>
#include <variant>

namespace endure::base {

// Process exit codes, documented in docs/cli.md. When several apply at the end of a run, the
// highest in this order wins: internal, stuck, outputs_incomplete, thresholds, failures.
enum class exit_code : int {
  ok = 0,
  failures = 1,            // default of --exit-code-on-error: a request failed or a task raised
  usage = 2,               // bad flag, bad config, bad locustfile, refused before the run
  thresholds = 3,          // a --threshold failed (and `endure compare --fail-on`)
  outputs_incomplete = 4,  // an output (CSV, HTML, JSON, store) could not be written whole
  stuck = 5,               // users did not stop (a task that never yields): abandoned
  internal = 70,           // a bug: an invariant broke (EX_SOFTWARE)
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
