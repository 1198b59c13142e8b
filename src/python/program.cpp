#include "python/program.hpp"

#include <cstdlib>
#include <filesystem>

#include "base/duration.hpp"
#include "base/log.hpp"
#include "python/endure_module.hpp"
#include "python/greenlet_api.hpp"
#include "python/hub.hpp"
#include "python/py_ref.hpp"
#include "python/python_shard.hpp"

#ifndef ENDURE_PYTHON_DIR
#define ENDURE_PYTHON_DIR ""
#endif

namespace fs = std::filesystem;

namespace endure::python {
namespace {

// Holds the GIL on the calling thread (after initialization the main thread runs without it).
struct gil {
  PyGILState_STATE st = PyGILState_Ensure();
  gil() = default;
  ~gil() { PyGILState_Release(st); }
  gil(const gil&) = delete;
  gil& operator=(const gil&) = delete;
};

// repr(o), as Python shows a value in a message ("'soon'").
std::string repr_of(PyObject* o) {
  if (!o) return {};
  py_ref s(PyObject_Repr(o));
  const char* c = s ? PyUnicode_AsUTF8(s.get()) : nullptr;
  if (!c) {
    PyErr_Clear();
    return {};
  }
  return c;
}

std::string str_of(PyObject* o) {
  if (!o) return {};
  py_ref s(PyObject_Str(o));
  const char* c = s ? PyUnicode_AsUTF8(s.get()) : nullptr;
  if (!c) {
    PyErr_Clear();
    return {};
  }
  return c;
}

// The pending Python error as one line (its str), cleared.
std::string take_error() {
  PyObject *t = nullptr, *v = nullptr, *tb = nullptr;
  PyErr_Fetch(&t, &v, &tb);
  PyErr_NormalizeException(&t, &v, &tb);
  std::string type = t ? str_of(PyObject_GetAttrString(t, "__name__")) : "";
  PyErr_Clear();
  std::string msg = type + ": " + str_of(v);
  Py_XDECREF(t);
  Py_XDECREF(v);
  Py_XDECREF(tb);
  return msg;
}

std::string python_dir(const load_options& opts) {
  if (!opts.python_dir.empty()) return opts.python_dir;
  if (const char* e = std::getenv("ENDURE_PYTHON_DIR"); e && *e) return e;
  return ENDURE_PYTHON_DIR;
}

bool initialized = false;

base::result<base::unit> start_interpreter(const std::string& pydir) {
  if (initialized) return base::unit{};
  if (!fs::is_directory(pydir + "/locust"))
    return base::make_error("endure's Python package is missing: no '" + pydir +
                            "/locust' (set ENDURE_PYTHON_DIR to the directory holding it)");
  if (PyImport_AppendInittab("_endure", &init_endure_module) != 0)
    return base::make_error("cannot register the _endure module");
  PyConfig config;
  PyConfig_InitPythonConfig(&config);
  config.parse_argv = 0;
  config.install_signal_handlers = 0;  // SIGINT/SIGTERM belong to the runner
  PyStatus status = PyConfig_SetString(&config, &config.program_name, L"/usr/bin/python3.11");
  if (!PyStatus_Exception(status)) status = Py_InitializeFromConfig(&config);
  PyConfig_Clear(&config);
  if (PyStatus_Exception(status))
    return base::make_error(std::string("cannot start Python 3.11: ") +
                            (status.err_msg ? status.err_msg : "unknown error"));
  initialized = true;
  if (!gl::import()) {
    std::string e = take_error();
    PyEval_SaveThread();
    return base::make_error("Python's greenlet module is missing (install python3-greenlet): " + e);
  }
  PyObject* path = PySys_GetObject("path");  // borrowed
  py_ref dir(PyUnicode_FromString(pydir.c_str()));
  if (path && dir) PyList_Insert(path, 0, dir.get());
  PyErr_Clear();
  PyEval_SaveThread();  // from here on every Python call takes the GIL (the hub thread holds it)
  return base::unit{};
}

}  // namespace

bool is_python_spec(const std::vector<std::string>& files) {
  if (files.empty()) return false;
  for (const auto& f : files)
    if (!f.ends_with(".py")) return false;
  return true;
}

struct program::impl {
  hub_config config;
  py_ref hub_module;
  std::vector<py_ref> class_refs;
  python_shard* shard = nullptr;  // the run's shard (set by the factory)
  std::shared_ptr<std::atomic<bool>> shard_finished;
  int exit_code = 0;  // Locust's exit code, set by finish()
};

program::~program() {
  if (!impl_ || !initialized) return;
  // Python objects live as long as the process: the interpreter is never finalized (abandoned
  // greenlets may still reference them), so references are released without the ceremony.
  gil g;
  impl_->class_refs.clear();
  impl_->hub_module = py_ref();
}

base::result<std::unique_ptr<program>> program::load(const std::vector<std::string>& files,
                                                     const load_options& opts) {
  if (auto r = start_interpreter(python_dir(opts)); !r) return r.err();
  gil g;
  py_ref mod(PyImport_ImportModule("locust._hub"));
  if (!mod) return base::make_error("cannot import endure's locust package: " + take_error());
  py_ref paths(PyList_New(0));
  for (const auto& f : files) {
    py_ref s(PyUnicode_FromString(f.c_str()));
    PyList_Append(paths.get(), s.get());
  }
  py_ref res(PyObject_CallMethod(mod.get(), "load", "O", paths.get()));
  if (!res) return base::make_error("loading the locustfile failed: " + take_error());
  if (PyObject* err = PyDict_GetItemString(res.get(), "error"))  // borrowed
    return base::make_error(str_of(err));

  std::unique_ptr<program> p(new program());
  p->impl_ = std::make_unique<impl>();
  auto& im = *p->impl_;
  im.config.make_user = PyObject_GetAttrString(mod.get(), "make_user");
  im.config.run_user = PyObject_GetAttrString(mod.get(), "run_user");
  im.config.resume_user = PyObject_GetAttrString(mod.get(), "resume_user");
  im.config.fire_event = PyObject_GetAttrString(mod.get(), "fire_runner_event");
  im.config.on_start = PyObject_GetAttrString(mod.get(), "hub_started");
  if (!im.config.make_user || !im.config.run_user || !im.config.resume_user ||
      !im.config.fire_event || !im.config.on_start)
    return base::make_error("endure's locust package is incomplete: " + take_error());
  im.hub_module = std::move(mod);

  PyObject* classes = PyDict_GetItemString(res.get(), "classes");  // borrowed list of dicts
  for (Py_ssize_t i = 0; classes && i < PyList_Size(classes); ++i) {
    PyObject* c = PyList_GetItem(classes, i);
    engine::user_class uc;
    uc.name = str_of(PyDict_GetItemString(c, "name"));
    uc.weight = static_cast<int>(PyLong_AsLong(PyDict_GetItemString(c, "weight")));
    uc.fixed_count = static_cast<int>(PyLong_AsLong(PyDict_GetItemString(c, "fixed_count")));
    if (PyObject* r = PyDict_GetItemString(c, "arrival_rate"); r && r != Py_None) {
      // A number of arrivals per second, or a text with --arrival-rate's grammar ("300/m").
      auto rate = PyUnicode_Check(r) ? base::parse_rate(str_of(r)) : base::result<double>(PyFloat_AsDouble(r));
      if (!rate || !(*rate > 0))
        return base::make_error(uc.name + ".arrival_rate = " + repr_of(r) +
                                ": expected a rate such as 5, '5/s', '300/m' or '1000/h', above zero");
      uc.arrival_rate = *rate;
    }
    if (PyObject* r = PyDict_GetItemString(c, "session_length"); r && r != Py_None) {
      // A text with --session-length's grammar ("20m..60m", "30m"), or (min, max) in ms.
      int64_t lo = 0, hi = 0;
      bool ok = true;
      if (PyUnicode_Check(r)) {
        const std::string text = str_of(r);
        const auto dots = text.find("..");
        auto a = base::parse_duration(text.substr(0, dots));
        auto b = base::parse_duration(dots == std::string::npos ? text.substr(0, dots) : text.substr(dots + 2));
        ok = a && b;
        if (ok) lo = a->count(), hi = b->count();
      } else if (PyTuple_Check(r) && PyTuple_Size(r) == 2) {
        lo = PyLong_AsLongLong(PyTuple_GetItem(r, 0));
        hi = PyLong_AsLongLong(PyTuple_GetItem(r, 1));
      }
      if (!ok || lo <= 0 || hi < lo)
        return base::make_error(uc.name + ".session_length = " + repr_of(r) +
                                ": expected a range such as '20m..60m', a duration such as '30m', or "
                                "(min_seconds, max_seconds), above zero, the first not above the second");
      uc.session_min_ms = lo;
      uc.session_max_ms = hi;
    }
    uc.host = str_of(PyDict_GetItemString(c, "host"));
    uc.needs_host = PyObject_IsTrue(PyDict_GetItemString(c, "needs_host")) == 1;
    PyObject* cls = PyDict_GetItemString(c, "cls");
    im.class_refs.push_back(py_ref::borrow(cls));
    uc.handle = cls;
    p->classes_.push_back(std::move(uc));
  }
  PyErr_Clear();
  PyObject* shapes = PyDict_GetItemString(res.get(), "shapes");
  for (Py_ssize_t i = 0; shapes && i < PyList_Size(shapes); ++i)
    p->shapes_.push_back(str_of(PyList_GetItem(shapes, i)));
  return p;
}

nlohmann::ordered_json program::task_ratio(const std::vector<std::string>& class_names) const {
  gil g;
  py_ref names(PyList_New(0));
  for (const auto& n : class_names) {
    py_ref s(PyUnicode_FromString(n.c_str()));
    PyList_Append(names.get(), s.get());
  }
  py_ref r(PyObject_CallMethod(impl_->hub_module.get(), "task_ratio_locust_json", "O", names.get()));
  if (!r) {
    base::log_error("python", "task ratio: " + take_error());
    return nlohmann::ordered_json::object();
  }
  return nlohmann::ordered_json::parse(str_of(r.get()), nullptr, false);
}

std::string program::task_ratio_json(const std::vector<std::string>& class_names) const {
  gil g;
  py_ref names(PyList_New(0));
  for (const auto& n : class_names) {
    py_ref s(PyUnicode_FromString(n.c_str()));
    PyList_Append(names.get(), s.get());
  }
  py_ref r(PyObject_CallMethod(impl_->hub_module.get(), "task_ratio_locust_json", "O", names.get()));
  if (!r) {
    base::log_error("python", "task ratio: " + take_error());
    return "{}";
  }
  return str_of(r.get());
}

base::result<base::unit> program::configure(engine::controller_config& cfg,
                                            const nlohmann::json& parsed_options) {
  if (cfg.threads != 1)
    base::log_info("python", "Python users run on one thread per process (--threads " +
                                 std::to_string(cfg.threads) + " ignored)");
  cfg.threads = 1;
  nlohmann::json o = parsed_options;
  o["tags"] = cfg.shards.tags;
  o["exclude_tags"] = cfg.shards.exclude_tags;
  if (cfg.seed) o["seed"] = *cfg.seed;
  {
    gil g;
    py_ref r(PyObject_CallMethod(impl_->hub_module.get(), "configure", "s", o.dump().c_str()));
    if (!r) return base::make_error("the locustfile's init failed: " + take_error());
  }
  impl* im = impl_.get();
  cfg.make_shard = [im](int, const engine::shard_config& shards) -> std::unique_ptr<engine::user_shard> {
    auto s = std::make_unique<python_shard>(shards, im->config);
    im->shard = s.get();
    im->shard_finished = s->finished();
    return s;
  };
  if (shapes_.size() > 1)
    return base::make_error("more than one LoadTestShape in the locustfile: keep one");
  return base::unit{};
}

engine::shape_fn program::shape() {
  if (shapes_.empty()) return {};
  impl* im = impl_.get();
  {
    // Locust's LoadTestShape drives the users: tick() runs on the runner's control thread with
    // the GIL (the hub releases it whenever it waits for I/O).
    return [im](double run_time_s, uint64_t users) -> std::optional<engine::shape_tick> {
      gil g;
      py_ref r(PyObject_CallMethod(im->hub_module.get(), "shape_tick", "dK", run_time_s,
                                   static_cast<unsigned long long>(users)));
      if (!r) {
        base::log_error("python", "the load shape's tick() failed, the test ends: " + take_error());
        return std::nullopt;
      }
      if (r.get() == Py_None) return std::nullopt;
      engine::shape_tick t;
      t.users = PyLong_AsUnsignedLongLong(PyTuple_GetItem(r.get(), 0));
      t.spawn_rate = PyFloat_AsDouble(PyTuple_GetItem(r.get(), 1));
      PyObject* names = PyTuple_GetItem(r.get(), 2);
      for (Py_ssize_t i = 0; names && i < PyList_Size(names); ++i)
        t.user_classes.emplace_back(PyUnicode_AsUTF8(PyList_GetItem(names, i)));
      return t;
    };
  }
}

base::result<std::vector<engine::custom_option>> program::custom_options() {
  gil g;
  py_ref r(PyObject_CallMethod(impl_->hub_module.get(), "custom_options", nullptr));
  if (!r) return base::make_error("init_command_line_parser failed: " + take_error());
  const char* text = PyUnicode_AsUTF8(r.get());
  std::vector<engine::custom_option> out;
  auto j = nlohmann::json::parse(text ? text : "[]", nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& e : j) {
    engine::custom_option o;
    o.name = e.value("name", "");
    o.is_flag = e.value("is_flag", false);
    o.default_value = e.value("default", "");
    o.help = e.value("help", "");
    o.choices = e.value("choices", std::vector<std::string>{});
    o.type = e.value("type", "");
    out.push_back(std::move(o));
  }
  return out;
}

base::result<base::unit> program::set_custom_options(const std::map<std::string, std::string>& values) {
  gil g;
  py_ref r(PyObject_CallMethod(impl_->hub_module.get(), "set_options", "s", nlohmann::json(values).dump().c_str()));
  if (!r) return base::make_error("the locustfile's options: " + take_error());
  return base::unit{};
}

engine::subscription program::attach(engine::run_bus& bus) {
  impl* im = impl_.get();
  return bus.subscribe([im](const engine::run_item& item) {
    const auto* e = std::get_if<engine::run_event>(&item);
    if (e == nullptr || im->shard == nullptr) return;
    switch (e->kind) {
      case engine::event_kind::test_start: im->shard->fire("test_start", 0); break;
      case engine::event_kind::spawning_complete: im->shard->fire("spawning_complete", e->user_count); break;
      case engine::event_kind::stats_reset: im->shard->fire("reset_stats", 0); break;
      case engine::event_kind::test_stopping: im->shard->fire("test_stopping", 0); break;
      case engine::event_kind::test_stop: im->shard->fire("test_stop", 0); break;
      default: break;
    }
  });
}

int program::finish(int exit_code) {
  impl_->exit_code = exit_code;
  if (impl_->shard_finished && !impl_->shard_finished->load()) {
    // The hub thread is stuck in a task that never yields and holds the GIL: no more Python.
    base::log_warning("python", "quitting and quit listeners skipped: a user is stuck in a task");
    return exit_code;
  }
  gil g;
  impl_->shard = nullptr;
  py_ref r(PyObject_CallMethod(impl_->hub_module.get(), "finish", "i", exit_code));
  if (!r) {
    base::log_error("python", "quit listeners: " + take_error());
    return exit_code;
  }
  long code = PyLong_AsLong(r.get());
  if (code == -1 && PyErr_Occurred()) {
    PyErr_Clear();
    return exit_code;
  }
  impl_->exit_code = static_cast<int>(code);
  return impl_->exit_code;
}

int program::exit_code() const { return impl_->exit_code; }

}  // namespace endure::python
