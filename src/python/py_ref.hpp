// python::py_ref: an owning reference to a CPython object (RAII for Py_INCREF/Py_DECREF).
// Only for code that holds the GIL; never destroy one on a thread that does not hold it.
#pragma once
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <utility>

namespace endure::python {

class py_ref {
 public:
  py_ref() = default;
  explicit py_ref(PyObject* owned) : p_(owned) {}  // steals the reference
  static py_ref borrow(PyObject* o) {
    Py_XINCREF(o);
    return py_ref(o);
  }
  ~py_ref() { Py_XDECREF(p_); }
  py_ref(py_ref&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  py_ref& operator=(py_ref&& o) noexcept {
    if (this != &o) {
      Py_XDECREF(p_);
      p_ = std::exchange(o.p_, nullptr);
    }
    return *this;
  }
  py_ref(const py_ref&) = delete;
  py_ref& operator=(const py_ref&) = delete;

  PyObject* get() const { return p_; }
  PyObject* release() { return std::exchange(p_, nullptr); }
  explicit operator bool() const { return p_ != nullptr; }

 private:
  PyObject* p_ = nullptr;
};

}  // namespace endure::python
