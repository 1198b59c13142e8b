#include "python/endure_module.hpp"

#include <poll.h>
#include <time.h>

#include <cerrno>
#include <cmath>
#include <string>
#include <string_view>

#include <boost/asio/steady_timer.hpp>
#include <functional>

#include "base/clock.hpp"
#include "stats/histogram.hpp"
#include "http/cookie_jar.hpp"
#include "python/greenlet_api.hpp"
#include "python/hub.hpp"
#include "python/response_object.hpp"
#include "rules/body.hpp"
#include "rules/naming.hpp"
#include "rules/outcome.hpp"

namespace endure::python {
namespace {

constexpr const char* session_capsule = "endure.session";

hub* need_hub() {
  hub* h = hub::on_this_thread();
  if (!h)
    PyErr_SetString(PyExc_RuntimeError,
                    "endure: requests are made on the test's own thread, while the test runs (not "
                    "from the locustfile's import or events.init)");
  return h;
}

bool to_string(PyObject* o, std::string& out) {
  if (PyUnicode_Check(o)) {
    Py_ssize_t n = 0;
    const char* c = PyUnicode_AsUTF8AndSize(o, &n);
    if (!c) return false;
    out.assign(c, static_cast<size_t>(n));
    return true;
  }
  if (PyBytes_Check(o)) {
    out.assign(PyBytes_AS_STRING(o), static_cast<size_t>(PyBytes_GET_SIZE(o)));
    return true;
  }
  py_ref s(PyObject_Str(o));
  if (!s) return false;
  return to_string(s.get(), out);
}

// None or a sequence of 2-sequences -> header_list.
bool to_pairs(PyObject* o, client::header_list& out, const char* what) {
  if (o == Py_None) return true;
  py_ref seq(PySequence_Fast(o, what));
  if (!seq) return false;
  Py_ssize_t n = PySequence_Fast_GET_SIZE(seq.get());
  PyObject** items = PySequence_Fast_ITEMS(seq.get());
  out.reserve(out.size() + static_cast<size_t>(n));
  for (Py_ssize_t i = 0; i < n; ++i) {
    PyObject* it = items[i];
    if (!PyTuple_Check(it) || PyTuple_GET_SIZE(it) != 2) {
      PyErr_Format(PyExc_TypeError, "%s: expected (name, value) pairs", what);
      return false;
    }
    std::string k, v;
    if (!to_string(PyTuple_GET_ITEM(it, 0), k) || !to_string(PyTuple_GET_ITEM(it, 1), v)) return false;
    out.emplace_back(std::move(k), std::move(v));
  }
  return true;
}

session_box* box_of(PyObject* capsule) {
  auto* box = static_cast<session_box*>(PyCapsule_GetPointer(capsule, session_capsule));
  if (!box) return nullptr;
  if (!box->session) {
    PyErr_SetString(PyExc_RuntimeError, "endure: this HTTP session belongs to a finished test");
    return nullptr;
  }
  return box;
}

client::session* session_of(PyObject* capsule) {
  session_box* box = box_of(capsule);
  return box ? box->session.get() : nullptr;
}

void free_session(PyObject* capsule) {
  auto* box = static_cast<session_box*>(PyCapsule_GetPointer(capsule, session_capsule));
  if (!box) {
    PyErr_Clear();
    return;
  }
  if (box->owner) box->owner->sessions.erase(box);
  delete box;
}

std::string_view req_url_view(PyObject* s) {
  Py_ssize_t n = 0;
  const char* c = PyUnicode_AsUTF8AndSize(s, &n);
  if (!c) {
    PyErr_Clear();
    return {};
  }
  return {c, static_cast<size_t>(n)};
}

// environment.stats.total: every request this process recorded, kept apart from the engine's
// interval deltas so it stays readable after the test's thread ended (a quitting listener that
// sets environment.process_exit_code from fail_ratio or a percentile, as Locust's docs show).
// Written on the hub's thread and read by Python code: the GIL orders both.
struct python_totals {
  stats::histogram latency;
  uint64_t failures = 0, content_bytes = 0;
  double first_wall_s = 0, last_wall_s = 0;
};
python_totals& totals() {
  static python_totals t;
  return t;
}

void record_sample(hub& h, std::string_view method, std::string_view name, int64_t latency_us,
                   uint64_t content_bytes, std::string_view error) {
  stats::request_sample s;
  s.method = method;
  s.name = name;
  s.latency_us = latency_us;
  // A paced user behind its schedule sent this request that late: the intended-start latency
  // adds the delay (0 for unpaced users and outside users).
  const py_user* u = h.current();
  s.intended_latency_us = latency_us + (u != nullptr ? u->lag_ns / 1000 : 0);
  s.content_bytes = content_bytes;
  s.error = error;
  s.wall_s = base::wall_now_s();
  h.recorder.record(s);
  python_totals& t = totals();
  t.latency.record(static_cast<uint64_t>(latency_us < 0 ? 0 : latency_us));
  t.failures += error.empty() ? 0 : 1;
  t.content_bytes += content_bytes;
  if (t.first_wall_s == 0) t.first_wall_s = s.wall_s;
  t.last_wall_s = s.wall_s;
}

// new_session(base_url, fast) -> session capsule (on the hub's thread only); fast: FastHttpUser's
// naming and failure texts.
PyObject* py_new_session(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 2) return PyErr_Format(PyExc_TypeError, "new_session(base_url, fast)");
  hub* h = need_hub();
  if (!h) return nullptr;
  std::string base;
  if (args[0] != Py_None && !to_string(args[0], base)) return nullptr;
  auto* box = new session_box{std::make_unique<client::session>(*h->transport, base), h, base,
                              PyObject_IsTrue(args[1]) == 1 ? rules::flavor::fasthttp
                                                            : rules::flavor::requests};
  box->base_has_path = rules::needs_join(base, "/");
  PyObject* cap = PyCapsule_New(box, session_capsule, free_session);
  if (!cap) {
    delete box;
    return nullptr;
  }
  h->sessions.insert(box);
  return cap;
}

// The session a request runs on (see py_request); lives on the requesting greenlet's stack and
// refers only to the heap (the box, its sessions), so copying that stack is harmless.
class session_lease {
 public:
  session_lease(session_box& box, client::transport& t) : box_(box) {
    if (!box.busy) {
      box.busy = true;
      session_ = box.session.get();
      return;
    }
    if (box.spares.empty()) {
      spare_ = std::make_unique<client::session>(t, box.base_url);
    } else {
      spare_ = std::move(box.spares.back());
      box.spares.pop_back();
    }
    spare_->cookies() = box.session->cookies();
    spare_->default_headers() = box.session->default_headers();
    session_ = spare_.get();
  }
  ~session_lease() {
    if (!spare_) {
      box_.busy = false;
      return;
    }
    if (!box_.session) {  // the hub ended meanwhile: the transport is gone, so is the session
      static_cast<void>(spare_.release());
      return;
    }
    for (const auto& c : spare_->cookies().all())
      box_.session->cookies().set(c.name, c.value, c.domain, c.path);
    box_.spares.push_back(std::move(spare_));
  }
  session_lease(const session_lease&) = delete;
  session_lease& operator=(const session_lease&) = delete;
  client::session* session() const { return session_; }

 private:
  session_box& box_;
  std::unique_ptr<client::session> spare_;
  client::session* session_ = nullptr;
};

// request(session, cls, method, url, name, catch, headers, params, body, timeout,
//         allow_redirects, verify, auth, cookies) -> an instance of cls (a subclass of
// _endure.Response) whose Python values are made when first read.
// Switches to the hub until the response is complete. Records the request unless catch is true.
PyObject* py_request(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 14) {
    PyErr_SetString(PyExc_TypeError, "_endure.request takes 14 arguments");
    return nullptr;
  }
  hub* h = need_hub();
  if (!h) return nullptr;
  session_box* box = box_of(args[0]);
  if (!box) return nullptr;
  client::session* s = box->session.get();
  PyTypeObject* base = response_type();
  if (!base) return nullptr;
  if (!PyType_Check(args[1]) ||
      !PyType_IsSubtype(reinterpret_cast<PyTypeObject*>(args[1]), base)) {
    PyErr_SetString(PyExc_TypeError, "_endure.request: cls must be a subclass of _endure.Response");
    return nullptr;
  }
  auto* cls = reinterpret_cast<PyTypeObject*>(args[1]);
  PyObject* const* a = args + 1;  // a[k] is argument k of the old 13-argument form
  client::request req;
  std::string name;
  if (!to_string(a[1], req.method) || !to_string(a[2], req.url)) return nullptr;
  std::string_view as_written = PyUnicode_Check(a[2]) ? req_url_view(a[2]) : std::string_view();
  bool catch_response = PyObject_IsTrue(a[4]) == 1;
  if (!to_pairs(a[5], req.headers, "headers") || !to_pairs(a[6], req.params, "params"))
    return nullptr;
  // Locust keeps the path of --host: relative URLs are appended to it, not resolved against it.
  if (box->base_has_path && rules::needs_join(box->base_url, req.url))
    req.url = rules::join_url(box->base_url, req.url);
  bool named = a[3] != Py_None;
  bool name_is_url = false;  // the statistics name is the url argument itself
  if (named) {
    if (!to_string(a[3], name)) return nullptr;
  } else if (box->flavor == rules::flavor::requests && !box->base_has_path &&
             req.url.starts_with('/') && req.params.empty() &&
             req.url.find('#') == std::string::npos) {
    name = req.url;  // the common case: the path as written is its own path_url
    name_is_url = PyUnicode_Check(a[2]);
  } else {
    std::string full = rules::is_absolute_url(req.url) || box->base_url.empty()
                           ? req.url
                           : rules::join_url(box->base_url, req.url);
    name = rules::request_name(box->flavor, as_written.empty() ? std::string_view(full) : as_written,
                               rules::with_query(full, req.params));
  }
  if (a[7] != Py_None && !to_string(a[7], req.body)) return nullptr;
  if (a[8] != Py_None) {
    double t = PyFloat_AsDouble(a[8]);
    if (t == -1.0 && PyErr_Occurred()) return nullptr;
    req.timeout = std::chrono::milliseconds(static_cast<int64_t>(t * 1000.0 + 0.5));
  }
  req.allow_redirects = PyObject_IsTrue(a[9]) == 1;
  if (a[10] != Py_None) req.verify = PyObject_IsTrue(a[10]) == 1;
  if (a[11] != Py_None) {
    if (!PyTuple_Check(a[11]) || PyTuple_GET_SIZE(a[11]) != 2) {
      PyErr_SetString(PyExc_TypeError, "auth: expected a (user, password) tuple");
      return nullptr;
    }
    std::pair<std::string, std::string> au;
    if (!to_string(PyTuple_GET_ITEM(a[11], 0), au.first) ||
        !to_string(PyTuple_GET_ITEM(a[11], 1), au.second))
      return nullptr;
    req.basic_auth = std::move(au);
  }
  if (!to_pairs(a[12], req.cookies, "cookies")) return nullptr;

  std::string method = req.method;
  auto o = std::make_shared<op>();
  // One client used by several greenlets at once (gevent.spawn(self.client.get, url) to fetch
  // in parallel, as Locust's clients allow): the first request takes the session, the others a
  // spare session each, with the same cookies, whose cookies flow back when they finish.
  session_lease lease(*box, *h->transport);
  s = lease.session();
  o->session = s;
  if (h->in_greenlet()) {
    s->execute(std::move(req), [h, o](client::response&& r) {
      o->resp = std::move(r);
      o->done = true;
      o->session = nullptr;
      h->make_ready(o);
    });
    if (!h->suspend(o)) return nullptr;
  } else {
    // Outside a user (an event listener on the hub): run the loop until this request is done.
    s->execute(std::move(req), [o](client::response&& r) {
      o->resp = std::move(r);
      o->done = true;
    });
    PyThreadState* ts = PyEval_SaveThread();
    while (!o->done) h->io.run_one();
    PyEval_RestoreThread(ts);
  }
  client::response& r = o->resp;
  int64_t start_ns = r.start_ns;  // stamped by execute()
  int64_t done_ns = r.done_ns ? r.done_ns : base::mono_now_ns();
  if (r.error == "cancelled") {  // the test stopped under this request: not a result
    PyErr_SetNone(gl::exit_type());
    return nullptr;
  }
  if (!catch_response) {
    if (r.error.empty() && r.status < 400) {
      record_sample(*h, method, name, (done_ns - start_ns) / 1000, r.content_bytes, {});
    } else {
      // requests' HTTPError names the final URL, or the name= given (Locust swaps it in).
      std::string_view url = named && box->flavor == rules::flavor::requests ? std::string_view(name)
                                                                             : std::string_view(r.url);
      auto error = rules::verdict(rules::mark::none, {}, r.error, r.status, r.reason, url, box->flavor);
      record_sample(*h, method, name, (done_ns - start_ns) / 1000, r.content_bytes, error ? *error : "");
    }
  }
  // The response's name: the statistics name (the Python object given when it is that string).
  py_ref made;
  PyObject* py_name = a[3];
  if (!named) {
    if (name_is_url || (PyUnicode_Check(a[2]) && name == req_url_view(a[2]))) {
      py_name = a[2];
    } else {
      made = py_ref(PyUnicode_DecodeUTF8(name.data(), static_cast<Py_ssize_t>(name.size()), "replace"));
      if (!made) return nullptr;
      py_name = made.get();
    }
  }
  return make_response(cls, std::move(r), a[1], py_name, start_ns, done_ns, box->flavor);
}

// record(method, name, latency_us, content_bytes, error_or_None)
PyObject* py_record(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 5) {
    PyErr_SetString(PyExc_TypeError, "_endure.record takes 5 arguments");
    return nullptr;
  }
  hub* h = hub::on_this_thread();
  if (!h) Py_RETURN_NONE;  // outside a test run (the import): nothing to record into
  std::string method, name, error;
  if (!to_string(args[0], method) || !to_string(args[1], name)) return nullptr;
  double latency_us = PyFloat_AsDouble(args[2]);
  if (latency_us == -1.0 && PyErr_Occurred()) return nullptr;
  long long length = PyLong_AsLongLong(args[3]);
  if (length == -1 && PyErr_Occurred()) return nullptr;
  if (args[4] != Py_None && !to_string(args[4], error)) return nullptr;
  record_sample(*h, method, name, static_cast<int64_t>(latency_us + 0.5),
                static_cast<uint64_t>(length < 0 ? 0 : length), error);
  Py_RETURN_NONE;
}

PyObject* py_record_exception(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 2) {
    PyErr_SetString(PyExc_TypeError, "_endure.record_exception takes 2 arguments");
    return nullptr;
  }
  hub* h = hub::on_this_thread();
  if (!h) Py_RETURN_NONE;
  std::string message, tb;
  if (!to_string(args[0], message) || !to_string(args[1], tb)) return nullptr;
  h->record_exception(message, tb);
  Py_RETURN_NONE;
}

// 0 running, 1 stopping (graceful stop or -i reached), 2 killed: the calling user's state.
int user_state(hub* h) {
  if (!h || !h->current()) return running;
  int s = h->current()->state;
  if (s == running && h->test && h->test->iterations_reached.load(std::memory_order_relaxed)) s = stopping;
  return s;
}

// Returns false with a Python error set.
bool do_sleep(PyObject* arg, bool is_wait) {
  double seconds = PyFloat_AsDouble(arg);
  if (seconds == -1.0 && PyErr_Occurred()) return false;
  hub* h = hub::on_this_thread();
  if (seconds < 0 && is_wait) {
    // A wait function behind its schedule (constant_pacing): no wait, and the next task's
    // requests are marked that late (coordinated omission corrected).
    if (h && h->current()) h->current()->lag_ns = static_cast<int64_t>(-seconds * 1e9);
    seconds = 0;
  }
  if (seconds < 0) {
    PyErr_SetString(PyExc_ValueError, "sleep length must be non-negative");
    return false;
  }
  if (!h) {
    PyThreadState* ts = PyEval_SaveThread();
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    PyEval_RestoreThread(ts);
    return true;
  }
  py_user* u = h->current();
  if (is_wait && u && u->state != running) return true;  // stopping: no more waiting
  // A zero wait between tasks yields unless the task switched already (after_task's yield, or
  // any I/O): every user gives the others a turn at every wait, at one switch per task at most.
  if (is_wait && seconds == 0) return h->after_task_yield();
  h->sleep(seconds, is_wait);
  return !PyErr_Occurred();
}

// sleep(seconds): yields to other greenlets (time.sleep and gevent.sleep land here; 0 yields).
PyObject* py_sleep(PyObject*, PyObject* arg) {
  if (!do_sleep(arg, false)) return nullptr;
  Py_RETURN_NONE;
}

// wait(seconds) -> state() after the wait: the wait between tasks; a graceful stop ends it early.
PyObject* py_wait(PyObject*, PyObject* arg) {
  if (!do_sleep(arg, true)) return nullptr;
  return PyLong_FromLong(user_state(hub::on_this_thread()));
}

// state() -> 0 running, 1 stopping (graceful stop or -i reached), 2 killed
PyObject* py_state(PyObject*, PyObject*) { return PyLong_FromLong(user_state(hub::on_this_thread())); }

// task_done() -> True when -i/--iterations is reached (the user must stop)
PyObject* py_task_done(PyObject*, PyObject*) {
  hub* h = hub::on_this_thread();
  if (!h || !h->settings || !h->test || !h->settings->iterations) Py_RETURN_FALSE;
  uint64_t n = h->test->task_runs.fetch_add(1) + 1;
  if (n >= *h->settings->iterations) {
    if (!h->test->iterations_reached.exchange(true) && h->test->request_stop)
      h->test->request_stop("iterations");
    Py_RETURN_TRUE;
  }
  Py_RETURN_FALSE;
}

// task_start(label) -> time.monotonic(): the calling user starts a task; label is an immortal str
// "Class.task" (the stuck-shard report names it; after_task() yields when the task never
// switched). Returns the start time that constant_pacing needs, saving the task loop a call.
PyObject* py_task_start(PyObject*, PyObject* label) {
  hub* h = hub::on_this_thread();
  if (h) h->task_start(label);
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);  // the clock of Python's time.monotonic()
  return PyFloat_FromDouble(static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9);
}

// after_task() -> True when the user must stop after a top-level task: counts the task for
// -i/--iterations (task_done()), yields if the task never switched, and checks state().
PyObject* py_after_task(PyObject* self, PyObject* none) {
  PyObject* done = py_task_done(self, none);
  if (done != Py_False) return done;
  Py_DECREF(done);
  hub* h = hub::on_this_thread();
  if (h && h->current()) h->current()->lag_ns = 0;  // the task's lateness ends with it
  if (h && !h->after_task_yield()) return nullptr;
  if (h) h->session_ended();  // --session-length: the user stops (on_stop logs out)
  return PyBool_FromLong(user_state(h) != running);
}

// open_user() -> True when the calling user belongs to an open-model pool (--arrival-rate): its
// task loop runs one task per arrival (next_iteration()) instead of waiting wait_time().
PyObject* py_open_user(PyObject*, PyObject*) {
  hub* h = hub::on_this_thread();
  return PyBool_FromLong(h && h->current() && h->current()->open);
}

// next_iteration() -> True when the user must stop: waits in its class's pool for the next
// arrival (at once for the one it was spawned for); its requests carry the arrival's lateness.
PyObject* py_next_iteration(PyObject*, PyObject*) {
  hub* h = hub::on_this_thread();
  if (h && !h->next_iteration()) return nullptr;
  return PyBool_FromLong(user_state(h) != running);
}

// unkill(): the calling user was killed and now runs its on_stop, whose requests and sleeps work
// again (its state becomes stopping).
PyObject* py_unkill(PyObject*, PyObject*) {
  hub* h = hub::on_this_thread();
  if (h && h->current() && h->current()->state == killed) h->current()->state = stopping;
  Py_RETURN_NONE;
}

PyObject* py_stop_test(PyObject*, PyObject*) {
  hub* h = hub::on_this_thread();
  if (h && h->test && h->test->request_stop) h->test->request_stop("stop_test");
  Py_RETURN_NONE;
}

PyObject* py_user_count(PyObject*, PyObject*) {
  hub* h = hub::on_this_thread();
  return PyLong_FromUnsignedLongLong(h ? h->live.load() : 0);
}

// totals() -> (requests, failures, sum of latencies µs, min µs, max µs, content bytes, seconds
// from the first to the last request): environment.stats.total, also after the test ended.
PyObject* py_totals(PyObject*, PyObject*) {
  const python_totals& t = totals();
  return Py_BuildValue("(KKKKKKd)", static_cast<unsigned long long>(t.latency.count()),
                       static_cast<unsigned long long>(t.failures),
                       static_cast<unsigned long long>(t.latency.sum()),
                       static_cast<unsigned long long>(t.latency.min()),
                       static_cast<unsigned long long>(t.latency.max()),
                       static_cast<unsigned long long>(t.content_bytes),
                       t.last_wall_s - t.first_wall_s);
}

// total_percentile(q) -> the response time (ms) at quantile q in [0, 1] over every request.
PyObject* py_total_percentile(PyObject*, PyObject* arg) {
  double q = PyFloat_AsDouble(arg);
  if (q == -1.0 && PyErr_Occurred()) return nullptr;
  q = q < 0 ? 0 : (q > 1 ? 1 : q);
  return PyFloat_FromDouble(static_cast<double>(totals().latency.value_at_quantile(q)) / 1000.0);
}

// reset_totals(): --reset-stats took effect (Locust resets environment.stats too).
PyObject* py_reset_totals(PyObject*, PyObject*) {
  totals() = python_totals{};
  Py_RETURN_NONE;
}

// spawn(callable, args) -> greenlet, or None when no hub runs on this thread yet (the caller
// keeps it for hub_started()). The greenlet runs beside the users, independent of them.
PyObject* py_spawn(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 2 || !PyTuple_Check(args[1])) {
    PyErr_SetString(PyExc_TypeError, "_endure.spawn(callable, args_tuple)");
    return nullptr;
  }
  hub* h = hub::on_this_thread();
  if (!h) Py_RETURN_NONE;
  return h->spawn_greenlet(args[0], args[1]);
}

// can_yield() -> True on a greenlet of a running hub (waits there switch instead of blocking).
PyObject* py_can_yield(PyObject*, PyObject*) {
  hub* h = hub::on_this_thread();
  return PyBool_FromLong(h && h->in_greenlet());
}

// hub_running() -> True on the hub's thread while the test runs.
PyObject* py_hub_running(PyObject*, PyObject*) { return PyBool_FromLong(hub::on_this_thread() != nullptr); }

hub* need_greenlet(const char* what) {
  hub* h = hub::on_this_thread();
  if (!h || !h->in_greenlet()) {
    PyErr_Format(PyExc_RuntimeError,
                 "%s: only a user or a spawned greenlet can wait for another greenlet (this runs on "
                 "the test's own loop or outside the test)",
                 what);
    return nullptr;
  }
  return h;
}

// park(timeout, marker) -> the value given to unpark(), or marker when timeout (seconds; None:
// no timeout) passed first. The building block of gevent.event, lock, queue and join.
PyObject* py_park(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 2) return PyErr_Format(PyExc_TypeError, "park(timeout, marker)");
  double timeout = -1;
  if (args[0] != Py_None) {
    timeout = PyFloat_AsDouble(args[0]);
    if (timeout == -1.0 && PyErr_Occurred()) return nullptr;
    if (timeout < 0) timeout = 0;
  }
  hub* h = need_greenlet("wait");
  if (!h) return nullptr;
  bool timed_out = false;
  PyObject* v = h->park(timeout, &timed_out);
  if (v) return v;
  if (PyErr_Occurred()) return nullptr;
  Py_INCREF(args[1]);
  return args[1];
}

// unpark(greenlet, value) -> True when greenlet was parked (it resumes with value).
PyObject* py_unpark(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 2) return PyErr_Format(PyExc_TypeError, "unpark(greenlet, value)");
  hub* h = hub::on_this_thread();
  return PyBool_FromLong(h && h->unpark(args[0], args[1]));
}

// throw(greenlet, exception): greenlet raises exception where it waits (kill, Timeout).
PyObject* py_throw(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 2 || !PyExceptionInstance_Check(args[1]))
    return PyErr_Format(PyExc_TypeError, "throw(greenlet, exception_instance)");
  hub* h = hub::on_this_thread();
  if (!h) return PyErr_Format(PyExc_RuntimeError, "throw: no test is running on this thread");
  h->throw_into(args[0], args[1]);
  Py_RETURN_NONE;
}

// yield_() : lets every other ready greenlet run once (sleep(0) without the float).
PyObject* py_yield(PyObject*, PyObject*) {
  hub* h = hub::on_this_thread();
  if (h && h->in_greenlet() && !h->yield_now()) return nullptr;
  Py_RETURN_NONE;
}

bool read_timeout(PyObject* o, double& out) {
  out = -1;
  if (o == Py_None) return true;
  out = PyFloat_AsDouble(o);
  if (out == -1.0 && PyErr_Occurred()) return false;
  if (out < 0) out = 0;
  return true;
}

// wait_fds([(fd, events), ...], timeout) -> True when one is ready, False on timeout. events:
// select.POLLIN | select.POLLOUT. Off the hub's greenlets it blocks in poll() without the GIL.
PyObject* py_wait_fds(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 2) return PyErr_Format(PyExc_TypeError, "wait_fds(fds, timeout)");
  double timeout = -1;
  if (!read_timeout(args[1], timeout)) return nullptr;
  py_ref seq(PySequence_Fast(args[0], "wait_fds: a list of (fd, events)"));
  if (!seq) return nullptr;
  std::vector<std::pair<int, short>> fds;
  for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq.get()); ++i) {
    int fd = 0, ev = 0;
    if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(seq.get(), i), "ii", &fd, &ev)) return nullptr;
    fds.emplace_back(fd, static_cast<short>(ev));
  }
  hub* h = hub::on_this_thread();
  if (!h) {
    // Not the hub's thread (the import, another Python thread): a plain blocking poll.
    std::vector<pollfd> p;
    for (auto [fd, ev] : fds) p.push_back(pollfd{fd, ev, 0});
    int ms = timeout < 0 ? -1 : static_cast<int>(std::ceil(timeout * 1000.0));
    int n = 0;
    Py_BEGIN_ALLOW_THREADS
    do {
      n = ::poll(p.data(), p.size(), ms);
    } while (n < 0 && errno == EINTR);
    Py_END_ALLOW_THREADS
    if (n < 0) return PyErr_SetFromErrno(PyExc_OSError);
    return PyBool_FromLong(n > 0);
  }
  int r = h->wait_fds(fds, timeout);
  if (r < 0) return nullptr;
  return PyBool_FromLong(r);
}

// wait_fd(fd, events, timeout) -> as wait_fds for one fd.
PyObject* py_wait_fd(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 3) return PyErr_Format(PyExc_TypeError, "wait_fd(fd, events, timeout)");
  py_ref pair(PyTuple_Pack(2, args[0], args[1]));
  py_ref list(pair ? PyList_New(1) : nullptr);
  if (!list) return nullptr;
  PyList_SET_ITEM(list.get(), 0, pair.release());
  PyObject* call[2] = {list.get(), args[2]};
  return py_wait_fds(self, call, 2);
}

// closing_fd(fd) -> greenlets woken: fd is about to be closed; those waiting on it wake and
// retry (their retry fails with EBADF, as gevent's "closed in another greenlet").
PyObject* py_closing_fd(PyObject*, PyObject* arg) {
  long fd = PyLong_AsLong(arg);
  if (fd == -1 && PyErr_Occurred()) return nullptr;
  hub* h = hub::on_this_thread();
  return PyLong_FromSize_t(h ? h->close_fd(static_cast<int>(fd)) : 0);
}

// call_in_thread(fn, args) -> fn(*args), run on another thread while this greenlet waits (name
// lookups: getaddrinfo blocks in C). Off the hub's greenlets it simply calls fn.
PyObject* py_call_in_thread(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 2 || !PyTuple_Check(args[1]))
    return PyErr_Format(PyExc_TypeError, "call_in_thread(callable, args_tuple)");
  hub* h = hub::on_this_thread();
  if (!h || !h->in_greenlet()) return PyObject_CallObject(args[0], args[1]);
  return h->call_in_thread(args[0], args[1]);
}

// current_task() -> the "Class.task" the hub reports as running (what a stuck-shard report reads).
PyObject* py_current_task(PyObject*, PyObject*) {
  hub* h = hub::on_this_thread();
  const char* t = h ? h->task() : nullptr;
  if (!t) Py_RETURN_NONE;
  return PyUnicode_FromString(t);
}

// failure_text(response, manual=None) -> None or what Locust records for it: manual True
// (success()), a str (failure()'s text) or None (the default: transport error, status >= 400).
PyObject* py_failure_text(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs < 1 || nargs > 2) return PyErr_Format(PyExc_TypeError, "failure_text(response, manual=None)");
  return failure_text(args[0], nargs == 2 ? args[1] : Py_None);
}

// normalize_error(repr) -> repr with object addresses masked, as Locust groups failures.
PyObject* py_normalize_error(PyObject*, PyObject* arg) {
  std::string s;
  if (!to_string(arg, s)) return nullptr;
  std::string out = rules::normalize_error(s);
  return PyUnicode_DecodeUTF8(out.data(), static_cast<Py_ssize_t>(out.size()), "replace");
}

// build_body(json_text, form_pairs, raw, files, boundary) -> (bytes or None, content_type or
// None): requests' precedence of files=, data= and json=. files: [(field, filename or None,
// content bytes, content_type or None)].
PyObject* py_build_body(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 5) return PyErr_Format(PyExc_TypeError, "build_body(json, form, raw, files, boundary)");
  rules::body_input in;
  std::string text;
  if (args[0] != Py_None) {
    if (!to_string(args[0], text)) return nullptr;
    in.json = std::move(text);
  }
  if (args[1] != Py_None) {
    client::header_list form;
    if (!to_pairs(args[1], form, "data")) return nullptr;
    in.form = std::move(form);
  }
  if (args[2] != Py_None) {
    if (!to_string(args[2], text)) return nullptr;
    in.raw = std::move(text);
  }
  if (args[3] != Py_None) {
    py_ref seq(PySequence_Fast(args[3], "files"));
    if (!seq) return nullptr;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq.get()); ++i) {
      PyObject* t = PySequence_Fast_GET_ITEM(seq.get(), i);
      if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != 4)
        return PyErr_Format(PyExc_TypeError, "files: expected (field, filename, content, type)");
      rules::file_part f;
      if (!to_string(PyTuple_GET_ITEM(t, 0), f.field) || !to_string(PyTuple_GET_ITEM(t, 2), f.content))
        return nullptr;
      if (PyTuple_GET_ITEM(t, 1) != Py_None) {
        if (!to_string(PyTuple_GET_ITEM(t, 1), text)) return nullptr;
        f.filename = text;
      }
      if (PyTuple_GET_ITEM(t, 3) != Py_None && !to_string(PyTuple_GET_ITEM(t, 3), f.content_type))
        return nullptr;
      in.files.push_back(std::move(f));
    }
  }
  if (!to_string(args[4], in.boundary)) return nullptr;
  bool empty = !in.json && !in.raw && in.files.empty() && (!in.form || in.form->empty());
  rules::body b = rules::build_body(std::move(in));
  py_ref bytes;
  if (empty) {
    Py_INCREF(Py_None);
    bytes = py_ref(Py_None);
  } else {
    bytes = py_ref(PyBytes_FromStringAndSize(b.bytes.data(), static_cast<Py_ssize_t>(b.bytes.size())));
  }
  py_ref type;
  if (b.content_type.empty()) {
    Py_INCREF(Py_None);
    type = py_ref(Py_None);
  } else {
    type = py_ref(PyUnicode_FromStringAndSize(b.content_type.data(),
                                              static_cast<Py_ssize_t>(b.content_type.size())));
  }
  if (!bytes || !type) return nullptr;
  return PyTuple_Pack(2, bytes.get(), type.get());
}

// run_single_user(user_class, make_user, run_user, resume_user, hub_started): Locust's debugging
// helper. Runs one user of user_class on a loop of its own, on the calling thread, until the user
// ends (the caller prints its requests through events.request). Not while a test runs here.
PyObject* py_run_single_user(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 5) return PyErr_Format(PyExc_TypeError, "run_single_user(cls, make, run, resume, started)");
  if (hub::on_this_thread())
    return PyErr_Format(PyExc_RuntimeError, "run_single_user() cannot run inside a running test");
  engine::shard_config shards;  // no test settings: no -i, no stop_test, default client options
  engine::user_class uc;
  PyObject* qualname = PyObject_GetAttrString(args[0], "__name__");
  uc.name = qualname && PyUnicode_Check(qualname) ? PyUnicode_AsUTF8(qualname) : "User";
  Py_XDECREF(qualname);
  PyErr_Clear();
  uc.handle = args[0];
  shards.classes.push_back(uc);
  hub_config hc;
  hc.make_user = args[1];
  hc.run_user = args[2];
  hc.resume_user = args[3];
  hc.on_start = args[4];
  auto h = std::make_unique<hub>(shards, hc);
  h->live.store(1);
  PyObject* cls = args[0];
  h->post([hp = h.get(), cls] { hp->spawn(cls, 0); });
  // The loop ends once the user did: checked on a timer, as the hub has no "last user" hook.
  boost::asio::steady_timer check(h->io);
  std::function<void()> arm = [&] {
    check.expires_after(std::chrono::milliseconds(20));
    check.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      if (h->live.load() == 0) {
        h->quit();
        return;
      }
      arm();
    });
  };
  arm();
  h->run();
  check.cancel();
  if (PyErr_Occurred()) return nullptr;
  Py_RETURN_NONE;
}

// --- cookies of a session (Locust's client.cookies) ---
PyObject* py_cookie_get(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 2) return PyErr_Format(PyExc_TypeError, "cookie_get(session, name)");
  client::session* s = session_of(args[0]);
  std::string name;
  if (!s || !to_string(args[1], name)) return nullptr;
  auto v = s->cookies().get(name);
  if (!v) Py_RETURN_NONE;
  return PyUnicode_DecodeUTF8(v->data(), static_cast<Py_ssize_t>(v->size()), "replace");
}

PyObject* py_cookie_set(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 5) return PyErr_Format(PyExc_TypeError, "cookie_set(session, name, value, domain, path)");
  client::session* s = session_of(args[0]);
  std::string name, value, domain, path;
  if (!s || !to_string(args[1], name) || !to_string(args[2], value) || !to_string(args[3], domain) ||
      !to_string(args[4], path))
    return nullptr;
  s->cookies().erase(name);
  s->cookies().set(name, value, domain, path.empty() ? "/" : path);
  Py_RETURN_NONE;
}

PyObject* py_cookie_erase(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 2) return PyErr_Format(PyExc_TypeError, "cookie_erase(session, name)");
  client::session* s = session_of(args[0]);
  std::string name;
  if (!s || !to_string(args[1], name)) return nullptr;
  return PyBool_FromLong(s->cookies().erase(name) ? 1 : 0);
}

PyObject* py_cookie_clear(PyObject*, PyObject* arg) {
  client::session* s = session_of(arg);
  if (!s) return nullptr;
  s->cookies().clear();
  Py_RETURN_NONE;
}

// cookie_items(session) -> [(name, value, domain, path)]
PyObject* py_cookie_items(PyObject*, PyObject* arg) {
  client::session* s = session_of(arg);
  if (!s) return nullptr;
  const auto& all = s->cookies().all();
  py_ref list(PyList_New(0));
  if (!list) return nullptr;
  for (const auto& c : all) {
    py_ref t(Py_BuildValue("(s#s#s#s#)", c.name.data(), static_cast<Py_ssize_t>(c.name.size()),
                           c.value.data(), static_cast<Py_ssize_t>(c.value.size()), c.domain.data(),
                           static_cast<Py_ssize_t>(c.domain.size()), c.path.data(),
                           static_cast<Py_ssize_t>(c.path.size())));
    if (!t || PyList_Append(list.get(), t.get()) != 0) return nullptr;
  }
  return list.release();
}

// METH_FASTCALL functions are stored as PyCFunction (CPython's calling convention).
template <class F>
PyCFunction as_cfunction(F f) {
  return reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(f));
}

PyMethodDef methods[] = {
    {"new_session", as_cfunction(py_new_session), METH_FASTCALL, "new_session(base_url, fast) -> session"},
    {"request", as_cfunction(py_request), METH_FASTCALL, "request(session, cls, ...) -> cls instance"},
    {"record", as_cfunction(py_record), METH_FASTCALL, "record(method, name, latency_us, length, error)"},
    {"record_exception", as_cfunction(py_record_exception), METH_FASTCALL, "record_exception(message, traceback)"},
    {"sleep", py_sleep, METH_O, "sleep(seconds): yields to other users"},
    {"wait", py_wait, METH_O, "wait(seconds) -> state(): the wait between tasks"},
    {"state", py_state, METH_NOARGS, "state() -> 0 running, 1 stopping, 2 killed"},
    {"task_done", py_task_done, METH_NOARGS, "task_done() -> True when --iterations is reached"},
    {"unkill", py_unkill, METH_NOARGS, "unkill(): a killed user runs its on_stop"},
    {"after_task", py_after_task, METH_NOARGS, "after_task() -> True when the user must stop"},
    {"open_user", py_open_user, METH_NOARGS, "open_user() -> True for an open-model pool user"},
    {"next_iteration", py_next_iteration, METH_NOARGS, "next_iteration() -> True when the user must stop"},
    {"stop_test", py_stop_test, METH_NOARGS, "stop_test(): ends the test (StopTest)"},
    {"totals", py_totals, METH_NOARGS, "totals() -> (requests, failures, latency sums ...)"},
    {"user_count", py_user_count, METH_NOARGS, "user_count() -> running users"},
    {"total_percentile", py_total_percentile, METH_O, "total_percentile(q) -> ms"},
    {"reset_totals", py_reset_totals, METH_NOARGS, "reset_totals(): --reset-stats"},
    {"spawn", as_cfunction(py_spawn), METH_FASTCALL, "spawn(callable, args) -> greenlet or None"},
    {"task_start", py_task_start, METH_O, "task_start(label): a user's task starts"},
    {"can_yield", py_can_yield, METH_NOARGS, "can_yield() -> True on a hub greenlet"},
    {"hub_running", py_hub_running, METH_NOARGS, "hub_running() -> True on the test's thread"},
    {"park", as_cfunction(py_park), METH_FASTCALL, "park(timeout, marker) -> value or marker"},
    {"unpark", as_cfunction(py_unpark), METH_FASTCALL, "unpark(greenlet, value) -> bool"},
    {"throw", as_cfunction(py_throw), METH_FASTCALL, "throw(greenlet, exception)"},
    {"yield_", py_yield, METH_NOARGS, "yield_(): let the other greenlets run"},
    {"wait_fd", as_cfunction(py_wait_fd), METH_FASTCALL, "wait_fd(fd, events, timeout) -> bool"},
    {"wait_fds", as_cfunction(py_wait_fds), METH_FASTCALL, "wait_fds(fds, timeout) -> bool"},
    {"call_in_thread", as_cfunction(py_call_in_thread), METH_FASTCALL, "call_in_thread(fn, args)"},
    {"closing_fd", py_closing_fd, METH_O, "closing_fd(fd) -> waiters woken"},
    {"current_task", py_current_task, METH_NOARGS, "current_task() -> 'Class.task' or None"},
    {"failure_text", as_cfunction(py_failure_text), METH_FASTCALL, "failure_text(response, manual) -> None or text"},
    {"normalize_error", py_normalize_error, METH_O, "normalize_error(repr) -> text"},
    {"build_body", as_cfunction(py_build_body), METH_FASTCALL, "build_body(...) -> (bytes, type)"},
    {"run_single_user", as_cfunction(py_run_single_user), METH_FASTCALL, "run_single_user(cls, ...)"},
    {"cookie_get", as_cfunction(py_cookie_get), METH_FASTCALL, nullptr},
    {"cookie_set", as_cfunction(py_cookie_set), METH_FASTCALL, nullptr},
    {"cookie_erase", as_cfunction(py_cookie_erase), METH_FASTCALL, nullptr},
    {"cookie_clear", py_cookie_clear, METH_O, nullptr},
    {"cookie_items", py_cookie_items, METH_O, nullptr},
    {nullptr, nullptr, 0, nullptr}};

PyModuleDef module_def = {PyModuleDef_HEAD_INIT, "_endure",
                          "endure's engine, as seen from its locust package", -1, methods,
                          nullptr, nullptr, nullptr, nullptr};

}  // namespace

PyObject* init_endure_module() {
  py_ref m(PyModule_Create(&module_def));
  if (!m) return nullptr;
  PyTypeObject* t = response_type();
  if (!t || PyModule_AddObjectRef(m.get(), "Response", reinterpret_cast<PyObject*>(t)) != 0)
    return nullptr;
  return m.release();
}

}  // namespace endure::python
