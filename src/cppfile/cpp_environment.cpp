#include "cppfile/cpp_environment.hpp"

#include <algorithm>
#include <cmath>
#include <variant>

#include "base/clock.hpp"
#include "base/log.hpp"
#include "cppfile/cpp_shard.hpp"

namespace endure::cppfile {

namespace {

thread_local stats::shard_recorder* this_thread_recorder = nullptr;

// A listener threw. A request listener runs for every request: on a shard thread its exception is
// counted in the exceptions table (bounded) instead of logged each time.
void on_listener_error(const char* hook, const char* what) noexcept {
  try {
    const std::string where = std::string("events.") + hook + " listener";
    if (std::string_view(hook) == "request" && this_thread_recorder != nullptr) {
      this_thread_recorder->record_exception(what, where);
      return;
    }
    base::log_error("events", "uncaught exception in " + where + ": " + what);
  } catch (...) {
  }
}

}  // namespace

cpp_environment::cpp_environment() {
  events_.for_each([](auto& hook) { hook.bind(&on_listener_error); });
  events_.request.bind_recorder(this);
}

cpp_environment::~cpp_environment() = default;

uint64_t cpp_environment::user_count() const {
  std::lock_guard lock(mutex_);
  uint64_t n = 0;
  for (const auto* s : shards_) n += s->live_users() + s->starting_users();
  return n;
}

stats_totals cpp_environment::stats_total() const {
  std::lock_guard lock(mutex_);
  return totals_;
}

void cpp_environment::quit() {
  std::shared_ptr<engine::test_shared> t;
  {
    std::lock_guard lock(mutex_);
    t = test_;
  }
  if (t && t->request_stop) t->request_stop("quit");
}

void cpp_environment::set_options(nlohmann::json parsed, std::string host) {
  options_ = std::move(parsed);
  host_ = std::move(host);
}

void cpp_environment::seal() {
  events_.for_each([](auto& hook) { hook.seal(); });
}

void cpp_environment::add_shard(cpp_shard* s) {
  std::lock_guard lock(mutex_);
  shards_.push_back(s);
}

void cpp_environment::remove_shard(cpp_shard* s) {
  std::lock_guard lock(mutex_);
  shards_.erase(std::remove(shards_.begin(), shards_.end(), s), shards_.end());
}

void cpp_environment::begin_test(std::shared_ptr<engine::test_shared> t) {
  std::lock_guard lock(mutex_);
  test_ = std::move(t);
}

void cpp_environment::on_run_item(const engine::run_item& item) {
  if (const auto* rec = std::get_if<stats::record_ptr>(&item)) {
    if (!*rec) return;
    const stats::interval_record& r = **rec;
    std::lock_guard lock(mutex_);
    for (const auto& e : r.data.entries) {
      totals_.num_requests += e.requests;
      totals_.num_failures += e.failures;
      sum_us_ += e.sum_us;
      if (e.requests > 0) max_us_ = std::max(max_us_, e.max_us);
    }
    if (start_wall_s_ == 0) start_wall_s_ = r.start_wall_s;
    last_wall_s_ = std::max(last_wall_s_, r.end_wall_s);
    const double n = static_cast<double>(totals_.num_requests);
    totals_.avg_response_time_ms = n > 0 ? static_cast<double>(sum_us_) / n / 1000.0 : 0;
    totals_.max_response_time_ms = static_cast<double>(max_us_) / 1000.0;
    totals_.fail_ratio = n > 0 ? static_cast<double>(totals_.num_failures) / n : 0;
    const double span = last_wall_s_ - start_wall_s_;
    totals_.total_rps = span > 0 ? n / span : 0;
    return;
  }
  const auto& e = std::get<engine::run_event>(item);
  auto restart_totals = [&] {
    std::lock_guard lock(mutex_);
    totals_ = {};
    sum_us_ = max_us_ = 0;
    start_wall_s_ = e.wall_s;
    last_wall_s_ = e.wall_s;
  };
  switch (e.kind) {
    case engine::event_kind::test_start:
      restart_totals();
      events_.test_start.fire(*this);
      break;
    case engine::event_kind::spawning_complete:
      events_.spawning_complete.fire(*this, e.user_count);
      break;
    case engine::event_kind::stats_reset:
      restart_totals();
      events_.reset_stats.fire(*this);
      break;
    case engine::event_kind::test_stopping:
      events_.test_stopping.fire(*this);
      break;
    case engine::event_kind::test_stop:
      events_.test_stop.fire(*this);
      break;
    default:
      break;
  }
}

void cpp_environment::note_named_failure(std::string_view method, std::string_view name,
                                         std::string_view error, std::string_view url) {
  std::string key;
  key.append(method).append(1, '\x1f').append(name).append(1, '\x1f').append(error);
  {
    std::lock_guard lock(mutex_);
    if (named_failures_logged_.size() > max_named_failures_logged) return;
    if (!named_failures_logged_.insert(std::move(key)).second) return;
    if (named_failures_logged_.size() > max_named_failures_logged) {
      base::log_info("failures", "more kinds of failures of requests grouped by name= than " +
                                     std::to_string(max_named_failures_logged) +
                                     ": their URLs are not logged any more");
      return;
    }
  }
  base::log_info("failures", std::string(method) + " " + std::string(name) + " (grouped by name=) failed first at " +
                                 std::string(url) + ": " + std::string(error));
}

void cpp_environment::set_thread_recorder(stats::shard_recorder* r) noexcept {
  this_thread_recorder = r;
}

stats::shard_recorder* cpp_environment::thread_recorder() noexcept { return this_thread_recorder; }

stats::request_sample cpp_environment::sample_of(const request_event& e, double now_wall_s) noexcept {
  stats::request_sample s;
  s.method = e.request_type;
  s.name = e.name;
  const double ms = std::isfinite(e.response_time_ms) ? std::max(0.0, e.response_time_ms) : 0.0;
  s.latency_us = static_cast<int64_t>(std::llround(ms * 1000.0));
  s.intended_latency_us = s.latency_us;
  s.content_bytes = e.response_length;
  s.error = e.exception;
  s.wall_s = e.start_time > 0 ? e.start_time + ms / 1000.0 : now_wall_s;
  return s;
}

void cpp_environment::record(const request_event& e) noexcept {
  try {
    const stats::request_sample s = sample_of(e, base::wall_now_s());
    if (this_thread_recorder != nullptr) {
      this_thread_recorder->record(s);
      return;
    }
    // Another thread (a listener's own thread, a custom metric poller): the first shard's
    // recorder. Its record() takes a spinlock, so this thread and the shard's may record at once;
    // the mutex keeps the shard alive while it is used.
    std::lock_guard lock(mutex_);
    if (!shards_.empty()) shards_.front()->recorder().record(s);
  } catch (...) {
    // Out of memory in the recorder: the sample is lost, the caller carries on.
  }
}

}  // namespace endure::cppfile
