// The master at scale (issue 12): N simulated workers each report E entries every 3 s for a
// compressed hour on a simulated clock. Measures the master's CPU per report (MessagePack decode,
// record parsing, merge, publication) and its RSS over the run. Prints Markdown for
// bench/RESULTS.md. Usage: bench_master_scale [workers=100] [entries=200] [minutes=60]
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>

#include "base/log.hpp"
#include "base/scheduler.hpp"
#include "dist/master.hpp"
#include "proto/locust_stats.hpp"
#include "proto/message.hpp"
#include "stats/histogram.hpp"

using namespace endure;
using namespace std::chrono_literals;

namespace {

double thread_cpu_s() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

double rss_mib() {
  std::ifstream f("/proc/self/statm");
  long pages = 0, resident = 0;
  f >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

// One worker's interval: `entries` endpoints, ~20 requests each spread over a few buckets.
stats::interval_record interval(uint64_t id, size_t entries, uint64_t seed) {
  stats::interval_record r;
  r.id = id;
  r.start_wall_s = static_cast<double>(id);
  r.end_wall_s = static_cast<double>(id + 1);
  r.user_count = 10;
  for (size_t e = 0; e < entries; ++e) {
    stats::entry_delta d;
    d.method = "GET";
    d.name = "/api/endpoint/" + std::to_string(e);
    std::map<uint32_t, uint64_t> b;
    for (uint64_t k = 0; k < 20; ++k) {
      const uint64_t us = 1000 + ((seed * 7919 + e * 104729 + k * 7) % 50'000);
      if (d.requests == 0 || us < d.min_us) d.min_us = us;
      d.max_us = std::max(d.max_us, us);
      d.sum_us += us;
      ++d.requests;
      ++b[stats::histogram::bucket_index(us)];
    }
    d.intended_min_us = d.min_us;
    d.intended_max_us = d.max_us;
    d.latency.assign(b.begin(), b.end());
    r.data.entries.push_back(std::move(d));
  }
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  const size_t workers = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 100;
  const size_t entries = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 200;
  const int minutes = argc > 3 ? std::atoi(argv[3]) : 60;

  base::set_log_level(base::log_level::warning);
  base::sim_scheduler sched;
  engine::run_bus bus;
  uint64_t published = 0, requests = 0;
  auto sub = bus.subscribe([&](const engine::run_item& item) {
    if (const auto* r = std::get_if<stats::record_ptr>(&item)) {
      ++published;
      for (const auto& e : (*r)->data.entries) requests += e.requests;
    }
  });
  dist::master_config cfg;
  cfg.classes = {{"U", 1, 0}};
  cfg.users = workers * 10;
  cfg.spawn_rate = 1e6;
  cfg.expect_workers = workers;
  cfg.run_time = std::chrono::minutes(minutes);
  dist::master m(sched, cfg, bus, [](const std::string&, const proto::message&) {});
  m.start();
  std::vector<std::string> ids;
  for (size_t w = 0; w < workers; ++w) {
    ids.push_back("worker_" + std::to_string(w));
    m.on_message(proto::message{"client_ready", "2.12.1", ids.back()});
  }
  sched.run_for(1s);

  double cpu = 0;
  uint64_t reports = 0, bytes = 0;
  std::printf("| simulated time | reports | master RSS (MiB) |\n|---|---:|---:|\n");
  const int slots = minutes * 20;  // one report every 3 s
  for (int slot = 0; slot < slots; ++slot) {
    // Every worker reports the same 3 intervals (the payload is built once per slot, untimed).
    const uint64_t now_id = static_cast<uint64_t>(sched.wall_s());
    std::vector<stats::record_ptr> recs;
    for (uint64_t k = 3; k >= 1; --k)
      recs.push_back(std::make_shared<const stats::interval_record>(interval(now_id - k, entries, slot + k)));
    const std::string payload = proto::encode(proto::message{"stats", proto::stats_report(recs, 10, {{"U", 10}}), "w"});
    for (size_t w = 0; w < workers; ++w) {
      const double t0 = thread_cpu_s();
      auto msg = proto::decode(payload);
      msg->node_id = ids[w];
      m.on_message(*msg);
      m.on_message(proto::message{"heartbeat", {{"state", "running"}, {"endure", true}}, ids[w]});
      cpu += thread_cpu_s() - t0;
      ++reports;
      bytes += payload.size();
    }
    const double t0 = thread_cpu_s();
    sched.run_for(3s);  // the master's ticks: liveness, publication of finished intervals
    cpu += thread_cpu_s() - t0;
    if ((slot + 1) % (slots / 6 > 0 ? slots / 6 : 1) == 0)
      std::printf("| %.1f min | %llu | %.1f |\n", (slot + 1) / 20.0, static_cast<unsigned long long>(reports), rss_mib());
  }
  std::printf("\n%zu workers x %zu entries, %d simulated minutes: %llu reports of %.1f KiB, %.3f ms of master CPU "
              "per report (%.1f%% of one core at this rate), %llu records published, %llu requests merged\n",
              workers, entries, minutes, static_cast<unsigned long long>(reports),
              static_cast<double>(bytes) / static_cast<double>(reports) / 1024.0, 1000.0 * cpu / static_cast<double>(reports),
              100.0 * cpu / (minutes * 60.0), static_cast<unsigned long long>(published),
              static_cast<unsigned long long>(requests));
  return 0;
}
