// python::endure_module: the built-in extension module `_endure` through which endure's locust
// package reaches the C++ engine (requests, sleeps, statistics). Every function that may switch
// greenlets is a raw CPython function; no C++ exception crosses into Python.
#pragma once
#include "python/py_ref.hpp"

namespace endure::python {

// For PyImport_AppendInittab("_endure", ...), before the interpreter starts.
PyObject* init_endure_module();

}  // namespace endure::python
