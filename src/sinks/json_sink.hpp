// sinks::json_sink: --json (stdout) and --json-file: the final snapshot as JSON, in Locust's
// list-of-entries shape (or the run-level object with failures and exceptions).
#pragma once
#include <string>

#include "base/result.hpp"
#include "sinks/sink.hpp"

namespace endure::sinks {

class json_sink final : public sink {
 public:
  enum class shape { entries, run };
  // path "-" writes to stdout; otherwise the file is replaced atomically at the end.
  json_sink(std::string path, shape what = shape::entries);
  void on_snapshot(const stats::snapshot& s) override;
  // Writes `s` now (the final snapshot calls this).
  base::result<base::unit> write(const stats::snapshot& s) const;

 private:
  std::string path_;
  shape shape_;
};

}  // namespace endure::sinks
