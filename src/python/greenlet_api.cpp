#include "python/greenlet_api.hpp"

// greenlet's header is C: its macros cast through void** with C-style casts.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wpedantic"
#include <greenlet/greenlet.h>

namespace endure::python::gl {

namespace {
PyGreenlet* as_greenlet(PyObject* o) { return reinterpret_cast<PyGreenlet*>(o); }
}  // namespace

bool import() {
  PyGreenlet_Import();
  return _PyGreenlet_API != nullptr;
}

PyObject* current() { return reinterpret_cast<PyObject*>(PyGreenlet_GetCurrent()); }

PyObject* make(PyObject* run, PyObject* parent) {
  return reinterpret_cast<PyObject*>(PyGreenlet_New(run, as_greenlet(parent)));
}

PyObject* switch_to(PyObject* g, PyObject* args) {
  return PyGreenlet_Switch(as_greenlet(g), args, nullptr);
}

bool is_active(PyObject* g) { return PyGreenlet_ACTIVE(as_greenlet(g)) != 0; }
bool is_started(PyObject* g) { return PyGreenlet_STARTED(as_greenlet(g)) != 0; }
bool is_dead(PyObject* g) {
  // A finished greenlet keeps its "started" mark and loses "active".
  return PyGreenlet_STARTED(as_greenlet(g)) != 0 && PyGreenlet_ACTIVE(as_greenlet(g)) == 0;
}

PyObject* throw_into(PyObject* g, PyObject* exc) {
  PyObject* tb = PyException_GetTraceback(exc);
  PyObject* r = PyGreenlet_Throw(as_greenlet(g), reinterpret_cast<PyObject*>(Py_TYPE(exc)), exc, tb);
  Py_XDECREF(tb);
  return r;
}

PyObject* exit_type() { return PyExc_GreenletExit; }

}  // namespace endure::python::gl
#pragma GCC diagnostic pop
