// The generator's own health: CPU of this process (getrusage), its RSS (/proc/self/statm), and
// the saturation rule: above 90% of the cores in use for 10 s means its latencies are suspect.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <thread>

#include "base/log.hpp"
#include "engine/controller.hpp"

namespace endure::engine {
namespace {

double process_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

uint64_t process_rss_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long size = 0, resident = 0;
  const int n = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  return n == 2 ? static_cast<uint64_t>(resident) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE)) : 0;
}

class process_sampler final : public health_sampler {
 public:
  stats::generator_health sample(int64_t now_ns, double lag_ms, size_t busy_threads) override {
    stats::generator_health h;
    const double cpu = process_cpu_seconds();
    if (last_ns_ != 0) {
      const double dt = static_cast<double>(now_ns - last_ns_) / 1e9;
      if (dt > 0.2) {
        percent_ = 100.0 * (cpu - last_cpu_) / dt;
        const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
        const double limit = 90.0 * std::min<double>(cores, static_cast<double>(std::max<size_t>(1, busy_threads)));
        high_s_ = percent_ > limit ? high_s_ + dt : 0;
        if (high_s_ >= 10 && !warned_) {
          warned_ = true;
          base::log_warning("runner",
                            "CPU usage above 90% for 10 s: the generator is saturated and its "
                            "response times are not trustworthy (use more --threads or workers)");
        }
      }
    }
    last_cpu_ = cpu;
    last_ns_ = now_ns;
    h.cpu_percent = percent_;
    h.rss_bytes = process_rss_bytes();
    h.loop_lag_ms = lag_ms;
    h.cpu_saturated = warned_;
    // Per interval (the soak verdict counts how much of a run was saturated; warned_ stays set).
    h.cpu_high = high_s_ > 0;
    return h;
  }

 private:
  int64_t last_ns_ = 0;
  double last_cpu_ = 0, percent_ = 0, high_s_ = 0;
  bool warned_ = false;
};

}  // namespace

std::unique_ptr<health_sampler> make_process_sampler() { return std::make_unique<process_sampler>(); }

}  // namespace endure::engine
