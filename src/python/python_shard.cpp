#include "python/python_shard.hpp"

#include <boost/asio/post.hpp>

#include "python/hub.hpp"

namespace endure::python {

python_shard::python_shard(engine::run_shared& shared, const hub_config& config)
    : hub_(std::make_unique<hub>(shared, config)) {}

python_shard::~python_shard() { join(); }

void python_shard::start() {
  thread_ = std::thread([h = hub_.get(), finished = finished_] {
    PyGILState_STATE st = PyGILState_Ensure();
    h->run();
    // Free what finished users left in reference cycles while their transport still exists.
    py_ref gc(PyImport_ImportModule("gc"));
    if (gc) py_ref(PyObject_CallMethod(gc.get(), "collect", nullptr));
    PyErr_Clear();
    PyGILState_Release(st);
    finished->store(true);
  });
}

void python_shard::join() {
  if (!thread_.joinable()) return;
  hub* h = hub_.get();
  h->post([h] { h->quit(); });
  thread_.join();
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

void python_shard::spawn(const engine::user_class& cls, size_t class_index, uint64_t) {
  hub_->live.fetch_add(1);
  hub* h = hub_.get();
  auto* py_class = static_cast<PyObject*>(cls.foreign);
  h->post([h, py_class, class_index] { h->spawn(py_class, class_index); });
}

void python_shard::stop_users(size_t class_index, uint64_t count, bool force) {
  hub* h = hub_.get();
  h->post([h, class_index, count, force] { h->stop_users(class_index, count, force); });
}

void python_shard::stop_all(bool force) {
  hub* h = hub_.get();
  h->post([h, force] { h->stop_all(force); });
}

void python_shard::take_delta(std::function<void(stats::shard_delta&&)> done) {
  hub* h = hub_.get();
  boost::asio::post(h->io, [h, done = std::move(done)] { done(h->recorder.take_delta()); });
}

uint64_t python_shard::live_users() const { return hub_->live.load(); }

void python_shard::fire(const char* event, uint64_t user_count) {
  hub* h = hub_.get();
  h->post([h, event, user_count] {
    py_ref r(PyObject_CallFunction(h->config.fire_event, "sK", event,
                                   static_cast<unsigned long long>(user_count)));
    if (!r) h->record_python_error(event);
  });
}

}  // namespace endure::python
