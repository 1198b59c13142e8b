// The run store fed a long synthetic run on a simulated clock, as fast as it can write: N days of
// 1 s interval records (default 7 days: 604,800), 50 entries at 1,000 req/s with lognormal
// latencies (tests/support/synthetic_records.hpp). Prints, per simulated day and at the end: the
// wall time taken, the file size (database + WAL), this process's RSS, and the rows per tier;
// then the time of the reads a UI and a report make on the result.
//   build/release/bench/bench_store_synthetic --days 7 --out /tmp/week.db
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "store/reader.hpp"
#include "store/schema.hpp"
#include "store/sqlite.hpp"
#include "store/writer.hpp"
#include "support/synthetic_records.hpp"

using namespace endure;

namespace {

double rss_mb() {
  std::ifstream in("/proc/self/statm");
  long pages = 0, resident = 0;
  in >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGE_SIZE)) / 1e6;
}

double peak_rss_mb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1e3;
}

double size_mb(const std::string& db) {
  double n = 0;
  for (const char* s : {"", "-wal"}) {
    std::error_code ec;
    const auto b = std::filesystem::file_size(db + s, ec);
    if (!ec) n += static_cast<double>(b);
  }
  return n / 1e6;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
  double days = 7;
  std::string out = "/tmp/endure-synthetic.db";
  test_support::synthetic_config cfg;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--days")
      days = std::stod(v);
    else if (a == "--out")
      out = v;
    else if (a == "--entries")
      cfg.entries = std::stoul(v);
    else if (a == "--rps")
      cfg.requests_per_s = std::stod(v);
    else if (a == "--seed")
      cfg.seed = std::stoull(v);
    else {
      std::fprintf(stderr, "usage: %s [--days D] [--out FILE] [--entries N] [--rps R] [--seed S]\n",
                   argv[0]);
      return 2;
    }
  }
  for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(out + s);
  const uint64_t seconds = static_cast<uint64_t>(days * 86400);
  const uint64_t t0 = 1'790'000'000 - 1'790'000'000 % 86400;  // a midnight UTC
  store::run_meta meta;
  meta.start_wall_s = static_cast<double>(t0);
  meta.endure_version = "bench";
  meta.command_line = {"bench_store_synthetic"};
  meta.machine = store::this_machine();
  auto w = store::writer::create(out, meta);
  if (!w) {
    std::fprintf(stderr, "%s\n", w.err().message.c_str());
    return 2;
  }
  test_support::synthetic_records gen(cfg);
  std::printf("synthetic run: %.1f days (%llu intervals), %zu entries, %.0f req/s -> %s\n", days,
              static_cast<unsigned long long>(seconds), cfg.entries, cfg.requests_per_s,
              out.c_str());
  std::printf("%8s %10s %10s %10s %12s\n", "day", "wall s", "file MB", "RSS MB", "intervals/s");
  std::fflush(stdout);
  (*w)->write(store::event_info{static_cast<double>(t0), "test_start", 1, 0, "synthetic"});
  const auto start = std::chrono::steady_clock::now();
  double gen_s = 0;
  auto mark = start;
  for (uint64_t i = 0; i < seconds; ++i) {
    const auto g0 = std::chrono::steady_clock::now();
    auto r = gen.make(t0 + i);
    gen_s += seconds_since(g0);
    (*w)->write(*r);
    if ((i + 1) % 86400 == 0 || i + 1 == seconds) {
      std::printf("%8.2f %10.0f %10.1f %10.1f %12.0f\n", static_cast<double>(i + 1) / 86400,
                  seconds_since(start), size_mb(out), rss_mb(), 86400.0 / seconds_since(mark));
      std::fflush(stdout);
      mark = std::chrono::steady_clock::now();
    }
  }
  (*w)->finish(static_cast<double>(t0 + seconds), "run time", 0);
  const double total_s = seconds_since(start);
  w->reset();
  std::printf(
      "\nwrote %llu intervals in %.0f s (%.0f s of it generating records), %.0f intervals/s\n",
      static_cast<unsigned long long>(seconds), total_s, gen_s,
      static_cast<double>(seconds) / total_s);
  std::printf("file %.1f MB, peak RSS %.1f MB\n", size_mb(out), peak_rss_mb());
  {
    store::sql::database db(out, store::sql::open_mode::read_only);
    for (const auto& t : store::tiers) {
      auto st = db.prepare(
          "SELECT count(*), coalesce(sum(length(latency)), 0) FROM stats WHERE tier = ?");
      st.bind(1, t.tier);
      st.step();
      std::printf("tier %d (%5llds rows): %9lld stats rows, %7.1f MB of histograms\n", t.tier,
                  static_cast<long long>(t.length_s), static_cast<long long>(st.int64(0)),
                  static_cast<double>(st.int64(1)) / 1e6);
    }
    std::printf("pages %lld, free pages %lld\n",
                static_cast<long long>(db.query_int("PRAGMA page_count")),
                static_cast<long long>(db.query_int("PRAGMA freelist_count")));
  }
  // The reads others make on it.
  auto rd = store::reader::open(out);
  if (!rd) {
    std::fprintf(stderr, "%s\n", rd.err().message.c_str());
    return 1;
  }
  auto q0 = std::chrono::steady_clock::now();
  auto tot = (*rd)->totals();
  std::printf("whole-run totals (every entry, exact): %.2f s, %llu requests\n", seconds_since(q0),
              static_cast<unsigned long long>(tot ? (*tot)->aggregated.num_requests : 0));
  q0 = std::chrono::steady_clock::now();
  store::series_request all;
  auto s = (*rd)->series(all);
  std::printf("series, whole run, Aggregated: %.3f s, %zu points of %.0f s\n", seconds_since(q0),
              s ? s->aggregated.points.size() : 0, s ? s->step_s : 0);
  q0 = std::chrono::steady_clock::now();
  all.all_entries = true;
  s = (*rd)->series(all);
  std::printf("series, whole run, every entry: %.3f s, %zu series\n", seconds_since(q0),
              s ? s->entries.size() : 0);
  store::series_request day;
  day.w.from_wall_s = static_cast<double>(t0 + seconds) - 2.5 * 86400;
  day.w.to_wall_s = static_cast<double>(t0 + seconds) - 1.5 * 86400;
  q0 = std::chrono::steady_clock::now();
  s = (*rd)->series(day);
  std::printf("series, one day 1.5 days ago, Aggregated: %.3f s, %zu points of %.0f s\n",
              seconds_since(q0), s ? s->aggregated.points.size() : 0, s ? s->step_s : 0);
  store::series_request hour;
  hour.w.from_wall_s = static_cast<double>(t0 + seconds) - 3600;
  q0 = std::chrono::steady_clock::now();
  s = (*rd)->series(hour);
  std::printf("series, last hour, Aggregated: %.3f s, %zu points of %.0f s\n", seconds_since(q0),
              s ? s->aggregated.points.size() : 0, s ? s->step_s : 0);
  return 0;
}
