// engine::totals_stage: turns the run bus (interval records and events) into snapshots on its own
// thread: it keeps the run's totals (stats::run_totals), resets them when a test starts or the
// statistics are reset, and publishes a snapshot after every record on the snapshot bus, where
// the console, CSV, JSON, HTML and web outputs subscribe. The control thread only queues records.
#pragma once
#include <chrono>
#include <memory>
#include <mutex>

#include "engine/async_output.hpp"
#include "engine/event_bus.hpp"
#include "stats/run_totals.hpp"

namespace endure::engine {

using snapshot_bus = bus<stats::snapshot_ptr>;

class totals_stage {
 public:
  // view: what each snapshot computes (which rows get 10 s window percentiles).
  totals_stage(run_bus& in, snapshot_bus& out, stats::run_totals::view_options view = {});
  ~totals_stage();
  totals_stage(const totals_stage&) = delete;
  totals_stage& operator=(const totals_stage&) = delete;

  // A resumed run (a master restarted on its store): the totals start as the stored ones. Only
  // before anything is published on the run bus; begin once, then every stored record in order.
  void seed_begin(double test_start_wall_s);
  void seed(const stats::interval_record& r);

  // Waits until every record published so far has become a snapshot (and was published).
  bool drain(std::chrono::milliseconds limit);
  // The last snapshot published, and the final one of the last test that ended (null until then).
  stats::snapshot_ptr latest() const;
  stats::snapshot_ptr final_snapshot() const;

 private:
  void consume(const run_item& item);

  snapshot_bus& out_;
  stats::run_totals::view_options view_;
  stats::run_totals totals_;
  mutable std::mutex mutex_;
  stats::snapshot_ptr latest_, final_;
  std::unique_ptr<async_output<run_item>> queue_;
  subscription sub_;
};

// Merges consecutive interval records for a lossless queue that fell behind (exact; coarser
// time). Events never merge.
bool coalesce_records(run_item& into, run_item&& next);

}  // namespace endure::engine
