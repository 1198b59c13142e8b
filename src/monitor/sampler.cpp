#include "monitor/sampler.hpp"

#include <cmath>

#include "base/log.hpp"

namespace endure::monitor {
namespace {

double mono_s() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

} // namespace

sampler::sampler(std::vector<std::unique_ptr<source>> sources,
                 std::chrono::milliseconds interval)
    : sources_(std::move(sources)),
      interval_(std::max(interval, std::chrono::milliseconds(10))) {
  fresh_.resize(sources_.size());
  for (const auto &s : sources_)
    status_.push_back({s->name(), 0, 0, false, ""});
}

sampler::~sampler() { stop(); }

void sampler::start() {
  if (!threads_.empty() || stop_.load())
    return;
  for (size_t i = 0; i < sources_.size(); ++i)
    threads_.emplace_back([this, i] { loop(i); });
}

void sampler::stop() {
  {
    std::lock_guard lock(mutex_);
    stop_.store(true);
  }
  wake_.notify_all();
  for (auto &t : threads_)
    if (t.joinable())
      t.join();
  threads_.clear();
}

std::vector<stats::monitor_sample> sampler::take() {
  std::vector<stats::monitor_sample> out;
  std::lock_guard lock(mutex_);
  for (auto &f : fresh_) {
    for (auto &s : f)
      out.push_back(std::move(s));
    f.clear();
  }
  return out;
}

void sampler::poll(size_t i, double now_s) {
  auto r = sources_[i]->sample(now_s, stop_);
  if (stop_.load() && !r)
    return; // cut short by the stop: not a failure of the source
  std::lock_guard lock(mutex_);
  auto &st = status_[i];
  if (r) {
    if (st.down)
      base::log_info("monitor", st.name + " answers again (" +
                                    std::to_string(st.failures) +
                                    " failed samples so far)");
    st.down = false;
    ++st.samples;
    fresh_[i] = std::move(*r);
    return;
  }
  ++st.failures;
  st.last_error = r.err().message;
  if (!st.down)
    base::log_warning("monitor",
                      st.name + ": " + st.last_error +
                          " (the test goes on; retried every interval)");
  st.down = true;
}

void sampler::loop(size_t i) {
  using namespace std::chrono;
  // Samples land just before each interval's wall-clock-aligned end, in time
  // for its record: a tenth of the interval (at most 200 ms) ahead.
  const auto lead = std::min<milliseconds>(interval_ / 10, milliseconds(200));
  std::unique_lock lock(mutex_);
  while (!stop_.load()) {
    const auto now = system_clock::now();
    const auto since =
        duration_cast<milliseconds>(now.time_since_epoch()) % interval_;
    auto next = now - since + interval_ - lead;
    if (next <= now + milliseconds(1))
      next += interval_;
    wake_.wait_until(lock, next, [this] { return stop_.load(); });
    if (stop_.load())
      break;
    lock.unlock();
    poll(i, mono_s());
    lock.lock();
  }
}

std::vector<source_status> sampler::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

} // namespace endure::monitor
