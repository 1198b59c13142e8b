#include "python/endure_module.hpp"

#include <string>
#include <string_view>

#include "base/clock.hpp"
#include "http/cookie_jar.hpp"
#include "python/greenlet_api.hpp"
#include "python/hub.hpp"
#include "python/response_object.hpp"

namespace endure::python {
namespace {

constexpr const char* session_capsule = "endure.session";

hub* need_hub() {
  hub* h = hub::on_this_thread();
  if (!h) PyErr_SetString(PyExc_RuntimeError, "endure: HTTP sessions exist only inside a running test");
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

client::session* session_of(PyObject* capsule) {
  auto* box = static_cast<session_box*>(PyCapsule_GetPointer(capsule, session_capsule));
  if (!box) return nullptr;
  if (!box->session) {
    PyErr_SetString(PyExc_RuntimeError, "endure: this HTTP session belongs to a finished test");
    return nullptr;
  }
  return box->session.get();
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

std::string format_http_error(int status, const std::string& reason, std::string_view name) {
  const char* kind = status >= 500 ? "Server Error" : "Client Error";
  return "HTTPError: " + std::to_string(status) + " " + kind + ": " + reason + " for url: " +
         std::string(name);
}

void record_sample(hub& h, std::string_view method, std::string_view name, int64_t latency_us,
                   uint64_t content_bytes, std::string_view error) {
  stats::request_sample s;
  s.method = method;
  s.name = name;
  s.latency_us = latency_us;
  s.intended_latency_us = latency_us;
  s.content_bytes = content_bytes;
  s.error = error;
  s.wall_s = base::wall_now_s();
  h.recorder.record(s);
  h.total_requests++;
  h.total_failures += error.empty() ? 0 : 1;
  h.total_latency_us += static_cast<uint64_t>(latency_us < 0 ? 0 : latency_us);
}

// new_session(base_url) -> session capsule (on the hub's thread only)
PyObject* py_new_session(PyObject*, PyObject* arg) {
  hub* h = need_hub();
  if (!h) return nullptr;
  std::string base;
  if (arg != Py_None && !to_string(arg, base)) return nullptr;
  auto* box = new session_box{std::make_unique<client::session>(*h->transport, base), h};
  PyObject* cap = PyCapsule_New(box, session_capsule, free_session);
  if (!cap) {
    delete box;
    return nullptr;
  }
  h->sessions.insert(box);
  return cap;
}

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
  client::session* s = session_of(args[0]);
  if (!s) return nullptr;
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
  if (a[3] != Py_None) {
    if (!to_string(a[3], name)) return nullptr;
  } else {
    name = req.url;
  }
  bool catch_response = PyObject_IsTrue(a[4]) == 1;
  if (!to_pairs(a[5], req.headers, "headers") || !to_pairs(a[6], req.params, "params"))
    return nullptr;
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
  o->session = s;
  if (h->on_user_greenlet()) {
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
      std::string error = r.error;
      if (error.empty()) error = format_http_error(r.status, r.reason, name);
      record_sample(*h, method, name, (done_ns - start_ns) / 1000, r.content_bytes, error);
    }
  }
  // The response's name: the one given, else the URL as written (Python's `name or url`).
  PyObject* py_name = PyObject_IsTrue(a[3]) == 1 ? a[3] : a[2];
  return make_response(cls, std::move(r), a[1], py_name, start_ns, done_ns);
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
  if (seconds < 0) {
    PyErr_SetString(PyExc_ValueError, "sleep length must be non-negative");
    return false;
  }
  hub* h = hub::on_this_thread();
  if (!h) {
    PyThreadState* ts = PyEval_SaveThread();
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    PyEval_RestoreThread(ts);
    return true;
  }
  py_user* u = h->current();
  if (is_wait && u && u->state != running) return true;  // stopping: no more waiting
  if (is_wait && seconds == 0) return true;  // as C++ users: no wait, no switch (sleep(0) yields)
  h->sleep(seconds, is_wait);
  return !PyErr_Occurred();
}

// sleep(seconds): yields to other users (time.sleep and gevent.sleep in user code land here).
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

// after_task() -> True when the user must stop after a top-level task: counts the task for
// -i/--iterations (task_done()) and checks state() in one call.
PyObject* py_after_task(PyObject* self, PyObject* none) {
  PyObject* done = py_task_done(self, none);
  if (done != Py_False) return done;
  Py_DECREF(done);
  return PyBool_FromLong(user_state(hub::on_this_thread()) != running);
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

// totals() -> (requests, failures, sum of latencies in µs) recorded in this process
PyObject* py_totals(PyObject*, PyObject*) {
  hub* h = hub::on_this_thread();
  if (!h) return Py_BuildValue("(KKK)", 0ULL, 0ULL, 0ULL);
  return Py_BuildValue("(KKK)", static_cast<unsigned long long>(h->total_requests),
                       static_cast<unsigned long long>(h->total_failures),
                       static_cast<unsigned long long>(h->total_latency_us));
}

// spawn(callable, args) -> greenlet: runs callable(*args) as a greenlet of the current user.
PyObject* py_spawn(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 2 || !PyTuple_Check(args[1])) {
    PyErr_SetString(PyExc_TypeError, "_endure.spawn(callable, args_tuple)");
    return nullptr;
  }
  hub* h = need_hub();
  if (!h) return nullptr;
  py_ref hub_g(gl::current());
  // The parent is the hub's greenlet: when the new greenlet ends, control returns to the loop.
  PyObject* parent = hub_g.get();
  if (h->on_user_greenlet()) {
    // Walk up to the thread's main greenlet: the hub.
    py_ref gmod(PyImport_ImportModule("greenlet"));
    if (!gmod) return nullptr;
    py_ref cur(PyObject_CallMethod(gmod.get(), "getcurrent", nullptr));
    py_ref p = py_ref::borrow(cur.get());
    for (;;) {
      py_ref up(PyObject_GetAttrString(p.get(), "parent"));
      if (!up) return nullptr;
      if (up.get() == Py_None) break;
      p = std::move(up);
    }
    hub_g = std::move(p);
    parent = hub_g.get();
  }
  py_ref g(gl::make(args[0], parent));
  if (!g) return nullptr;
  auto o = std::make_shared<op>();
  if (py_user* u = h->current()) o->user = *u->where;
  Py_INCREF(g.get());
  o->greenlet = g.get();
  Py_INCREF(args[1]);
  o->start_args = args[1];
  o->done = true;
  h->make_ready(o);
  return g.release();
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
    {"new_session", py_new_session, METH_O, "new_session(base_url) -> session"},
    {"request", as_cfunction(py_request), METH_FASTCALL, "request(session, cls, ...) -> cls instance"},
    {"record", as_cfunction(py_record), METH_FASTCALL, "record(method, name, latency_us, length, error)"},
    {"record_exception", as_cfunction(py_record_exception), METH_FASTCALL, "record_exception(message, traceback)"},
    {"sleep", py_sleep, METH_O, "sleep(seconds): yields to other users"},
    {"wait", py_wait, METH_O, "wait(seconds) -> state(): the wait between tasks"},
    {"state", py_state, METH_NOARGS, "state() -> 0 running, 1 stopping, 2 killed"},
    {"task_done", py_task_done, METH_NOARGS, "task_done() -> True when --iterations is reached"},
    {"unkill", py_unkill, METH_NOARGS, "unkill(): a killed user runs its on_stop"},
    {"after_task", py_after_task, METH_NOARGS, "after_task() -> True when the user must stop"},
    {"stop_test", py_stop_test, METH_NOARGS, "stop_test(): ends the test (StopTest)"},
    {"totals", py_totals, METH_NOARGS, "totals() -> (requests, failures, latency_us_sum)"},
    {"user_count", py_user_count, METH_NOARGS, "user_count() -> running users"},
    {"spawn", as_cfunction(py_spawn), METH_FASTCALL, "spawn(callable, args) -> greenlet"},
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
