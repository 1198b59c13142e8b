#include "engine/totals_stage.hpp"

namespace endure::engine {

bool coalesce_records(run_item& into, run_item&& next) {
  auto* a = std::get_if<stats::record_ptr>(&into);
  auto* b = std::get_if<stats::record_ptr>(&next);
  if (a == nullptr || b == nullptr || !*a || !*b) return false;
  if ((*a)->test != (*b)->test || (*a)->is_final) return false;
  auto merged = std::make_shared<stats::interval_record>(**a);
  stats::merge(*merged, stats::interval_record(**b));
  *a = std::move(merged);
  return true;
}

totals_stage::totals_stage(run_bus& in, snapshot_bus& out, stats::run_totals::view_options view)
    : out_(out), view_(view) {
  // Lossless: every record reaches the totals. 120 records of backlog before merging kicks in.
  queue_ = std::make_unique<async_output<run_item>>(
      "statistics", output_policy::lossless, 120, [this](const run_item& item) { consume(item); },
      coalesce_records);
  sub_ = in.subscribe([this](const run_item& item) { queue_->push(item); });
}

totals_stage::~totals_stage() {
  sub_.reset();
  queue_->stop();
}

void totals_stage::consume(const run_item& item) {
  if (const auto* e = std::get_if<run_event>(&item)) {
    if (e->kind == event_kind::test_start) totals_.begin_test(e->wall_s);
    if (e->kind == event_kind::stats_reset) totals_.reset(e->wall_s);
    return;
  }
  const auto& r = std::get<stats::record_ptr>(item);
  if (!r) return;
  totals_.add(*r);
  auto options = view_;
  options.with_buckets = r->is_final;
  auto snap = totals_.view(options);
  {
    std::lock_guard lock(mutex_);
    latest_ = snap;
    if (r->is_final) final_ = snap;
  }
  out_.publish(snap);
}

void totals_stage::seed_begin(double test_start_wall_s) { totals_.begin_test(test_start_wall_s); }

void totals_stage::seed(const stats::interval_record& r) { totals_.add(r); }

bool totals_stage::drain(std::chrono::milliseconds limit) { return queue_->drain(limit); }

stats::snapshot_ptr totals_stage::latest() const {
  std::lock_guard lock(mutex_);
  return latest_;
}

stats::snapshot_ptr totals_stage::final_snapshot() const {
  std::lock_guard lock(mutex_);
  return final_;
}

}  // namespace endure::engine
