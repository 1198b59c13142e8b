// sinks::json_sink: --json (stdout) and --json-file: the final snapshot as JSON, in Locust's
// list-of-entries shape (or the run-level object with failures and exceptions). Its status is
// incomplete until the final file is written.
#pragma once
#include <string>

#include "base/result.hpp"
#include "sinks/file_io.hpp"
#include "sinks/file_util.hpp"
#include "sinks/final_annex.hpp"
#include "sinks/sink.hpp"

namespace endure::sinks {

class json_sink final : public sink {
 public:
  enum class shape { entries, run };
  // path "-" writes to stdout; otherwise the file is replaced atomically at the end, through
  // `io` (not owned; the real files by default).
  explicit json_sink(std::string path, shape what = shape::entries, file_io& io = real_file_io());
  void on_snapshot(const stats::snapshot& s) override;
  // Writes `s` now (the final snapshot calls this) and updates the status.
  base::result<base::unit> write(const stats::snapshot& s);
  // Objects added to the final JSON (the soak verdict per entry and for the run). Before the run.
  void set_annex(annex_source source) { annex_ = std::move(source); }

 private:
  std::string path_;
  shape shape_;
  file_io& io_;
  file_health health_;
  annex_source annex_;
};

}  // namespace endure::sinks
