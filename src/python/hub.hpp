// python::hub: the one thread that runs Python users. It holds the GIL, owns an io_context, the
// HTTP transport and the stats recorder, and is the greenlet hub: users switch to it when they wait
// for I/O or time, and it switches back into them from its own loop (never from inside an Asio
// completion handler: handlers only queue work). Internal to the python module.
#pragma once
#include "python/py_ref.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "client/session.hpp"
#include "engine/user_shard.hpp"
#include "stats/recorder.hpp"

namespace endure::python {

struct py_user;

// A greenlet suspended until I/O, a timer or the hub resumes it. Handlers hold it by shared_ptr;
// it never touches Python objects in its destructor (it may die on a thread without the GIL).
struct op {
  std::shared_ptr<py_user> user;
  PyObject* greenlet = nullptr;     // strong reference, handed over to the hub when resumed
  PyObject* start_args = nullptr;   // first switch into a new greenlet: its arguments (strong)
  client::response resp;
  std::unique_ptr<boost::asio::steady_timer> timer;
  client::session* session = nullptr;  // the request in flight, for cancel()
  bool done = false;
  bool is_wait = false;  // the wait between tasks: a graceful stop ends it early
  bool park = false;     // a parked user's wait: the hub starts a new greenlet when it ends
};

enum user_state : int { running = 0, stopping = 1, killed = 2 };

struct py_user {
  size_t class_index = 0;
  PyObject* greenlet = nullptr;  // the user's main greenlet (strong); nullptr while parked
  PyObject* obj = nullptr;       // the User object (strong), to resume it after a park
  std::list<std::shared_ptr<py_user>>::iterator where;
  int state = running;
  bool started = false;   // its first greenlet ran (on_start began)
  op* waiting = nullptr;  // what the main greenlet waits for (nullptr: runnable or running)
};

// A client::session owned by a Python capsule. When the hub ends first, the capsule forgets it.
struct session_box {
  std::unique_ptr<client::session> session;
  struct hub* owner = nullptr;
};

struct hub_config {
  PyObject* make_user = nullptr;   // locust._hub.make_user(cls) -> user (borrowed, lives forever)
  PyObject* run_user = nullptr;    // locust._hub.run_user(user): the user's greenlet body
  PyObject* resume_user = nullptr;  // locust._hub.resume_user(user): its body after a park
  PyObject* fire_event = nullptr;  // locust._hub.fire_runner_event(name, user_count)
};

struct hub {
  hub(const engine::shard_config& shards, hub_config config);
  ~hub();

  // --- shard thread only (GIL held) ---
  void run();  // the loop; returns after quit()
  void quit() { quit_ = true; }
  // Suspends the calling user greenlet until o is queued as ready. Returns false with a Python
  // exception set when the user was killed (GreenletExit) or the switch failed.
  bool suspend(const std::shared_ptr<op>& o);
  void make_ready(const std::shared_ptr<op>& o) { ready_.push_back(o); }
  void record_exception(const std::string& message, const std::string& traceback);
  // Records the pending Python exception as a task exception (repr and traceback) and clears it.
  void record_python_error(const char* where);
  void sleep(double seconds, bool is_wait);  // blocking fallback off user greenlets
  static hub* on_this_thread();
  py_user* current() const { return current_; }
  bool on_user_greenlet() const { return current_ != nullptr; }

  // --- any thread: queue work for the loop ---
  void post(std::function<void()> fn);

  // Called on the loop via post().
  void spawn(PyObject* cls, size_t class_index);
  void begin_test() { assigned_.clear(); }
  // Spawns or stops (most recent first, gracefully) to reach these users per class.
  void set_targets(const std::vector<uint64_t>& users_per_class);
  void stop_users(size_t class_index, uint64_t count, bool force);
  void stop_all(bool force);
  void request_stop(py_user& u, bool force);

  const engine::shard_config& shards;
  hub_config config;
  // The current test (set on this thread by python_shard::begin_test; null before the first).
  std::shared_ptr<const engine::test_settings> settings;
  std::shared_ptr<engine::test_shared> test;
  engine::loop_heartbeat heartbeat;
  // The class of the user running now, readable from the control thread (stuck reports).
  std::atomic<const std::string*> current_class{nullptr};
  boost::asio::io_context io{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard{io.get_executor()};
  std::unique_ptr<client::transport> transport;
  stats::shard_recorder recorder;
  std::atomic<uint64_t> live{0};
  std::unordered_set<session_box*> sessions;  // GIL-protected
  // Running totals for environment.stats (this thread only).
  uint64_t total_requests = 0, total_failures = 0, total_latency_us = 0;

 private:
  void resume(const std::shared_ptr<op>& o);
  void user_finished(py_user& u);
  // The user's greenlet ended with a wait of `seconds` (a long wait between its own tasks): the
  // user waits with no greenlet and no Python frames (a new greenlet resumes it), which is what
  // makes an idle Python user small.
  void park(py_user& u, double seconds);
  // Arms o->timer; when it fires, o is done and goes to the ready list.
  void start_timer(const std::shared_ptr<op>& o, double seconds);
  void run_control();

  PyObject* hub_greenlet_ = nullptr;
  py_user* current_ = nullptr;
  std::vector<std::shared_ptr<op>> ready_;
  std::vector<std::shared_ptr<op>> running_;  // the round of ready_ being resumed
  std::vector<std::function<void()>> control_;  // filled by posted handlers, run by the loop
  std::vector<std::list<std::shared_ptr<py_user>>> users_by_class_;
  std::vector<uint64_t> assigned_;  // users per class the controller asked for (this test)
  bool quit_ = false;
};

}  // namespace endure::python
