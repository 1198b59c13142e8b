#include "sinks/csv_sink.hpp"

#include <cerrno>
#include <cmath>
#include <cstring>

#include "base/log.hpp"
#include "report/csv.hpp"
#include "sinks/file_util.hpp"

namespace endure::sinks {

namespace {
constexpr uint64_t failures_every_snapshots = 10;
}

base::result<std::unique_ptr<csv_sink>> csv_sink::open(const std::string& prefix,
                                                       bool full_history) {
  stats::snapshot empty;
  empty.aggregated.name = "Aggregated";
  for (auto [suffix, content] :
       {std::pair{"_stats.csv", report::stats_csv(empty)},
        std::pair{"_failures.csv", report::failures_csv(empty)},
        std::pair{"_exceptions.csv", report::exceptions_csv(empty)}}) {
    auto r = write_file_atomic(prefix + suffix, content);
    if (!r) return r.err();
  }
  const std::string history_path = prefix + "_stats_history.csv";
  std::FILE* f = std::fopen(history_path.c_str(), "wb");
  if (f == nullptr)
    return base::make_error("cannot write " + history_path + ": " + std::strerror(errno));
  const std::string header = report::history_csv_header();
  if (std::fwrite(header.data(), 1, header.size(), f) != header.size() || std::fflush(f) != 0) {
    std::fclose(f);
    return base::make_error("cannot write " + history_path + ": " + std::strerror(errno));
  }
  return std::unique_ptr<csv_sink>(new csv_sink(prefix, full_history, f));
}

csv_sink::csv_sink(std::string prefix, bool full_history, std::FILE* history)
    : prefix_(std::move(prefix)), full_history_(full_history), history_(history) {}

csv_sink::~csv_sink() {
  if (history_ != nullptr) std::fclose(history_);
}

void csv_sink::note(const base::result<base::unit>& r) {
  if (r || r.err().message == last_error_) return;
  last_error_ = r.err().message;
  base::log_error("csv", last_error_);  // once per distinct error, not every second
}

void csv_sink::on_snapshot(const stats::snapshot& s) {
  note(write_file_atomic(prefix_ + "_stats.csv", report::stats_csv(s)));
  const auto second = static_cast<int64_t>(std::floor(s.row_time_s()));
  if (second > last_history_second_ || s.is_final) {
    last_history_second_ = second;
    const std::string rows = report::history_csv_rows(s, full_history_);
    if (std::fwrite(rows.data(), 1, rows.size(), history_) != rows.size() ||
        std::fflush(history_) != 0)
      note(base::make_error(prefix_ + "_stats_history.csv: " + std::strerror(errno)));
  }
  if (s.is_final || ++seen_ % failures_every_snapshots == 0) {
    note(write_file_atomic(prefix_ + "_failures.csv", report::failures_csv(s)));
    note(write_file_atomic(prefix_ + "_exceptions.csv", report::exceptions_csv(s)));
  }
}

}  // namespace endure::sinks
