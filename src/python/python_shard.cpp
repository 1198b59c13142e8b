#include "python/python_shard.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstring>

#include "base/clock.hpp"
#include "base/log.hpp"
#include "python/hub.hpp"

namespace endure::python {

namespace {
// The hub's loop heartbeat: a timer on its io_context (the handler only touches atomics, so it
// may run inside the loop's poll without the hub's Python machinery).
void beat(hub* h, boost::asio::steady_timer* t, int64_t due_ns) {
  h->heartbeat.beat(due_ns, base::mono_now_ns());
  const int64_t next = base::mono_now_ns() +
                       std::chrono::nanoseconds(engine::loop_heartbeat::period).count();
  t->expires_after(engine::loop_heartbeat::period);
  t->async_wait([h, t, next](const boost::system::error_code& ec) {
    if (!ec) beat(h, t, next);
  });
}
}  // namespace

python_shard::python_shard(const engine::shard_config& shards, const hub_config& config)
    : hub_(std::make_unique<hub>(shards, config)) {}

python_shard::~python_shard() { join_for(std::chrono::seconds(2)); }

void python_shard::start() {
  thread_ = std::thread([h = hub_.get(), finished = finished_] {
    boost::asio::steady_timer timer(h->io);
    beat(h, &timer, base::mono_now_ns());
    PyGILState_STATE st = PyGILState_Ensure();
    h->run();
    timer.cancel();
    // Free what finished users left in reference cycles while their transport still exists.
    py_ref gc(PyImport_ImportModule("gc"));
    if (gc) py_ref(PyObject_CallMethod(gc.get(), "collect", nullptr));
    PyErr_Clear();
    PyGILState_Release(st);
    finished->store(true);
  });
}

bool python_shard::join_for(std::chrono::milliseconds limit) {
  if (!thread_.joinable()) return true;
  hub* h = hub_.get();
  h->post([h] { h->quit(); });
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!finished_->load() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (!finished_->load()) {
    thread_.detach();  // stuck in a task that never yields (and holds the GIL): leave it
    return false;
  }
  thread_.join();
  return true;
}

void python_shard::begin_test(std::shared_ptr<const engine::test_settings> settings,
                              std::shared_ptr<engine::test_shared> shared) {
  hub* h = hub_.get();
  h->post([h, settings = std::move(settings), shared = std::move(shared)]() mutable {
    h->settings = std::move(settings);
    h->test = std::move(shared);
    h->begin_test();
  });
}

void python_shard::set_targets(const std::vector<uint64_t>& users_per_class) {
  hub* h = hub_.get();
  h->post([h, targets = users_per_class] { h->set_targets(targets); });
}

void python_shard::set_arrivals(const engine::arrival_targets& a) {
  hub* h = hub_.get();
  h->post([h, a] { h->set_arrivals(a); });
}

std::vector<uint64_t> python_shard::live_users_by_class() const {
  std::vector<uint64_t> out;
  for (const auto& n : hub_->live_by_class) out.push_back(n.load(std::memory_order_relaxed));
  return out;
}

void python_shard::stop_all(bool force) {
  hub* h = hub_.get();
  h->post([h, force] { h->stop_all(force); });
}

stats::shard_recorder& python_shard::recorder() { return hub_->recorder; }
uint64_t python_shard::live_users() const { return hub_->live.load(); }
uint64_t python_shard::loop_turns() const { return hub_->heartbeat.turns(); }
double python_shard::take_loop_lag_ms() { return hub_->heartbeat.take_lag_ms(); }

std::string python_shard::current_task() const {
  // "Class.task" while a task runs (an immortal label set at task start), else the class of the
  // user running now, else what the hub runs (a spawned greenlet, an event's listeners).
  if (const char* t = hub_->task(); t && *t) return t;
  const std::string* c = hub_->current_class.load(std::memory_order_relaxed);
  return c ? *c : std::string();
}

namespace {
// What the stuck-shard report names while an event's listeners run on the hub (immortal strings).
const char* listeners_label(const char* event) {
  static constexpr const char* known[][2] = {
      {"test_start", "events.test_start listeners"},
      {"spawning_complete", "events.spawning_complete listeners"},
      {"test_stopping", "events.test_stopping listeners"},
      {"test_stop", "events.test_stop listeners"},
      {"reset_stats", "events.reset_stats listeners"}};
  for (const auto& k : known)
    if (std::strcmp(k[0], event) == 0) return k[1];
  return "event listeners";
}
}  // namespace

void python_shard::fire(const char* event, uint64_t user_count) {
  hub* h = hub_.get();
  h->post([h, event, user_count] {
    h->publish_task(listeners_label(event));
    py_ref r(PyObject_CallFunction(h->config.fire_event, "sK", event,
                                   static_cast<unsigned long long>(user_count)));
    h->publish_task(nullptr);
    if (!r) h->record_python_error(event);
  });
}

}  // namespace endure::python
