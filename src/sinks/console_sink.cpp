#include "sinks/console_sink.hpp"

#include <utility>

namespace endure::sinks {

console_sink::console_sink(std::FILE* out, bool only_summary, bool print_stats,
                           report::console_options options, std::string label)
    : out_(out),
      only_summary_(only_summary),
      print_stats_(print_stats),
      options_(options),
      health_("console", std::move(label)) {}

void console_sink::on_snapshot(const stats::snapshot& s) {
  if (s.is_final) {
    std::string text = report::final_summary(s, options_);
    if (annex_)
      if (auto a = annex_(); a && !a->console.empty()) text += "\n" + a->console;
    print(text, true);
    return;
  }
  // Locust prints every 2 s (CONSOLE_STATS_INTERVAL_SEC); snapshots come every second.
  if (only_summary_ || !print_stats_ || seen_++ % 2 != 1) return;
  print(report::periodic_table(s, options_) + "\n", false);
}

void console_sink::print(const std::string& text, bool is_summary) {
  if (auto why = write_stream_whole(out_, text); !why.empty()) {
    health_.failed(why, "tables are lost until it can be written again");
    if (is_summary) {
      summary_lost_ = why;
    } else {
      ++tables_lost_;
      tables_lost_why_ = why;
    }
  } else {
    health_.succeeded(tables_lost_ ? std::to_string(tables_lost_) + " tables were lost" : "");
  }
  output_status st;
  std::string reason;
  if (!summary_lost_.empty()) reason = "the final summary was not printed: " + summary_lost_;
  if (tables_lost_ > 0)
    reason += (reason.empty() ? "" : "; ") + std::to_string(tables_lost_) +
              " periodic tables were not printed: " + tables_lost_why_;
  if (!reason.empty()) st.incomplete.push_back({health_.path(), reason});
  publish(std::move(st));
}

}  // namespace endure::sinks
