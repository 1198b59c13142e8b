// `endure report RUN.db`: a run's reports regenerated from its store, for the whole run (equal to
// what the run wrote itself) or a window of it: the console summary on stdout, and on request the
// CSV files, the JSON statistics and the HTML report (charts from the roll-ups, at most 2,000
// points per series). Says when the run ended abnormally and when its last interval was.
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "analysis/series_collector.hpp"
#include "analysis/threshold_eval.hpp"
#include "analysis/verdict.hpp"
#include "app/command_args.hpp"
#include "app/store_commands.hpp"
#include "app/summary_output.hpp"
#include "app/verdict_output.hpp"
#include "base/duration.hpp"
#include "report/console.hpp"
#include "report/csv.hpp"
#include "report/format.hpp"
#include "report/html.hpp"
#include "report/json.hpp"
#include "report/monitor.hpp"
#include "report/summary.hpp"
#include "report/verdict.hpp"
#include "sinks/file_util.hpp"
#include "store/reader.hpp"

namespace endure::app {

namespace {

constexpr const char* usage =
    "Usage: endure report RUN.db [--csv PREFIX] [--html FILE] [--json FILE] [--summary-json FILE]\n"
    "                            [--from T] [--to T]\n"
    "\n"
    "Regenerates a run's reports from its run store. Without --from/--to: the whole run, as the\n"
    "run reported it itself (the statistics since its last test start or reset).\n"
    "\n"
    "  --csv PREFIX   Write PREFIX_stats.csv, PREFIX_failures.csv, PREFIX_exceptions.csv (and\n"
    "                 PREFIX_monitor.csv when the run monitored a target)\n"
    "  --html FILE    Write the HTML report (charts from the run's roll-ups)\n"
    "  --json FILE    Write the statistics as JSON (the shape of --json-file)\n"
    "  --summary-json FILE  Write the run summary (the shape of the run's --summary-json)\n"
    "  --from T       Start of the window: an offset from the run's start (48h, 2d3h) or an\n"
    "                 ISO time (2026-12-01T09:00:00Z)\n"
    "  --to T         End of the window, the same forms\n"
    "  --warmup T     The soak verdict's warm-up (a duration, or auto: found by MSER-5)\n"
    "  --threshold E  A threshold judged on the window (repeatable; as the run's --threshold):\n"
    "                 a failed one is listed on stderr and makes the exit code 3\n"
    "  --limit E      A limit for a series' time-to-limit (repeatable; as the run's --limit)\n"
    "  -h, --help     Print this help\n";

// The lines about how the run ended, for the console header and the HTML report.
std::string ending_text(const store::run_info& i) {
  if (i.has_end)
    return report::format_iso8601_utc(i.end_wall_s) + " (" + i.end_reason + ", exit code " +
           std::to_string(i.exit_code) + ")";
  if (i.last_data_wall_s > 0)
    return "abnormally: no end record (killed, or still running); the last interval recorded "
           "ended at " +
           report::format_iso8601_utc(i.last_data_wall_s) + ", " +
           duration_text(i.last_data_wall_s - i.start_wall_s) + " after the start";
  return "abnormally: no end record (killed, or still running); no interval was recorded";
}

}  // namespace

int report_main(const cli::invocation& inv) {
  auto args =
      read_command_args(inv.args, {"csv", "html", "json", "summary-json", "from", "to", "warmup", "threshold", "limit"},
                        {"help"}, "endure report");
  if (!args) return command_error(args.err());
  if (args->has("help")) {
    std::fputs(usage, stdout);
    return 0;
  }
  if (args->positional.size() != 1)
    return command_error(args->positional.empty()
                             ? "endure report needs a run store: endure report RUN.db"
                             : "endure report reads one run store at a time");
  for (const char* flag : {"csv", "html", "json", "summary-json"})
    if (args->has(flag)) {
      const std::string path =
          std::string(flag) == "csv" ? args->value(flag) + "_stats.csv" : args->value(flag);
      if (auto r = check_output_path(std::string("--") + flag, path); !r) return command_error(r.err());
    }
  auto rd = store::reader::open(args->positional.front());
  if (!rd) return command_error(rd.err());
  const auto& info = (*rd)->info();

  store::window w;
  for (const char* flag : {"from", "to"}) {
    if (!args->has(flag)) continue;
    auto t = parse_when(args->value(flag), info.start_wall_s);
    if (!t) return command_error("--" + std::string(flag) + ": " + t.err().message);
    (std::string(flag) == "from" ? w.from_wall_s : w.to_wall_s) = *t;
  }
  if (w.from_wall_s && w.to_wall_s && *w.to_wall_s <= *w.from_wall_s)
    return command_error("--to must be after --from");

  auto snap = (*rd)->totals(w, args->has("json"));
  if (!snap) return command_error(snap.err());
  const std::string window_text =
      w.is_whole_run()
          ? "the whole run (statistics since " +
                report::format_iso8601_utc(info.totals_start_wall_s) + ")"
          : report::format_iso8601_utc(w.from_wall_s.value_or(info.start_wall_s)) + " to " +
                (w.to_wall_s ? report::format_iso8601_utc(*w.to_wall_s) : std::string("the end"));

  std::string lf;
  for (const auto& f : info.locustfiles)
    lf += (lf.empty() ? "" : ", ") + f.path + " (sha256 " + f.sha256.substr(0, 12) + ")";
  std::string head = "Run store    " + info.path + " (run " + info.run_id.substr(0, 8) +
                     ", endure " + info.endure_version + ")\n";
  head += "Locustfile   " + lf + "\n";
  if (!info.host.empty()) head += "Host         " + info.host + "\n";
  head += "Started      " + report::format_iso8601_utc(info.start_wall_s) + "\n";
  head += "Ended        " + ending_text(info) + "\n";
  head += "Window       " + window_text + "\n\n";
  std::fputs(head.c_str(), stdout);
  std::fputs(report::final_summary(**snap).c_str(), stdout);

  // The soak verdict and thresholds of the window, from its stored rows (histograms merged).
  analysis::verdict_config vc;
  if (args->has("warmup") && args->value("warmup") != "auto") {
    auto d = base::parse_duration(args->value("warmup"));
    if (!d) return command_error("invalid value '" + args->value("warmup") +
                                 "' for --warmup: expected a duration such as 10m or 0, or auto");
    vc.warmup_s = static_cast<double>(d->count()) / 1000.0;
  }
  std::vector<analysis::threshold> thresholds;
  if (auto it = args->values.find("threshold"); it != args->values.end())
    for (const auto& text : it->second) {
      auto t = analysis::parse_threshold(text);
      if (!t) return command_error("invalid value '" + text + "' for --threshold: expected " + t.err().message);
      thresholds.push_back(*t);
    }
  if (auto it = args->values.find("limit"); it != args->values.end())
    for (const auto& text : it->second) {
      auto l = analysis::parse_limit(text);
      if (!l) return command_error("invalid value '" + text + "' for --limit: expected " + l.err().message);
      vc.limits.push_back(*l);
    }
  analysis::series_collector collector;
  analysis::threshold_evaluator evaluator(thresholds);
  // Target monitoring as the run summarised it: the same samples, stamped alike (the end of
  // their record), through the same accumulator; and PREFIX_monitor.csv's rows.
  report::monitor_accumulator monitoring;
  bool monitored = false;
  double monitor_start_s = 0;
  std::string monitor_csv;
  store::window vw = w;
  if (vw.is_whole_run()) vw.from_wall_s = info.totals_start_wall_s;
  auto fed = (*rd)->each_record(vw, [&](const stats::interval_record& r) {
    collector.add(r);
    evaluator.add(r);
    if (monitor_start_s == 0) monitor_start_s = r.start_wall_s;
    if (r.monitor.empty()) return;
    monitored = true;
    stats::snapshot stamp;  // the CSV row's time: the end of the record's interval
    stamp.interval_id = r.id;
    stamp.interval_length_ms = r.length_ms;
    stamp.wall_s = r.end_wall_s;
    stamp.monitor = r.monitor;
    monitor_csv += report::monitor_csv_rows(stamp);
    for (const auto& m : r.monitor) monitoring.add(m.source, m.metric, r.end_wall_s, m.value);
  });
  if (!fed) return command_error(fed.err());
  const auto run_series = collector.to_run_series();
  const auto soak = analysis::judge(run_series, vc);
  auto threshold_results = evaluator.evaluate(run_series, soak, vc);
  settle_final_thresholds(threshold_results);
  const auto monitor_rows = monitoring.summaries();
  const std::string monitor_text = report::monitor_table(monitor_rows, {});
  if (!monitor_text.empty()) std::fputs(("\n" + monitor_text).c_str(), stdout);
  std::fputs(("\n" + report::verdict_table(soak, threshold_results)).c_str(), stdout);
  std::fflush(stdout);

  int code = 0;
  if (report_failed_thresholds(threshold_results)) code = static_cast<int>(base::exit_code::thresholds);
  auto write = [&code](const std::string& path, const std::string& content) {
    if (auto r = sinks::write_file_atomic(path, content); !r) {
      std::fprintf(stderr, "endure: %s\n", r.err().message.c_str());
      code = static_cast<int>(base::exit_code::outputs_incomplete);
    }
  };
  if (args->has("csv")) {
    const std::string prefix = args->value("csv");
    write(prefix + "_stats.csv", report::stats_csv(**snap));
    write(prefix + "_failures.csv", report::failures_csv(**snap));
    write(prefix + "_exceptions.csv", report::exceptions_csv(**snap));
    if (monitored) write(prefix + "_monitor.csv", report::monitor_csv_header() + monitor_csv);
  }
  if (args->has("json")) {
    const auto j = report::entries_json(**snap);
    write(args->value("json"),
          j.dump(4, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  }
  if (args->has("html")) {
    store::series_request req;
    req.w = w;
    if (w.is_whole_run()) req.w.from_wall_s = info.totals_start_wall_s;
    auto series = (*rd)->series(req);
    if (!series) return command_error(series.err());
    std::vector<report::chart_point> points;
    points.reserve(series->aggregated.points.size());
    size_t run_i = 0;
    for (const auto& p : series->aggregated.points) {
      while (run_i < series->run.size() && series->run[run_i].start_wall_s < p.start_wall_s)
        ++run_i;
      const double users =
          run_i < series->run.size() && series->run[run_i].start_wall_s == p.start_wall_s
              ? static_cast<double>(series->run[run_i].user_count)
              : 0;
      points.push_back({p.end_wall_s, p.rps, p.fail_per_s, p.p50_ms, p.p95_ms, p.p99_ms, users});
    }
    report::html_run_info hi;
    hi.host = info.host;
    hi.locustfile = info.locustfiles.empty() ? "" : info.locustfiles.front().path;
    hi.start_wall_s = w.from_wall_s.value_or(info.totals_start_wall_s);
    hi.end_wall_s = w.to_wall_s.value_or(info.has_end ? info.end_wall_s : info.last_data_wall_s);
    if (!info.has_end) hi.notices.push_back("This run ended " + ending_text(info) + ".");
    hi.notices.push_back("Regenerated from the run store " + info.path + ": " + window_text +
                         "; charts at " + duration_text(series->step_s) + " per point.");
    write(args->value("html"),
          report::html_report(**snap, hi, points, {},
                              (monitored ? report::monitor_html(monitor_rows, {}, monitor_start_s) : "") +
                                  report::verdict_html(soak, threshold_results)));
  }
  if (args->has("summary-json")) {
    report::summary_input in;
    in.endure_version = ENDURE_VERSION;
    in.source = "store";
    in.run_id = info.run_id;
    in.store_path = info.path;
    in.locustfile = info.locustfiles.empty() ? "" : info.locustfiles.front().path;
    in.host = info.host;
    in.start_wall_s = info.totals_start_wall_s;
    in.ended = info.has_end;
    in.end_wall_s = info.end_wall_s;
    in.end_reason = info.has_end ? info.end_reason : "no end record (killed, or still running)";
    if (info.has_end) in.exit_code = info.exit_code;
    in.totals = snap->get();
    in.window = w.is_whole_run() ? "whole run" : window_text;
    in.verdict = &soak;
    in.thresholds = &threshold_results;
    // The run's exit code as its end record has it; why is not recorded (the run's own
    // --summary-json says).
    in.has_monitor = monitored;
    in.monitor = monitor_rows;
    if (!write_summary(args->value("summary-json"), in))
      code = static_cast<int>(base::exit_code::outputs_incomplete);
  }
  return code;
}

}  // namespace endure::app
