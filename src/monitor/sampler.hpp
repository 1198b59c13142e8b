// monitor::sampler: runs the monitor sources beside the load, each on a thread
// of its own (never the control thread or a shard, so a slow exporter delays
// nothing else), once per interval just before the interval's
// wall-clock-aligned end. The control thread collects the newest samples as it
// closes each interval record (take(), a short lock, never a wait), so samples
// travel in the records with the load and reach every output on the run's
// clock. A source that fails is reported once, counted, retried every interval,
// and said back when it answers again; it never stops the test.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "monitor/source.hpp"
#include "stats/interval_record.hpp"

namespace endure::monitor {

struct source_status {
  std::string name;
  uint64_t samples = 0;  // successful samples
  uint64_t failures = 0; // failed samples
  bool down = false;     // the last sample failed
  std::string last_error;
};

class sampler {
public:
  sampler(std::vector<std::unique_ptr<source>> sources,
          std::chrono::milliseconds interval);
  ~sampler();
  sampler(const sampler &) = delete;
  sampler &operator=(const sampler &) = delete;

  // Starts one thread per source. Idempotent.
  void start();
  // Ends the threads (a source waiting on the network returns early).
  // Idempotent.
  void stop();

  // Any thread: the newest sample of each source taken since the last call.
  std::vector<stats::monitor_sample> take();
  // One sample of source i at monotonic time now_s (the source's thread calls
  // it; tests too).
  void poll(size_t i, double now_s);

  std::vector<source_status> status() const;
  size_t sources() const { return sources_.size(); }

private:
  void loop(size_t i);

  std::vector<std::unique_ptr<source>> sources_;
  std::chrono::milliseconds interval_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<std::vector<stats::monitor_sample>> fresh_; // per source, untaken
  std::vector<source_status> status_;
  std::vector<std::thread> threads_;
};

} // namespace endure::monitor
