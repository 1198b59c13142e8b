#include "python/hub.hpp"

#include <boost/asio/post.hpp>
#include <chrono>

#include "base/log.hpp"
#include "python/greenlet_api.hpp"

namespace asio = boost::asio;

namespace endure::python {
namespace {
thread_local hub* tl_hub = nullptr;

std::string utf8(PyObject* o) {
  if (!o) return {};
  py_ref s(PyObject_Str(o));
  if (!s) {
    PyErr_Clear();
    return "<unprintable>";
  }
  Py_ssize_t n = 0;
  const char* c = PyUnicode_AsUTF8AndSize(s.get(), &n);
  if (!c) {
    PyErr_Clear();
    return "<unprintable>";
  }
  return std::string(c, static_cast<size_t>(n));
}
}  // namespace

hub::hub(const engine::shard_config& s, hub_config c) : shards(s), config(c) {
  transport = std::make_unique<client::transport>(io, shards.client);
}

hub::~hub() = default;

hub* hub::on_this_thread() { return tl_hub; }

void hub::post(std::function<void()> fn) {
  asio::post(io, [this, fn = std::move(fn)]() mutable { control_.push_back(std::move(fn)); });
}

void hub::run() {
  tl_hub = this;
  hub_greenlet_ = gl::current();
  while (!quit_) {
    if (ready_.empty() && control_.empty()) {
      // Nothing runnable: let other Python threads in while we block on I/O.
      PyThreadState* ts = PyEval_SaveThread();
      io.run_one();
      PyEval_RestoreThread(ts);
    }
    io.poll();
    if (!control_.empty()) run_control();
    if (!ready_.empty()) {
      running_.swap(ready_);  // both keep their capacity: no allocation per round
      for (auto& o : running_) resume(o);
      running_.clear();
    }
  }
  // Users still here are abandoned (a task that never yields, or the stop deadline passed): their
  // greenlets and objects are leaked on purpose; sessions forget the transport that dies with us.
  for (auto* box : sessions) {
    static_cast<void>(box->session.release());
    box->owner = nullptr;
  }
  sessions.clear();
  Py_XDECREF(hub_greenlet_);
  hub_greenlet_ = nullptr;
  tl_hub = nullptr;
}

void hub::run_control() {
  std::vector<std::function<void()>> batch;
  batch.swap(control_);
  for (auto& f : batch) f();
}

void hub::resume(const std::shared_ptr<op>& o) {
  py_user* u = o->user.get();
  PyObject* g = std::exchange(o->greenlet, nullptr);
  PyObject* args = std::exchange(o->start_args, nullptr);
  if (o->park && u && !u->greenlet) {
    // The end of a parked user's wait: a new greenlet carries on with its task loop.
    g = gl::make(config.resume_user, hub_greenlet_);
    args = g ? PyTuple_Pack(1, u->obj) : nullptr;
    if (!g || !args) {
      record_python_error("greenlet");
      Py_XDECREF(g);
      Py_XDECREF(args);
      user_finished(*u);
      return;
    }
    u->greenlet = g;
    Py_INCREF(g);
  }
  if (!g) return;
  if (u && u->waiting == o.get()) u->waiting = nullptr;
  bool main = u && g == u->greenlet;
  // Killed before its first step (a parked user's next greenlet still runs: on_stop is due).
  if (u && u->state == killed && !gl::is_started(g) && !(main && u->started)) {
    Py_XDECREF(args);
    Py_DECREF(g);
    if (main) user_finished(*u);
    return;
  }
  if (main) u->started = true;
  current_ = u;
  if (u) current_class.store(&shards.classes[u->class_index].name, std::memory_order_relaxed);
  PyObject* r = gl::switch_to(g, args);
  current_ = nullptr;
  Py_XDECREF(args);
  if (!r) {
    if (PyErr_ExceptionMatches(gl::exit_type()))
      PyErr_Clear();
    else
      record_python_error("greenlet");
  }
  bool finished = !gl::is_active(g);
  if (u && finished && g == u->greenlet) {
    if (r && PyFloat_CheckExact(r))
      park(*u, PyFloat_AS_DOUBLE(r));
    else
      user_finished(*u);
  }
  Py_XDECREF(r);
  Py_DECREF(g);
}

void hub::park(py_user& u, double seconds) {
  Py_CLEAR(u.greenlet);
  auto o = std::make_shared<op>();
  o->user = *u.where;
  o->is_wait = true;
  o->park = true;
  start_timer(o, seconds);
  u.waiting = o.get();
}

void hub::start_timer(const std::shared_ptr<op>& o, double seconds) {
  o->timer = std::make_unique<asio::steady_timer>(io);
  o->timer->expires_after(std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::duration<double>(seconds)));
  o->timer->async_wait([this, o](const boost::system::error_code&) {
    o->done = true;
    ready_.push_back(o);
  });
}

bool hub::suspend(const std::shared_ptr<op>& o) {
  py_user* u = current_;
  if (u) o->user = *u->where;
  o->greenlet = gl::current();
  if (u && o->greenlet == u->greenlet) u->waiting = o.get();
  PyObject* r = gl::switch_to(hub_greenlet_, nullptr);
  // Back on the user's greenlet: the hub set current_ before switching in.
  if (!r) {
    // An exception thrown into us (greenlet teardown): abandon what we waited for.
    if (!o->done) {
      if (o->session) o->session->cancel();
      if (o->timer) o->timer->cancel();
    }
    return false;
  }
  Py_DECREF(r);
  if (u && u->state == killed) {
    PyErr_SetNone(gl::exit_type());
    return false;
  }
  return true;
}

void hub::sleep(double seconds, bool is_wait) {
  if (!on_user_greenlet()) {
    // Not in a user (an event listener, the import): a plain blocking sleep.
    PyThreadState* ts = PyEval_SaveThread();
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    PyEval_RestoreThread(ts);
    return;
  }
  auto o = std::make_shared<op>();
  o->is_wait = is_wait;
  if (seconds <= 0) {
    o->done = true;
    ready_.push_back(o);
  } else {
    start_timer(o, seconds);
  }
  suspend(o);
}

void hub::record_exception(const std::string& message, const std::string& traceback) {
  recorder.record_exception(message, traceback);
}

void hub::record_python_error(const char* where) {
  PyObject *type = nullptr, *value = nullptr, *tb = nullptr;
  PyErr_Fetch(&type, &value, &tb);
  PyErr_NormalizeException(&type, &value, &tb);
  std::string message, trace;
  if (value) {
    py_ref r(PyObject_Repr(value));
    message = r ? utf8(r.get()) : utf8(value);
    if (!r) PyErr_Clear();
  }
  if (tb) {
    py_ref mod(PyImport_ImportModule("traceback"));
    if (mod) {
      py_ref lines(PyObject_CallMethod(mod.get(), "format_tb", "O", tb));
      if (lines) {
        py_ref empty(PyUnicode_FromString(""));
        py_ref joined(PyUnicode_Join(empty.get(), lines.get()));
        if (joined) trace = utf8(joined.get());
      }
    }
    PyErr_Clear();
  }
  if (trace.empty()) trace = where;
  Py_XDECREF(type);
  Py_XDECREF(value);
  Py_XDECREF(tb);
  recorder.record_exception(message, trace);
}

void hub::spawn(PyObject* cls, size_t class_index) {
  if (users_by_class_.size() <= class_index) users_by_class_.resize(class_index + 1);
  py_ref obj(PyObject_CallOneArg(config.make_user, cls));
  if (!obj) {
    record_python_error("make_user");
    live.fetch_sub(1);
    return;
  }
  py_ref g(gl::make(config.run_user, hub_greenlet_));
  if (!g) {
    record_python_error("greenlet");
    live.fetch_sub(1);
    return;
  }
  auto u = std::make_shared<py_user>();
  u->class_index = class_index;
  u->greenlet = g.release();
  u->obj = obj.get();
  Py_INCREF(u->obj);
  auto& l = users_by_class_[class_index];
  l.push_back(u);
  u->where = std::prev(l.end());
  auto o = std::make_shared<op>();
  o->user = u;
  Py_INCREF(u->greenlet);
  o->greenlet = u->greenlet;
  o->start_args = PyTuple_Pack(1, obj.get());
  o->done = true;
  u->waiting = o.get();
  ready_.push_back(o);
}

void hub::user_finished(py_user& u) {
  auto keep = *u.where;  // u lives until this function returns
  users_by_class_[u.class_index].erase(u.where);
  Py_CLEAR(u.greenlet);
  Py_CLEAR(u.obj);
  live.fetch_sub(1);
}

void hub::request_stop(py_user& u, bool force) {
  if (u.state == killed) return;
  if (force) {
    u.state = killed;
  } else if (u.state == running) {
    u.state = stopping;
  } else {
    return;
  }
  op* w = u.waiting;
  if (!w || w->done) return;
  if (force || w->is_wait) {
    if (w->timer) w->timer->cancel();
    if (force && w->session) w->session->cancel();
  }
}

void hub::set_targets(const std::vector<uint64_t>& users_per_class) {
  // Diffs against the targets given before, not the users alive: a user that stopped itself
  // (StopUser) is not brought back by the next change of targets.
  if (assigned_.size() < users_per_class.size()) assigned_.resize(users_per_class.size(), 0);
  for (size_t ci = 0; ci < users_per_class.size() && ci < shards.classes.size(); ++ci) {
    uint64_t& have = assigned_[ci];
    if (users_per_class[ci] < have) {
      stop_users(ci, have - users_per_class[ci], false);
    } else {
      auto* cls = static_cast<PyObject*>(const_cast<void*>(shards.classes[ci].handle));
      for (; have < users_per_class[ci]; ++have) {
        live.fetch_add(1);
        spawn(cls, ci);
      }
    }
    have = users_per_class[ci];
  }
}

void hub::stop_users(size_t class_index, uint64_t count, bool force) {
  if (class_index >= users_by_class_.size()) return;
  auto& l = users_by_class_[class_index];
  std::vector<std::shared_ptr<py_user>> victims;
  for (auto it = l.rbegin(); it != l.rend() && victims.size() < count; ++it)
    if ((*it)->state != killed && (force || (*it)->state == running)) victims.push_back(*it);
  for (auto& u : victims) request_stop(*u, force);
}

void hub::stop_all(bool force) {
  std::vector<std::shared_ptr<py_user>> all;
  for (auto& l : users_by_class_)
    for (auto& u : l) all.push_back(u);
  for (auto& u : all) request_stop(*u, force);
}

}  // namespace endure::python
