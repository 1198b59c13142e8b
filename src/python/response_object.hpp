// python::response_object: `_endure.Response`, the C base of locust's Response. It owns the C++
// client::response and creates the Python values (content, url, reason, headers, error text) only
// when user code reads them. It never switches greenlets and never touches the engine.
#pragma once
#include "python/py_ref.hpp"

#include <cstdint>

#include "client/session.hpp"
#include "rules/naming.hpp"

namespace endure::python {

// Creates the type (once, with the GIL held); nullptr with a Python error set on failure.
PyTypeObject* response_type();

// A new instance of cls (response_type() or a subclass of it) that takes over r. method and name
// are borrowed (the instance keeps its own references).
PyObject* make_response(PyTypeObject* cls, client::response&& r, PyObject* method, PyObject* name,
                        int64_t start_ns, int64_t done_ns, rules::flavor f);

// Locust's verdict for a response (rules::verdict): None for a success, else the failure text its
// client records (the final URL in an HTTPError). manual: None (no mark, the default rule), True
// (response.success()) or the text of response.failure(...).
PyObject* failure_text(PyObject* response, PyObject* manual);

}  // namespace endure::python
