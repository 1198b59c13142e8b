#include "sinks/console_sink.hpp"

namespace endure::sinks {

console_sink::console_sink(std::FILE* out, bool only_summary, bool print_stats,
                           report::console_options options)
    : out_(out), only_summary_(only_summary), print_stats_(print_stats), options_(options) {}

void console_sink::on_snapshot(const stats::snapshot& s) {
  if (s.is_final) {
    const std::string text = report::final_summary(s, options_);
    std::fwrite(text.data(), 1, text.size(), out_);
    std::fflush(out_);
    return;
  }
  // Locust prints every 2 s (CONSOLE_STATS_INTERVAL_SEC); snapshots come every second.
  if (only_summary_ || !print_stats_ || seen_++ % 2 != 1) return;
  const std::string text = report::stats_table(s, report::rate_kind::current, options_) + "\n";
  std::fwrite(text.data(), 1, text.size(), out_);
  std::fflush(out_);
}

}  // namespace endure::sinks
