// python::hub: the one thread that runs Python users and the greenlets they spawn. It holds the
// GIL, owns an io_context, the HTTP transport and the stats recorder, and is the greenlet hub:
// greenlets switch to it whenever they wait (I/O, time, a gevent primitive, or a bare yield), and
// it switches back into them from its own loop (never from inside an Asio completion handler:
// handlers only queue work). Internal to the python module.
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
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/rng.hpp"
#include "client/session.hpp"
#include "rules/naming.hpp"
#include "engine/user_shard.hpp"
#include "stats/recorder.hpp"

namespace endure::python {

struct py_user;
class fd_waits;

// A greenlet suspended until I/O, a timer or the hub resumes it. Handlers hold it by shared_ptr;
// it never touches Python objects in its destructor (it may die on a thread without the GIL), so
// a strong reference it still holds then is leaked on purpose.
struct op : std::enable_shared_from_this<op> {
  std::shared_ptr<py_user> user;
  PyObject* greenlet = nullptr;     // strong reference, handed over to the hub when resumed
  PyObject* start_args = nullptr;   // first switch into a new greenlet: its arguments (strong)
  PyObject* throw_value = nullptr;  // resume by raising this exception instance (strong)
  PyObject* value = nullptr;        // what park() returns when unparked (strong)
  client::response resp;
  std::unique_ptr<boost::asio::steady_timer> timer;
  client::session* session = nullptr;  // the request in flight, for cancel()
  std::vector<int> fds;                // fds this op waits on (fd_waits), for cancel()
  bool done = false;
  bool is_wait = false;    // the wait between tasks: a graceful stop ends it early
  bool park = false;       // a parked user's wait: the hub starts a new greenlet when it ends
  bool timed_out = false;  // a park or fd wait that ended by its timeout
  bool parked = false;     // in hub::parked_ (an explicit park(), woken by unpark())
  bool fd_wait = false;    // hub::wait_fds (its timer firing means a timeout)
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
  // "Class.task" of the task it runs (a UTF-8 buffer of an immortal Python str), for hub::task.
  const char* task = nullptr;
  uint64_t task_switches = 0;  // hub::switches_ when that task started
  // How far behind its pacing schedule the task it runs started (constant_pacing): its requests
  // carry it in their intended-start latency. Set by a negative wait, cleared after the task.
  int64_t lag_ns = 0;
  // The open model: the user belongs to its class's pool and runs one iteration per arrival.
  bool open = false;
  bool has_iteration = false;    // an arrival was handed to it and not yet begun
  bool idle = false;             // in its class's idle list, waiting in next_iteration()
  int64_t iteration_due_ns = 0;  // the arrival's scheduled time (the intended start)
  // Session churn: past session_end_ns (0: never) the user ends after its task, on_stop runs,
  // and a fresh user of its class replaces it.
  int64_t session_end_ns = 0;
  bool session_over = false;
};

// A client::session owned by a Python capsule. When the hub ends first, the capsule forgets it.
struct session_box {
  std::unique_ptr<client::session> session;
  struct hub* owner = nullptr;
  std::string base_url;  // as given (Locust joins relative URLs to it by concatenation)
  rules::flavor flavor = rules::flavor::requests;
  bool busy = false;  // a request runs on `session`; concurrent ones take spares
  bool base_has_path = false;  // base_url has a path: relative URLs are joined to it (rules)
  std::vector<std::unique_ptr<client::session>> spares;
};

struct hub_config {
  PyObject* make_user = nullptr;   // locust._hub.make_user(cls) -> user (borrowed, lives forever)
  PyObject* run_user = nullptr;    // locust._hub.run_user(user): the user's greenlet body
  PyObject* resume_user = nullptr;  // locust._hub.resume_user(user): its body after a park
  PyObject* fire_event = nullptr;  // locust._hub.fire_runner_event(name, user_count)
  PyObject* on_start = nullptr;    // locust._hub.hub_started(): greenlets spawned before the hub
};

// Ties work running on other threads (name lookups) to a hub that may end before it completes.
struct hub_link {
  std::mutex mutex;
  struct hub* h = nullptr;  // nullptr once the hub ended
};

struct hub {
  hub(const engine::shard_config& shards, hub_config config);
  ~hub();

  // --- shard thread only (GIL held) ---
  void run();  // the loop; returns after quit()
  void quit() { quit_ = true; }
  // Suspends the calling greenlet until o is queued as ready. Returns false with a Python
  // exception set when the user was killed (GreenletExit), an exception was thrown in (kill,
  // Timeout) or the switch failed; o is then abandoned (its I/O cancelled, never resumed).
  bool suspend(const std::shared_ptr<op>& o);
  void make_ready(const std::shared_ptr<op>& o) { ready_.push_back(o); }
  // Yields: the calling greenlet goes to the back of the ready list.
  bool yield_now();
  // Waits until unpark(greenlet) or `timeout_s` (< 0: none). Returns the unpark value (a new
  // reference; None when none was given); on timeout nullptr with *timed_out set and no error;
  // nullptr with a Python error set when an exception was thrown in.
  PyObject* park(double timeout_s, bool* timed_out);
  // Queues the parked greenlet g to resume with value; false when g is not parked.
  bool unpark(PyObject* g, PyObject* value);
  // Queues g to be resumed by raising exc (an exception instance) where it waits.
  void throw_into(PyObject* g, PyObject* exc);
  // Waits until one of fds is ready for its events (POLLIN/POLLOUT) or timeout_s (< 0: none).
  // Returns 1 ready, 0 timed out, -1 error (Python error set).
  int wait_fds(const std::vector<std::pair<int, short>>& fds, double timeout_s);
  // fd is being closed: greenlets waiting on it wake (and then see EBADF). Returns how many.
  size_t close_fd(int fd);
  // Runs fn(*args) on another thread (it takes the GIL there) while the calling greenlet waits.
  PyObject* call_in_thread(PyObject* fn, PyObject* args);
  // Starts a greenlet running fn(*args), independent of any user (gevent.spawn).
  PyObject* spawn_greenlet(PyObject* fn, PyObject* args);
  void record_exception(const std::string& message, const std::string& traceback);
  // Records the pending Python exception as a task exception (str and traceback) and clears it.
  void record_python_error(const char* where);
  void sleep(double seconds, bool is_wait);  // blocking fallback off hub greenlets
  static hub* on_this_thread();
  py_user* current() const { return current_; }
  // True while a greenlet of this hub runs (a user or a spawned one): it may suspend.
  bool in_greenlet() const { return in_greenlet_; }
  // Marks the start of a task of the current user; task: an immortal str "Class.task".
  void task_start(PyObject* task);
  // After a task: yields when the task never switched (so a task without I/O cannot starve the
  // others). False with an error set when the user was killed meanwhile.
  bool after_task_yield();
  // Context switches since the hub started (this thread only).
  uint64_t switches() const { return switches_; }
  // The open model, from the current user's task loop before each iteration: returns at once
  // with the arrival handed to it at spawn, else waits in its class's pool for the next one.
  // Sets the user's lag (the iteration's lateness) for the intended-start latency. Returns false
  // with a Python error set when the user was killed; a stop ends the wait (state() tells).
  bool next_iteration();
  // After a task: true when the current user's session is over (it then stops, on_stop runs).
  bool session_ended();

  // --- any thread ---
  void post(std::function<void()> fn);
  // The task the hub runs right now, as "Class.task" ("greenlet" for a spawned greenlet), or
  // nullptr when no Python user code runs. Readable without the GIL; the string lives forever.
  const char* task() const { return task_.load(std::memory_order_relaxed); }
  // Hub thread: what task() reports while the hub itself runs Python (an event's listeners).
  void publish_task(const char* label) { task_.store(label, std::memory_order_relaxed); }

  // Called on the loop via post().
  py_user* spawn(PyObject* cls, size_t class_index);
  void begin_test();
  // The open model: arrivals per class at these rates, each handed to an idle user of the
  // class's pool, a new user while the pool is below its cap, or counted as dropped.
  void set_arrivals(const engine::arrival_targets& a);
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
  std::vector<std::atomic<uint64_t>> live_by_class;  // per class index; read from any thread
  std::unordered_set<session_box*> sessions;  // GIL-protected
  std::shared_ptr<hub_link> link = std::make_shared<hub_link>();

 private:
  void resume(const std::shared_ptr<op>& o);
  void user_finished(py_user& u);
  // The user's greenlet ended with a wait of `seconds` (a long wait between its own tasks): the
  // user waits with no greenlet and no Python frames (a new greenlet resumes it), which is what
  // makes an idle Python user small.
  void park_user(py_user& u, double seconds);
  // Arms o->timer; when it fires, o is done (timed_out for parks and fd waits) and ready.
  void start_timer(const std::shared_ptr<op>& o, double seconds);
  // An op whose greenlet left it (exception thrown in): cancel its I/O, forget its greenlet.
  void abandon(op& o);
  void run_control();

  PyObject* hub_greenlet_ = nullptr;
  py_user* current_ = nullptr;
  bool in_greenlet_ = false;
  uint64_t switches_ = 0;
  std::atomic<const char*> task_{nullptr};
  std::vector<std::shared_ptr<op>> ready_;
  std::vector<std::shared_ptr<op>> running_;  // the round of ready_ being resumed
  std::vector<std::function<void()>> control_;  // filled by posted handlers, run by the loop
  std::vector<std::list<std::shared_ptr<py_user>>> users_by_class_;
  std::vector<uint64_t> assigned_;  // users per class the controller asked for (this test)
  std::unordered_map<PyObject*, std::shared_ptr<op>> parked_;  // greenlet -> its park()
  // A user's main greenlet -> the user, so a greenlet resumed by throw_into() (a Timeout, a kill)
  // runs as its user. Changed only when a user starts, parks, resumes or ends.
  std::unordered_map<PyObject*, py_user*> user_greenlets_;
  std::unique_ptr<fd_waits> fd_waits_;
  bool quit_ = false;

  // The open model (as cpp_shard's): one timer per hub; its handler only queues on_arrivals().
  struct arrival_class {
    double rate = 0;          // arrivals per second on this hub
    uint64_t max_users = 0;   // the pool's cap on this hub
    uint64_t pool = 0;        // users of the pool alive
    int64_t next_ns = 0, last_ns = 0;
    std::vector<py_user*> idle;  // users waiting in next_iteration()
  };
  std::vector<arrival_class> arrivals_;
  bool open_model_ = false, poisson_ = false;
  bool stopping_all_ = false;  // stop_all() was called: no replacements, no arrivals
  std::unique_ptr<boost::asio::steady_timer> arrival_timer_;
  base::rng arrival_rng_{0x5eed};
  base::rng seeds_;  // session lengths
  void arm_arrivals();
  void on_arrivals();
  void dispatch(size_t class_index, int64_t due_ns);
  int64_t gap_ns(double rate);
};

}  // namespace endure::python
