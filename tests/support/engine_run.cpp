#include "support/engine_run.hpp"

#include <mutex>

#include "cppfile/cpp_shard.hpp"
#include "endure/user.hpp"
#include "engine/asio_scheduler.hpp"

namespace endure::test_support {

std::vector<engine::user_class> cpp_classes(const std::vector<const detail::class_spec*>& specs) {
  std::vector<engine::user_class> out;
  for (const auto* s : specs) {
    engine::user_class c;
    c.name = s->name;
    c.weight = s->weight;
    c.fixed_count = s->fixed_count;
    c.host = s->host;
    c.handle = s;
    out.push_back(std::move(c));
  }
  return out;
}

namespace {
engine::controller_config base_config(const run_config& c) {
  engine::controller_config cc;
  cc.threads = c.threads;
  cc.shards.client = c.client;
  cc.shards.tags = c.tags;
  cc.shards.exclude_tags = c.exclude_tags;
  cc.seed = c.seed;
  cc.interval = c.interval;
  return cc;
}
}  // namespace

runner::runner(run_config cfg, std::vector<const detail::class_spec*> classes)
    : cfg_(std::move(cfg)), ccfg_(base_config(cfg_)) {
  ccfg_.shards.classes = cpp_classes(classes);
  ccfg_.make_shard = [](int i, const engine::shard_config& sc) -> std::unique_ptr<engine::user_shard> {
    return std::make_unique<cppfile::cpp_shard>(i, sc);
  };
}

runner::runner(run_config cfg, engine::locustfile& lf, const nlohmann::json& parsed_options)
    : cfg_(std::move(cfg)), ccfg_(base_config(cfg_)), lf_(&lf) {
  ccfg_.shards.classes = lf.classes();
  nlohmann::json o = parsed_options.is_object() ? parsed_options : nlohmann::json::object();
  if (!o.contains("host")) o["host"] = cfg_.host;
  configured_ = static_cast<bool>(lf.configure(ccfg_, o));
  if (!cfg_.shape) cfg_.shape = lf.shape();
}

runner::~runner() = default;

void runner::on_snapshot(std::function<void(const stats::snapshot_ptr&)> f) {
  snapshot_fns_.push_back(std::move(f));
}
void runner::on_event(std::function<void(const engine::run_event&)> f) {
  event_fns_.push_back(std::move(f));
}

void runner::on_record(std::function<void(const stats::record_ptr&)> f) {
  record_fns_.push_back(std::move(f));
}

void runner::request_stop() {
  if (auto* c = ctl_.load()) c->stop();
}

stats::snapshot_ptr runner::run() {
  if (!configured_) return nullptr;
  engine::asio_scheduler sched;
  engine::run_bus run_bus;
  engine::snapshot_bus snapshot_bus;
  engine::totals_stage totals(run_bus, snapshot_bus);
  std::vector<engine::subscription> subs;
  for (auto& f : snapshot_fns_) subs.push_back(snapshot_bus.subscribe(f));
  for (auto& f : event_fns_)
    subs.push_back(run_bus.subscribe([f](const engine::run_item& item) {
      if (const auto* e = std::get_if<engine::run_event>(&item)) f(*e);
    }));
  for (auto& f : record_fns_)
    subs.push_back(run_bus.subscribe([f](const engine::run_item& item) {
      if (const auto* r = std::get_if<stats::record_ptr>(&item)) f(*r);
    }));
  engine::controller ctl(sched, ccfg_, run_bus);
  engine::subscription lf_events;
  if (lf_) lf_events = lf_->attach(run_bus);
  ctl_.store(&ctl);
  engine::test_plan plan;
  plan.users = cfg_.users;
  plan.spawn_rate = cfg_.spawn_rate;
  plan.run_time = cfg_.run_time;
  plan.stop_timeout = cfg_.stop_timeout;
  plan.iterations = cfg_.iterations;
  plan.host = cfg_.host;
  plan.reset_stats_after_ramp = cfg_.reset_stats;
  plan.shape = cfg_.shape;
  ctl.start(std::move(plan));
  sched.run_until([&] { return ctl.tests_started() > 0 && ctl.state() == stats::run_state::stopped; });
  ctl_.store(nullptr);
  outcome_ = ctl.outcome();
  totals.drain(std::chrono::seconds(30));
  joined_ = ctl.shutdown();
  lf_events.reset();
  return totals.final_snapshot();
}

}  // namespace endure::test_support
