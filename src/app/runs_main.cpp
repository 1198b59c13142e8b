// `endure runs [DIR]`: one line per run store in a folder (default ./runs): file, start, duration,
// how it ended, locustfile, peak users, requests, failure % and p95 of the run's own totals.
// A file that cannot be read gets its line with the reason; the others are still listed.
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "app/command_args.hpp"
#include "app/store_commands.hpp"
#include "report/format.hpp"
#include "store/reader.hpp"

namespace endure::app {

namespace {

constexpr const char* usage =
    "Usage: endure runs [DIR]\n"
    "\n"
    "Lists the run stores (*.db) in DIR (default: ./runs), one line per run.\n";

std::string pad(const std::string& s, size_t w) {
  return s.size() >= w ? s : s + std::string(w - s.size(), ' ');
}
std::string rpad(const std::string& s, size_t w) {
  return s.size() >= w ? s : std::string(w - s.size(), ' ') + s;
}

}  // namespace

int runs_main(const cli::invocation& inv) {
  auto args = read_command_args(inv.args, {}, {"help"}, "endure runs");
  if (!args) return command_error(args.err());
  if (args->has("help")) {
    std::fputs(usage, stdout);
    return 0;
  }
  if (args->positional.size() > 1)
    return command_error("endure runs lists one folder: endure runs [DIR]");
  const std::string dir = args->positional.empty() ? "runs" : args->positional.front();
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    return command_error(
        "cannot list runs in '" + dir + "': no such folder" +
        (args->positional.empty() ? " (runs are recorded in ./runs by default)" : ""));
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().extension() == ".db") files.push_back(e.path());
  std::sort(files.begin(), files.end());

  std::vector<std::vector<std::string>> rows;
  rows.push_back({"File", "Start", "Duration", "Ended", "Locustfile", "Peak users", "Requests",
                  "Fail %", "p95 (ms)"});
  for (const auto& f : files) {
    auto rd = store::reader::open(f.string());
    if (!rd) {
      rows.push_back({f.filename().string(), "(not readable: " + rd.err().message + ")"});
      continue;
    }
    const auto& i = (*rd)->info();
    auto s = (*rd)->summary();
    if (!s) {
      rows.push_back({f.filename().string(), "(not readable: " + s.err().message + ")"});
      continue;
    }
    char fail[32];
    std::snprintf(fail, sizeof fail, "%.2f",
                  s->requests
                      ? 100.0 * static_cast<double>(s->failures) / static_cast<double>(s->requests)
                      : 0.0);
    rows.push_back({f.filename().string(), report::format_iso8601_utc(i.start_wall_s),
                    duration_text(s->duration_s), i.has_end ? i.end_reason : "no end record",
                    i.locustfile_name(), std::to_string(i.peak_users), std::to_string(s->requests),
                    fail, report::format_ms(s->p95_ms)});
  }
  std::vector<size_t> w(9, 0);
  for (const auto& r : rows)
    if (r.size() == w.size())
      for (size_t c = 0; c < r.size(); ++c) w[c] = std::max(w[c], r[c].size());
  std::string out;
  for (const auto& r : rows) {
    if (r.size() != w.size()) {
      out += pad(r[0], w[0]) + "  " + r[1] + "\n";
      continue;
    }
    for (size_t c = 0; c < r.size(); ++c) {
      const bool numeric = c >= 5;
      out += (numeric ? rpad(r[c], w[c]) : pad(r[c], w[c])) + (c + 1 < r.size() ? "  " : "");
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out += "\n";
  }
  if (files.empty()) out += "(no run stores in " + dir + ")\n";
  std::fputs(out.c_str(), stdout);
  return 0;
}

}  // namespace endure::app
