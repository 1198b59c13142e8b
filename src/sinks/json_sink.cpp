#include "sinks/json_sink.hpp"

#include <cstdio>

#include "base/log.hpp"
#include "report/json.hpp"
#include "sinks/file_util.hpp"

namespace endure::sinks {

json_sink::json_sink(std::string path, shape what) : path_(std::move(path)), shape_(what) {}

void json_sink::on_snapshot(const stats::snapshot& s) {
  if (!s.is_final) return;
  if (auto r = write(s); !r) base::log_error("json", r.err().message);
}

base::result<base::unit> json_sink::write(const stats::snapshot& s) const {
  const auto j = shape_ == shape::entries ? report::entries_json(s) : report::run_json(s);
  // Names are user data and may hold invalid UTF-8: replace rather than throw.
  const std::string text = j.dump(4, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  if (path_ == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return base::unit{};
  }
  return write_file_atomic(path_, text);
}

}  // namespace endure::sinks
