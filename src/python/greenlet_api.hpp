// python::gl: the few greenlet C-API calls the hub needs, behind plain functions (greenlet's header
// keeps its API table per translation unit, so it is included in greenlet_api.cpp only).
// Call import() once, with the GIL held, after the interpreter started.
#pragma once
#include "python/py_ref.hpp"

namespace endure::python::gl {

bool import();                       // false (Python error set) when greenlet is missing
PyObject* current();                 // new reference to the running greenlet
PyObject* make(PyObject* run, PyObject* parent);  // new greenlet (new reference) or nullptr
// Switches into g with args (a tuple or nullptr); returns what the next switch back passes.
PyObject* switch_to(PyObject* g, PyObject* args);
bool is_active(PyObject* g);         // started and not yet finished
bool is_started(PyObject* g);
bool is_dead(PyObject* g);           // started and finished
// Switches into g by raising exc (an exception instance) where it waits; as switch_to.
PyObject* throw_into(PyObject* g, PyObject* exc);
PyObject* exit_type();               // greenlet.GreenletExit (borrowed)

}  // namespace endure::python::gl
