#include "python/response_object.hpp"

#include <structmember.h>

#include <cstddef>
#include <new>
#include <utility>

#include "rules/outcome.hpp"

namespace endure::python {
namespace {

// Standard layout (offsetof for the member table): the C++ response lives in raw storage.
struct response_object {
  PyObject_HEAD
  PyObject* weaklist;
  PyObject* status;       // int (settable: status_code)
  PyObject* method;       // str
  PyObject* name;         // str (statistics name)
  PyObject* content;      // bytes, made on first read
  PyObject* url;          // str, made on first read
  PyObject* reason;       // str, made on first read
  PyObject* raw_headers;  // [(name, value)], made on first read
  PyObject* error_text;   // None or str, made on first read
  PyObject* history;      // [], made on first read
  PyObject* encoding;     // members read as None while unset
  PyObject* error;
  PyObject* headers;
  PyObject* request;
  long long start_ns;
  long long done_ns;
  unsigned long long length;
  int flavor;  // rules::flavor of the session that made it
  alignas(client::response) unsigned char storage[sizeof(client::response)];
};

response_object* self_of(PyObject* o) { return reinterpret_cast<response_object*>(o); }
client::response& resp_of(response_object* o) {
  return *std::launder(reinterpret_cast<client::response*>(o->storage));
}

PyTypeObject* g_type = nullptr;

PyObject* alloc(PyTypeObject* cls) {
  PyObject* o = cls->tp_alloc(cls, 0);  // zero-filled, GC-tracked
  if (!o) return nullptr;
  new (self_of(o)->storage) client::response();
  return o;
}

PyObject* response_new(PyTypeObject* cls, PyObject*, PyObject*) {
  PyObject* o = alloc(cls);
  if (!o) return nullptr;
  self_of(o)->status = PyLong_FromLong(0);
  return o;
}

int response_traverse(PyObject* o, visitproc visit, void* arg) {
  response_object* s = self_of(o);
  Py_VISIT(Py_TYPE(o));
  Py_VISIT(s->status);
  Py_VISIT(s->method);
  Py_VISIT(s->name);
  Py_VISIT(s->content);
  Py_VISIT(s->url);
  Py_VISIT(s->reason);
  Py_VISIT(s->raw_headers);
  Py_VISIT(s->error_text);
  Py_VISIT(s->history);
  Py_VISIT(s->encoding);
  Py_VISIT(s->error);
  Py_VISIT(s->headers);
  Py_VISIT(s->request);
  return 0;
}

int response_clear(PyObject* o) {
  response_object* s = self_of(o);
  Py_CLEAR(s->status);
  Py_CLEAR(s->method);
  Py_CLEAR(s->name);
  Py_CLEAR(s->content);
  Py_CLEAR(s->url);
  Py_CLEAR(s->reason);
  Py_CLEAR(s->raw_headers);
  Py_CLEAR(s->error_text);
  Py_CLEAR(s->history);
  Py_CLEAR(s->encoding);
  Py_CLEAR(s->error);
  Py_CLEAR(s->headers);
  Py_CLEAR(s->request);
  return 0;
}

void response_dealloc(PyObject* o) {
  PyTypeObject* tp = Py_TYPE(o);
  PyObject_GC_UnTrack(o);
  response_object* s = self_of(o);
  if (s->weaklist) PyObject_ClearWeakRefs(o);
  response_clear(o);
  resp_of(s).~response();
  tp->tp_free(o);
  Py_DECREF(tp);
}

// A lazily made value: returns a new reference to *slot, making it with make() on first read.
template <class Make>
PyObject* lazy(PyObject*& slot, Make make) {
  if (!slot) {
    slot = make();
    if (!slot) return nullptr;
  }
  Py_INCREF(slot);
  return slot;
}

int set_slot(PyObject*& slot, PyObject* value) {
  Py_XINCREF(value);
  Py_XSETREF(slot, value);
  return 0;
}

PyObject* get_content(PyObject* o, void*) {
  response_object* s = self_of(o);
  return lazy(s->content, [s] {
    std::string& body = resp_of(s).body;
    PyObject* b = PyBytes_FromStringAndSize(body.data(), static_cast<Py_ssize_t>(body.size()));
    if (b) std::string().swap(body);  // the bytes object is the one copy from now on
    return b;
  });
}
int set_content(PyObject* o, PyObject* v, void*) { return set_slot(self_of(o)->content, v); }

PyObject* get_url(PyObject* o, void*) {
  response_object* s = self_of(o);
  return lazy(s->url, [s] {
    const std::string& u = resp_of(s).url;
    return PyUnicode_DecodeUTF8(u.data(), static_cast<Py_ssize_t>(u.size()), "replace");
  });
}
int set_url(PyObject* o, PyObject* v, void*) { return set_slot(self_of(o)->url, v); }

PyObject* get_reason(PyObject* o, void*) {
  response_object* s = self_of(o);
  return lazy(s->reason, [s] {
    const std::string& r = resp_of(s).reason;
    return PyUnicode_DecodeLatin1(r.data(), static_cast<Py_ssize_t>(r.size()), nullptr);
  });
}
int set_reason(PyObject* o, PyObject* v, void*) { return set_slot(self_of(o)->reason, v); }

PyObject* make_header_list(const http::raw_fields& hs) {
  py_ref list(PyList_New(static_cast<Py_ssize_t>(hs.size())));
  if (!list) return nullptr;
  for (size_t i = 0; i < hs.size(); ++i) {
    const std::string_view k = hs.name(i), v = hs.value(i);
    py_ref key(PyUnicode_DecodeUTF8(k.data(), static_cast<Py_ssize_t>(k.size()), "replace"));
    py_ref value(PyUnicode_DecodeUTF8(v.data(), static_cast<Py_ssize_t>(v.size()), nullptr));
    if (!value) {
      PyErr_Clear();  // a header that is not UTF-8: keep its bytes readable
      value = py_ref(PyBytes_FromStringAndSize(v.data(), static_cast<Py_ssize_t>(v.size())));
    }
    if (!key || !value) return nullptr;
    PyObject* t = PyTuple_Pack(2, key.get(), value.get());
    if (!t) return nullptr;
    PyList_SET_ITEM(list.get(), static_cast<Py_ssize_t>(i), t);
  }
  return list.release();
}

PyObject* get_raw_headers(PyObject* o, void*) {
  response_object* s = self_of(o);
  return lazy(s->raw_headers, [s] { return make_header_list(resp_of(s).headers); });
}
int set_raw_headers(PyObject* o, PyObject* v, void*) { return set_slot(self_of(o)->raw_headers, v); }

PyObject* get_error_text(PyObject* o, void*) {
  response_object* s = self_of(o);
  return lazy(s->error_text, [s]() -> PyObject* {
    const std::string& e = resp_of(s).error;
    if (e.empty()) {
      Py_INCREF(Py_None);
      return Py_None;
    }
    return PyUnicode_DecodeUTF8(e.data(), static_cast<Py_ssize_t>(e.size()), "replace");
  });
}
int set_error_text(PyObject* o, PyObject* v, void*) {
  return set_slot(self_of(o)->error_text, v ? v : Py_None);
}

PyObject* get_history(PyObject* o, void*) {
  return lazy(self_of(o)->history, [] { return PyList_New(0); });
}
int set_history(PyObject* o, PyObject* v, void*) { return set_slot(self_of(o)->history, v); }

PyGetSetDef getsets[] = {
    {"content", get_content, set_content, "the body (bytes)", nullptr},
    {"url", get_url, set_url, "the final URL", nullptr},
    {"reason", get_reason, set_reason, "the status line's reason", nullptr},
    {"_raw_headers", get_raw_headers, set_raw_headers, "[(name, value)] as received", nullptr},
    {"_error_text", get_error_text, set_error_text, "the transport error, or None", nullptr},
    {"history", get_history, set_history, "redirect responses (always empty)", nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr}};

PyMemberDef members[] = {
    {"status_code", T_OBJECT, offsetof(response_object, status), 0, nullptr},
    {"_method", T_OBJECT, offsetof(response_object, method), 0, nullptr},
    {"_name", T_OBJECT, offsetof(response_object, name), 0, nullptr},
    {"encoding", T_OBJECT, offsetof(response_object, encoding), 0, nullptr},
    {"_error", T_OBJECT, offsetof(response_object, error), 0, nullptr},
    {"_headers", T_OBJECT, offsetof(response_object, headers), 0, nullptr},
    {"_request", T_OBJECT, offsetof(response_object, request), 0, nullptr},
    {"_start_ns", T_LONGLONG, offsetof(response_object, start_ns), 0, nullptr},
    {"_done_ns", T_LONGLONG, offsetof(response_object, done_ns), 0, nullptr},
    {"_length", T_ULONGLONG, offsetof(response_object, length), 0, nullptr},
    {"_flavor", T_INT, offsetof(response_object, flavor), READONLY, nullptr},
    {"__weaklistoffset__", T_PYSSIZET, offsetof(response_object, weaklist), READONLY, nullptr},
    {nullptr, 0, 0, 0, nullptr}};

template <class F>
void* as_slot(F f) {
  return reinterpret_cast<void*>(f);
}

}  // namespace

PyTypeObject* response_type() {
  if (g_type) return g_type;
  PyType_Slot slots[] = {
      {Py_tp_new, as_slot(&response_new)},
      {Py_tp_dealloc, as_slot(&response_dealloc)},
      {Py_tp_traverse, as_slot(&response_traverse)},
      {Py_tp_clear, as_slot(&response_clear)},
      {Py_tp_getset, getsets},
      {Py_tp_members, members},
      {Py_tp_doc, const_cast<char*>("endure's response: values are made when first read")},
      {0, nullptr}};
  PyType_Spec spec = {"_endure.Response", static_cast<int>(sizeof(response_object)), 0,
                      Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC, slots};
  g_type = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&spec));
  return g_type;
}

PyObject* make_response(PyTypeObject* cls, client::response&& r, PyObject* method, PyObject* name,
                        int64_t start_ns, int64_t done_ns, rules::flavor f) {
  PyObject* o = alloc(cls);
  if (!o) return nullptr;
  response_object* s = self_of(o);
  s->status = PyLong_FromLong(r.status);
  if (!s->status) {
    Py_DECREF(o);
    return nullptr;
  }
  Py_INCREF(method);
  s->method = method;
  Py_INCREF(name);
  s->name = name;
  s->start_ns = start_ns;
  s->done_ns = done_ns;
  s->length = r.content_bytes;
  s->flavor = static_cast<int>(f);
  resp_of(s) = std::move(r);
  return o;
}

PyObject* failure_text(PyObject* o, PyObject* manual) {
  if (!response_type() || !PyObject_TypeCheck(o, response_type())) {
    PyErr_SetString(PyExc_TypeError, "failure_text: expected an _endure.Response");
    return nullptr;
  }
  rules::mark m = rules::mark::none;
  std::string manual_text;
  if (manual == Py_True) {
    m = rules::mark::success;
  } else if (manual && manual != Py_None) {
    m = rules::mark::failure;
    Py_ssize_t n = 0;
    const char* c = PyUnicode_AsUTF8AndSize(manual, &n);
    if (!c) return nullptr;
    manual_text.assign(c, static_cast<size_t>(n));
  }
  response_object* s = self_of(o);
  const client::response& r = resp_of(s);
  // The status as Python sees it now (user code may have set status_code).
  long status = s->status && PyLong_Check(s->status) ? PyLong_AsLong(s->status) : r.status;
  if (status == -1 && PyErr_Occurred()) return nullptr;
  auto text = rules::verdict(m, manual_text, r.error, static_cast<int>(status), r.reason, r.url,
                             static_cast<rules::flavor>(s->flavor));
  if (!text) Py_RETURN_NONE;
  return PyUnicode_DecodeUTF8(text->data(), static_cast<Py_ssize_t>(text->size()), "replace");
}

}  // namespace endure::python
