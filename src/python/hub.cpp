#include "python/hub.hpp"

#include <poll.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <chrono>
#include <cmath>

#include "base/clock.hpp"
#include "base/log.hpp"
#include "python/fd_waits.hpp"
#include "python/greenlet_api.hpp"

namespace asio = boost::asio;

namespace endure::python {
namespace {
thread_local hub* tl_hub = nullptr;

// What the stuck-shard report names while a spawned (non-user) greenlet runs.
constexpr const char* spawned_greenlet_task = "a spawned greenlet (gevent.spawn)";

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

std::chrono::nanoseconds to_ns(double seconds) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(seconds));
}

void wake_op(void* ctx, const std::shared_ptr<op>& o) {
  auto* h = static_cast<hub*>(ctx);
  if (o->timer) o->timer->cancel();
  h->make_ready(o);
}
}  // namespace

hub::hub(const engine::shard_config& s, hub_config c)
    : shards(s), config(c), live_by_class(s.classes.size()) {
  transport = std::make_unique<client::transport>(io, shards.client);
  fd_waits_ = std::make_unique<fd_waits>(io, &wake_op, this);
}

hub::~hub() {
  std::lock_guard lock(link->mutex);
  link->h = nullptr;
}

hub* hub::on_this_thread() { return tl_hub; }

void hub::post(std::function<void()> fn) {
  asio::post(io, [this, fn = std::move(fn)]() mutable { control_.push_back(std::move(fn)); });
}

void hub::run() {
  tl_hub = this;
  {
    std::lock_guard lock(link->mutex);
    link->h = this;
  }
  hub_greenlet_ = gl::current();
  if (config.on_start) {
    // Greenlets spawned before the hub existed (from events.init) start now, on this thread.
    py_ref r(PyObject_CallNoArgs(config.on_start));
    if (!r) record_python_error("gevent.spawn before the test");
  }
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
  // Users and greenlets still here are abandoned (a task that never yields, the stop deadline
  // passed, an endless background greenlet): their greenlets and objects are leaked on purpose;
  // sessions forget the transport that dies with us.
  for (auto* box : sessions) {
    static_cast<void>(box->session.release());
    for (auto& spare : box->spares) static_cast<void>(spare.release());
    box->owner = nullptr;
  }
  sessions.clear();
  {
    std::lock_guard lock(link->mutex);
    link->h = nullptr;
  }
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
  PyObject* exc = std::exchange(o->throw_value, nullptr);
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
    user_greenlets_[g] = u;
  }
  if (!g) return;
  if (u && u->waiting == o.get()) u->waiting = nullptr;
  bool main = u && g == u->greenlet;
  // Killed before its first step (a parked user's next greenlet still runs: on_stop is due).
  if (u && u->state == killed && !gl::is_started(g) && !(main && u->started)) {
    Py_XDECREF(args);
    Py_XDECREF(exc);
    Py_DECREF(g);
    if (main) user_finished(*u);
    return;
  }
  if (!u && gl::is_dead(g)) {  // a spawned greenlet killed before this throw or start
    Py_XDECREF(args);
    Py_XDECREF(exc);
    Py_DECREF(g);
    return;
  }
  if (main) u->started = true;
  current_ = u;
  if (u) current_class.store(&shards.classes[u->class_index].name, std::memory_order_relaxed);
  in_greenlet_ = true;
  task_.store(u ? (u->task ? u->task : "") : spawned_greenlet_task, std::memory_order_relaxed);
  ++switches_;
  PyObject* r = exc ? gl::throw_into(g, exc) : gl::switch_to(g, args);
  task_.store(nullptr, std::memory_order_relaxed);
  in_greenlet_ = false;
  current_ = nullptr;
  Py_XDECREF(args);
  Py_XDECREF(exc);
  if (!r) {
    if (PyErr_ExceptionMatches(gl::exit_type()))
      PyErr_Clear();
    else
      record_python_error("greenlet");
  }
  bool finished = !gl::is_active(g);
  if (u && finished && g == u->greenlet) {
    if (r && PyFloat_CheckExact(r))
      park_user(*u, PyFloat_AS_DOUBLE(r));
    else
      user_finished(*u);
  }
  Py_XDECREF(r);
  Py_DECREF(g);
}

void hub::park_user(py_user& u, double seconds) {
  user_greenlets_.erase(u.greenlet);
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
  o->timer->expires_after(to_ns(seconds));
  o->timer->async_wait([this, o](const boost::system::error_code& ec) {
    if (o->done) return;  // woken already (unpark, fd ready)
    o->done = true;
    // A cancelled wait between tasks (a stop) ends early; a park or an fd wait times out.
    if (!ec && (o->parked || !o->fds.empty() || o->fd_wait)) o->timed_out = true;
    if (!o->fds.empty()) fd_waits_->remove(*o);
    if (o->parked && o->greenlet) parked_.erase(o->greenlet);
    ready_.push_back(o);
  });
}

void hub::abandon(op& o) {
  if (!o.done) {
    if (o.session) o.session->cancel();
    if (o.timer) o.timer->cancel();
  }
  if (!o.fds.empty()) fd_waits_->remove(o);
  o.done = true;
  // Whatever completes later finds no greenlet to resume.
  if (o.greenlet) {
    if (o.parked) parked_.erase(o.greenlet);
    Py_CLEAR(o.greenlet);
  }
  Py_CLEAR(o.value);
}

bool hub::suspend(const std::shared_ptr<op>& o) {
  py_user* u = current_;
  if (u) o->user = *u->where;
  o->greenlet = gl::current();
  if (u && o->greenlet == u->greenlet) u->waiting = o.get();
  PyObject* r = gl::switch_to(hub_greenlet_, nullptr);
  // Back on this greenlet: the hub set current_ before switching in.
  if (!r) {
    // An exception thrown into us (a kill, a Timeout, greenlet teardown): abandon the wait.
    if (u && u->waiting == o.get()) u->waiting = nullptr;
    abandon(*o);
    return false;
  }
  Py_DECREF(r);
  if (u && u->state == killed) {
    PyErr_SetNone(gl::exit_type());
    return false;
  }
  return true;
}

bool hub::yield_now() {
  auto o = std::make_shared<op>();
  o->done = true;
  ready_.push_back(o);
  return suspend(o);
}

PyObject* hub::park(double timeout_s, bool* timed_out) {
  auto o = std::make_shared<op>();
  o->parked = true;
  PyObject* me = gl::current();
  parked_[me] = o;
  Py_DECREF(me);  // the op holds the strong reference (set by suspend)
  if (timeout_s >= 0) start_timer(o, timeout_s);
  bool ok = suspend(o);
  PyObject* v = std::exchange(o->value, nullptr);
  if (!ok) {
    Py_XDECREF(v);
    return nullptr;
  }
  *timed_out = o->timed_out;
  if (o->timed_out) {
    Py_XDECREF(v);
    return nullptr;
  }
  if (!v) {
    Py_INCREF(Py_None);
    v = Py_None;
  }
  return v;
}

bool hub::unpark(PyObject* g, PyObject* value) {
  auto it = parked_.find(g);
  if (it == parked_.end()) return false;
  auto o = std::move(it->second);
  parked_.erase(it);
  if (o->done) return false;
  o->done = true;
  if (o->timer) o->timer->cancel();
  Py_XINCREF(value);
  o->value = value;
  ready_.push_back(o);
  return true;
}

void hub::throw_into(PyObject* g, PyObject* exc) {
  auto o = std::make_shared<op>();
  if (auto it = user_greenlets_.find(g); it != user_greenlets_.end()) o->user = *it->second->where;
  Py_INCREF(g);
  o->greenlet = g;
  Py_INCREF(exc);
  o->throw_value = exc;
  o->done = true;
  ready_.push_back(o);
}

int hub::wait_fds(const std::vector<std::pair<int, short>>& fds, double timeout_s) {
  if (!in_greenlet_) {
    // Not on one of our greenlets (the main thread, an event on the hub itself): block here.
    std::vector<pollfd> p;
    for (auto [fd, ev] : fds) p.push_back(pollfd{fd, ev, 0});
    int ms = timeout_s < 0 ? -1 : static_cast<int>(std::ceil(timeout_s * 1000.0));
    int n = 0;
    Py_BEGIN_ALLOW_THREADS
    do {
      n = ::poll(p.data(), p.size(), ms);
    } while (n < 0 && errno == EINTR);
    Py_END_ALLOW_THREADS
    if (n < 0) {
      PyErr_SetFromErrno(PyExc_OSError);
      return -1;
    }
    return n > 0 ? 1 : 0;
  }
  if (fds.empty() && timeout_s < 0) {
    PyErr_SetString(PyExc_ValueError, "wait_fds: no file descriptor and no timeout: it would never end");
    return -1;
  }
  auto o = std::make_shared<op>();
  for (auto [fd, ev] : fds) {
    if (o->done) break;
    if (!fd_waits_->add(fd, ev, o)) {
      int saved = errno;
      fd_waits_->remove(*o);
      errno = saved;
      PyErr_SetFromErrno(PyExc_OSError);
      return -1;
    }
  }
  o->fd_wait = true;
  if (!o->done && timeout_s >= 0) start_timer(o, timeout_s);
  if (!suspend(o)) return -1;
  return o->timed_out ? 0 : 1;
}

size_t hub::close_fd(int fd) { return fd_waits_->wake_all(fd); }

PyObject* hub::call_in_thread(PyObject* fn, PyObject* args) {
  auto o = std::make_shared<op>();
  Py_INCREF(fn);
  Py_INCREF(args);
  // The worker takes the GIL to call fn. Its result waits in o->value for this greenlet; its
  // exception goes to o->throw_value, which resume() raises in the greenlet where it waits.
  std::thread([o, fn, args, l = link] {
    PyGILState_STATE st = PyGILState_Ensure();
    PyObject* r = PyObject_CallObject(fn, args);
    if (!r) {
      PyObject *t = nullptr, *v = nullptr, *tb = nullptr;
      PyErr_Fetch(&t, &v, &tb);
      PyErr_NormalizeException(&t, &v, &tb);
      if (v && tb) PyException_SetTraceback(v, tb);
      o->throw_value = v;
      Py_XDECREF(t);
      Py_XDECREF(tb);
    }
    o->value = r;
    Py_DECREF(fn);
    Py_DECREF(args);
    PyGILState_Release(st);
    std::lock_guard lock(l->mutex);
    if (l->h) {
      hub* h = l->h;
      asio::post(h->io, [h, o] {
        if (o->done) return;  // abandoned (a kill or Timeout came first)
        o->done = true;
        h->make_ready(o);
      });
    }
  }).detach();
  if (!suspend(o)) return nullptr;  // also the worker's exception, raised by resume()
  return std::exchange(o->value, nullptr);
}

PyObject* hub::spawn_greenlet(PyObject* fn, PyObject* args) {
  py_ref g(gl::make(fn, hub_greenlet_));
  if (!g) return nullptr;
  auto o = std::make_shared<op>();
  Py_INCREF(g.get());
  o->greenlet = g.get();
  Py_INCREF(args);
  o->start_args = args;
  o->done = true;
  ready_.push_back(o);
  return g.release();
}

void hub::task_start(PyObject* task) {
  py_user* u = current_;
  if (!u) return;
  const char* label = PyUnicode_AsUTF8(task);
  if (!label) {
    PyErr_Clear();
    label = "";
  }
  u->task = label;
  u->task_switches = switches_;
  task_.store(label, std::memory_order_relaxed);
}

bool hub::after_task_yield() {
  py_user* u = current_;
  if (!u || u->task_switches != switches_) return true;
  return yield_now();
}

void hub::sleep(double seconds, bool is_wait) {
  if (!in_greenlet_) {
    // Not in a greenlet of ours (an event listener, the import): a plain blocking sleep.
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
  if (value) message = utf8(value);  // Locust's exceptions table shows str(exception)
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

py_user* hub::spawn(PyObject* cls, size_t class_index) {
  if (users_by_class_.size() <= class_index) users_by_class_.resize(class_index + 1);
  py_ref obj(PyObject_CallOneArg(config.make_user, cls));
  if (!obj) {
    record_python_error("make_user");
    live.fetch_sub(1);
    return nullptr;
  }
  py_ref g(gl::make(config.run_user, hub_greenlet_));
  if (!g) {
    record_python_error("greenlet");
    live.fetch_sub(1);
    return nullptr;
  }
  auto u = std::make_shared<py_user>();
  u->class_index = class_index;
  u->greenlet = g.release();
  u->obj = obj.get();
  Py_INCREF(u->obj);
  auto& l = users_by_class_[class_index];
  l.push_back(u);
  u->where = std::prev(l.end());
  user_greenlets_[u->greenlet] = u.get();
  if (class_index < live_by_class.size()) live_by_class[class_index].fetch_add(1, std::memory_order_relaxed);
  auto o = std::make_shared<op>();
  o->user = u;
  Py_INCREF(u->greenlet);
  o->greenlet = u->greenlet;
  o->start_args = PyTuple_Pack(1, obj.get());
  o->done = true;
  u->waiting = o.get();
  ready_.push_back(o);
  recorder.record_class(shards.classes[class_index].name, 0, 1, 0);
  const auto& own = shards.classes[class_index];
  if (own.session_max_ms > 0 || (settings && settings->session_max_ms > 0)) {
    const int64_t lo = own.session_max_ms > 0 ? own.session_min_ms : settings->session_min_ms;
    const int64_t hi = own.session_max_ms > 0 ? own.session_max_ms : settings->session_max_ms;
    const int64_t ms = lo + static_cast<int64_t>(seeds_.below(static_cast<uint64_t>(hi - lo + 1)));
    u->session_end_ns = base::mono_now_ns() + ms * 1'000'000;
  }
  return u.get();
}

void hub::user_finished(py_user& u) {
  auto keep = *u.where;  // u lives until this function returns
  const size_t ci = u.class_index;
  users_by_class_[ci].erase(u.where);
  if (ci < live_by_class.size()) live_by_class[ci].fetch_sub(1, std::memory_order_relaxed);
  if (u.greenlet) user_greenlets_.erase(u.greenlet);
  Py_CLEAR(u.greenlet);
  Py_CLEAR(u.obj);
  live.fetch_sub(1);
  if (ci < shards.classes.size()) recorder.record_class(shards.classes[ci].name, 0, 0, 1);
  if (u.open && ci < arrivals_.size()) {
    auto& c = arrivals_[ci];
    if (u.idle) std::erase(c.idle, &u);
    if (c.pool > 0) --c.pool;
  }
  // A user whose session ended is replaced by a fresh one of its class (closed model: the
  // controller's target for this hub is unchanged; open model: the pool refills on demand).
  if (u.session_over && !u.open && !stopping_all_ && ci < shards.classes.size()) {
    live.fetch_add(1);
    spawn(static_cast<PyObject*>(const_cast<void*>(shards.classes[ci].handle)), ci);
  }
}

void hub::begin_test() {
  assigned_.clear();
  arrivals_.clear();
  open_model_ = false;
  stopping_all_ = false;
  if (arrival_timer_) arrival_timer_->cancel();
  if (settings) seeds_.reseed(settings->seed ^ 0x5e55105e55105e55ULL);
}

// ---------------------------------------------------------------------------------------------
// The open model: one timer per hub, every arrival handed at its scheduled time to an idle user
// of its class, a new user while the pool may grow, or counted as dropped.

void hub::set_arrivals(const engine::arrival_targets& a) {
  const int64_t now = base::mono_now_ns();
  open_model_ = true;
  poisson_ = a.poisson;
  if (arrivals_.size() < a.rate_per_class.size()) arrivals_.resize(a.rate_per_class.size());
  for (size_t ci = 0; ci < a.rate_per_class.size(); ++ci) {
    auto& c = arrivals_[ci];
    const double old_rate = c.rate;
    c.rate = std::max(0.0, a.rate_per_class[ci]);
    c.max_users = ci < a.max_users_per_class.size() ? a.max_users_per_class[ci] : 0;
    if (c.rate <= 0) continue;
    if (old_rate <= 0)
      c.next_ns = now;  // the first arrival at once
    else if (c.rate != old_rate)
      c.next_ns = std::max(now, c.last_ns + gap_ns(c.rate));  // the new rate from the last one
  }
  arm_arrivals();
}

int64_t hub::gap_ns(double rate) {
  if (!poisson_) return static_cast<int64_t>(1e9 / rate);
  const double u = std::max(1e-12, 1.0 - arrival_rng_.uniform());  // exponential gaps
  return static_cast<int64_t>(-std::log(u) / rate * 1e9);
}

void hub::arm_arrivals() {
  int64_t first = INT64_MAX;
  for (const auto& c : arrivals_)
    if (c.rate > 0) first = std::min(first, c.next_ns);
  if (!arrival_timer_) arrival_timer_ = std::make_unique<asio::steady_timer>(io);
  arrival_timer_->cancel();
  if (first == INT64_MAX || stopping_all_) return;
  arrival_timer_->expires_at(std::chrono::steady_clock::time_point(std::chrono::nanoseconds(first)));
  // The handler may run while the GIL is released (io.run_one): it only queues the dispatch.
  arrival_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (!ec) control_.push_back([this] { on_arrivals(); });
  });
}

void hub::on_arrivals() {
  const int64_t now = base::mono_now_ns();
  for (size_t ci = 0; ci < arrivals_.size(); ++ci) {
    auto& c = arrivals_[ci];
    while (c.rate > 0 && c.next_ns <= now && !stopping_all_) {
      const int64_t due = c.next_ns;
      c.last_ns = due;
      c.next_ns = due + gap_ns(c.rate);
      dispatch(ci, due);
    }
  }
  arm_arrivals();
}

void hub::dispatch(size_t ci, int64_t due_ns) {
  auto& c = arrivals_[ci];
  while (!c.idle.empty()) {
    py_user* u = c.idle.back();
    c.idle.pop_back();
    u->idle = false;
    if (u->state != running) continue;
    u->has_iteration = true;
    u->iteration_due_ns = due_ns;
    // Its wait in next_iteration() ends: the timer's handler makes it ready.
    if (u->waiting && u->waiting->timer) u->waiting->timer->cancel();
    return;
  }
  if (c.pool < c.max_users && ci < shards.classes.size()) {
    ++c.pool;
    live.fetch_add(1);
    py_user* u = spawn(static_cast<PyObject*>(const_cast<void*>(shards.classes[ci].handle)), ci);
    if (!u) {
      --c.pool;
      return;
    }
    u->open = true;
    u->has_iteration = true;
    u->iteration_due_ns = due_ns;
    return;
  }
  recorder.record_class(shards.classes[ci].name, 1, 0, 0);
}

bool hub::next_iteration() {
  py_user* u = current_;
  if (!u) return true;
  u->lag_ns = 0;
  if (!u->has_iteration && u->state == running && u->open) {
    const size_t ci = u->class_index;
    if (ci >= arrivals_.size()) arrivals_.resize(ci + 1);
    arrivals_[ci].idle.push_back(u);
    u->idle = true;
    // An idle wait: dispatch() or a stop (request_stop cancels is_wait timers) ends it.
    auto o = std::make_shared<op>();
    o->is_wait = true;
    start_timer(o, 1e8);
    const bool ok = suspend(o);
    if (u->idle) {
      std::erase(arrivals_[ci].idle, u);
      u->idle = false;
    }
    if (!ok) return false;
  }
  if (u->has_iteration) {
    u->has_iteration = false;
    // Every request of the iteration carries how late it started (coordinated omission).
    u->lag_ns = std::max<int64_t>(0, base::mono_now_ns() - u->iteration_due_ns);
  }
  return true;
}

bool hub::session_ended() {
  py_user* u = current_;
  if (!u || u->session_end_ns == 0 || u->state != running) return false;
  if (base::mono_now_ns() < u->session_end_ns) return false;
  u->session_over = true;
  u->state = stopping;
  return true;
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
  if (force && (w->parked || !w->fds.empty())) {
    // Waiting on a gevent primitive or a socket: wake it; suspend() then raises GreenletExit.
    auto o = w->shared_from_this();
    if (o->parked && o->greenlet) parked_.erase(o->greenlet);
    if (!o->fds.empty()) fd_waits_->remove(*o);
    o->done = true;
    if (o->timer) o->timer->cancel();
    ready_.push_back(o);
    return;
  }
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
  stopping_all_ = true;
  if (arrival_timer_) arrival_timer_->cancel();
  std::vector<std::shared_ptr<py_user>> all;
  for (auto& l : users_by_class_)
    for (auto& u : l) all.push_back(u);
  for (auto& u : all) request_stop(*u, force);
}

}  // namespace endure::python
