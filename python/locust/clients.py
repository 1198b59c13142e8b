"""HttpSession (self.client) and its responses, on endure's C++ HTTP client.

One C++ call per request: the request is sent, the greenlet yields to the hub until the response
is complete, and the request is recorded in C++ (unless catch_response=True: then it is recorded
when the `with` block ends, by Locust's rules).
"""
import datetime
import json as _json
import os
import time
import uuid
from collections.abc import MutableMapping
from contextlib import contextmanager

import _endure

from .event import error_text
from .exception import CatchResponseError, LocustError, ResponseError

_request = _endure.request
_build_body = _endure.build_body
_failure_text = _endure.failure_text
_json_dumps = _json.dumps


class CaseInsensitiveDict(MutableMapping):
    """A dict whose keys compare case-insensitively (as requests' headers)."""

    __slots__ = ("_store",)

    def __init__(self, data=None, **kwargs):
        self._store = {}
        if data:
            self.update(data)
        if kwargs:
            self.update(kwargs)

    def __setitem__(self, key, value):
        self._store[key.lower()] = (key, value)

    def __getitem__(self, key):
        return self._store[key.lower()][1]

    def __delitem__(self, key):
        del self._store[key.lower()]

    def __iter__(self):
        return (k for k, _ in self._store.values())

    def __len__(self):
        return len(self._store)

    def __contains__(self, key):
        return isinstance(key, str) and key.lower() in self._store

    def lower_items(self):
        return ((k, v[1]) for k, v in self._store.items())

    def copy(self):
        return CaseInsensitiveDict(self._store.values())

    def __eq__(self, other):
        if isinstance(other, dict):
            other = CaseInsensitiveDict(other)
        if not isinstance(other, CaseInsensitiveDict):
            return NotImplemented
        return dict(self.lower_items()) == dict(other.lower_items())

    def __repr__(self):
        return str(dict(self.items()))


class HTTPError(IOError):
    """raise_for_status() for a status of 400 or more (requests.HTTPError's role)."""

    def __init__(self, *args, response=None):
        super().__init__(*args)
        self.response = response


class RequestException(IOError):
    """A request that got no complete response (connection refused, timeout ...)."""

    def __init__(self, *args, response=None):
        super().__init__(*args)
        self.response = response


class ConnectionError(RequestException):  # noqa: A001 (requests' name)
    pass


class Timeout(RequestException):
    pass


def _error_for(text, response):
    name = text.split(":", 1)[0]
    cls = Timeout if name in ("TimeoutError", "ConnectTimeoutError") else (
        ConnectionError if name.startswith("Connection") or name in ("RemoteDisconnected", "DNSError")
        else RequestException)
    return cls(text, response=response)


class _Request:
    __slots__ = ("method", "url", "headers", "body")

    def __init__(self, method, url, headers, body):
        self.method = method
        self.url = url
        self.headers = CaseInsensitiveDict(headers or ())
        self.body = body

    @property
    def path_url(self):
        rest = self.url.split("://", 1)[-1]
        i = rest.find("/")
        return rest[i:] if i >= 0 else "/"


class Response(_endure.Response):
    """A completed (or failed) request: status_code, text, content, json(), headers ...

    Made by endure's C++ client (the base class): content, url, reason, the header list and the
    error text become Python objects only when first read."""

    __slots__ = ()

    # --- what requests' Response offers ---
    @property
    def headers(self):
        h = self._headers
        if h is None:
            h = CaseInsensitiveDict()
            for k, v in self._raw_headers:
                h[k] = h[k] + ", " + v if k in h else v
            self._headers = h
        return h

    @property
    def text(self):
        return self.content.decode(self.encoding or self._charset() or "utf-8", "replace")

    def _charset(self):
        for k, v in self._raw_headers:
            if k.lower() == "content-type":
                for part in v.split(";")[1:]:
                    key, _, val = part.strip().partition("=")
                    if key.lower() == "charset":
                        return val.strip("\"' ")
        return None

    @property
    def apparent_encoding(self):
        return self._charset() or "utf-8"

    def json(self, **kwargs):
        return _json.loads(self.content, **kwargs)

    @property
    def ok(self):
        return self._error_text is None and 0 < self.status_code < 400

    def __bool__(self):
        return self.ok

    @property
    def error(self):
        """The transport error as an exception (None when a response arrived)."""
        if self._error_text is None:
            return None
        if self._error is None:
            self._error = _error_for(self._error_text, self)
        return self._error

    @error.setter
    def error(self, value):
        self._error = value
        self._error_text = None if value is None else error_text(value)

    @property
    def elapsed(self):
        return datetime.timedelta(microseconds=(self._done_ns - self._start_ns) / 1000.0)

    @property
    def cookies(self):
        jar = {}
        for k, v in self._raw_headers:
            if k.lower() == "set-cookie":
                pair = v.split(";", 1)[0]
                name, _, value = pair.partition("=")
                jar[name.strip()] = value.strip()
        return jar

    @property
    def request(self):
        return self._request or _Request(self._method, self.url, None, None)

    @property
    def status(self):
        return self.status_code

    @property
    def is_redirect(self):
        return self.status_code in (301, 302, 303, 307, 308) and "location" in self.headers

    def raise_for_status(self):
        if self._error_text is not None:
            raise self.error
        if self.status_code >= 400:
            kind = "Server Error" if self.status_code >= 500 else "Client Error"
            raise HTTPError(f"{self.status_code} {kind}: {self.reason} for url: {self.url}",
                            response=self)

    def iter_content(self, chunk_size=1, decode_unicode=False):
        data = self.text if decode_unicode else self.content
        step = chunk_size or len(data) or 1
        for i in range(0, len(data), step):
            yield data[i:i + step]

    def iter_lines(self, chunk_size=512, decode_unicode=False, delimiter=None):
        data = self.text if decode_unicode else self.content
        yield from (data.split(delimiter) if delimiter else data.splitlines())

    def close(self):
        pass

    def __repr__(self):
        return f"<Response [{self.status_code}]>"

    # --- endure ---
    def _response_time_ms(self):
        return (self._done_ns - self._start_ns) / 1e6

    def _default_error(self):
        """What Locust records for this response by default (None: a success)."""
        return _failure_text(self, None)

    def _default_exception(self):
        """The exception Locust's client raises for it (what request listeners receive)."""
        if self._error_text is not None:
            return self.error
        if self.status_code >= 400:
            kind = "Server Error" if self.status_code >= 500 else "Client Error"
            return HTTPError(f"{self.status_code} {kind}: {self.reason} for url: {self.url}",
                             response=self)
        return None


class ResponseContextManager(Response):
    """A response from catch_response=True: decide with success() / failure(); it is recorded when
    the `with` block ends. An exception inside the block: a ResponseError fails the request, any
    other exception is not recorded as a request and propagates (Locust's rules)."""

    __slots__ = ("_manual_result", "_entered", "_event", "_context", "_reported", "js")

    def __enter__(self):
        self._entered = True
        return self

    def __exit__(self, exc, value, tb):
        manual = self._manual_result
        if manual is None and exc:
            if not isinstance(value, ResponseError):
                return False  # not a request result: the exception goes on (Locust's rule)
            manual = value
        # Locust's verdict (rules::verdict): a manual mark wins, else a transport error, else a
        # status of 400 or more.
        if manual is True:
            self._report(None, _failure_text(self, True))
        elif manual is not None:
            self._report(manual, _failure_text(self, error_text(manual)))
        else:
            text = _failure_text(self, None)
            self._report(None if text is None else self._default_exception(), text)
        return exc is None or self._manual_result is None

    def success(self):
        if not self._entered:
            raise LocustError("Tried to set status on a request that has not yet been made. Make "
                              "sure to use a with-statement when using catch_response=True")
        self._manual_result = True

    def failure(self, exc):
        if not self._entered:
            raise LocustError("Tried to set status on a request that has not yet been made. Make "
                              "sure to use a with-statement when using catch_response=True")
        if isinstance(exc, str):
            exc = CatchResponseError(exc)
        self._manual_result = exc

    def _report(self, exception, text):
        if self._reported:
            return
        self._reported = True
        _endure.record(self._method, self._name, (self._done_ns - self._start_ns) / 1000.0,
                       self._length, text)
        event = self._event
        if event is not None and event._handlers:
            event._notify(request_type=self._method, name=self._name,
                          response_time=self._response_time_ms(), response_length=self._length,
                          response=self, context=self._context, exception=exception,
                          start_time=time.time() - self._response_time_ms() / 1000.0, url=self.url)


def _pairs(obj):
    if obj is None:
        return None
    items = obj.items() if hasattr(obj, "items") else obj
    out = []
    for k, v in items:
        if isinstance(v, (list, tuple)):
            out += [(str(k), str(x)) for x in v]
        else:
            out.append((str(k), v if isinstance(v, (str, bytes)) else str(v)))
    return out


def _file_parts(files):
    """files= (a dict or pairs of field -> file, content or (filename, content[, type])) as
    (field, filename, content bytes, content type) tuples."""
    out = []
    items = files.items() if hasattr(files, "items") else files
    for field, spec in items:
        ctype = None
        if isinstance(spec, (tuple, list)):
            filename, content = spec[0], spec[1]
            if len(spec) > 2:
                ctype = spec[2]
        else:
            content = spec
            filename = os.path.basename(getattr(spec, "name", field) or field)
        if hasattr(content, "read"):
            content = content.read()
        if isinstance(content, str):
            content = content.encode()
        out.append((str(field), filename, content, ctype))
    return out


def _body(data, files, json):
    """(body bytes or None, default Content-Type or None) by requests' rules (rules::build_body)."""
    json_text = None if json is None else _json_dumps(json)
    form = raw = None
    if data is not None:
        if isinstance(data, (str, bytes)):
            raw = data
        elif hasattr(data, "read"):
            raw = data.read()
        else:
            form = _pairs(data)
            form = [(k, v if isinstance(v, (str, bytes)) else str(v)) for k, v in form]
    return _build_body(json_text, form, raw, _file_parts(files) if files else None,
                       uuid.uuid4().hex if files else "")


class SessionCookies(MutableMapping):
    """client.cookies: the session's cookie jar (name -> value; set() takes domain and path)."""

    __slots__ = ("_session",)

    def __init__(self, session):
        self._session = session

    def __getitem__(self, name):
        v = _endure.cookie_get(self._session, name)
        if v is None:
            raise KeyError(name)
        return v

    def __setitem__(self, name, value):
        self.set(name, value)

    def __delitem__(self, name):
        if not _endure.cookie_erase(self._session, name):
            raise KeyError(name)

    def __iter__(self):
        return iter([c[0] for c in _endure.cookie_items(self._session)])

    def __len__(self):
        return len(_endure.cookie_items(self._session))

    def set(self, name, value, domain="", path="/", **kwargs):
        if value is None:
            _endure.cookie_erase(self._session, name)
        else:
            _endure.cookie_set(self._session, name, str(value), domain or "", path or "/")

    def clear(self, domain=None, path=None, name=None):
        if name is not None:
            _endure.cookie_erase(self._session, name)
        else:
            _endure.cookie_clear(self._session)

    def get_dict(self, domain=None, path=None):
        return {c[0]: c[1] for c in _endure.cookie_items(self._session)
                if (domain is None or c[2] == domain) and (path is None or c[3] == path)}

    def __repr__(self):
        return f"<SessionCookies {self.get_dict()}>"


class HttpSession:
    """self.client of an HttpUser: requests-like methods, one keep-alive connection per host."""

    _patched = False
    _fast = False  # FastHttpUser's naming and failure texts (see rules::flavor)

    def __init__(self, base_url, request_event=None, user=None, *args, **kwargs):
        self.base_url = base_url or ""
        self._session = _endure.new_session(self.base_url, self._fast)
        self.request_event = request_event
        self.user = user
        self.request_name = None
        self.headers = CaseInsensitiveDict()
        self.cookies = SessionCookies(self._session)
        self.auth = None
        self.verify = True
        self.params = {}
        self.proxies = {}
        self.trust_env = False
        self.max_redirects = 30

    @contextmanager
    def rename_request(self, name):
        """Groups every request inside the block under `name`."""
        previous = self.request_name
        self.request_name = name
        try:
            yield
        finally:
            self.request_name = previous

    def request(self, method, url, name=None, catch_response=False, context=None, params=None,
                data=None, headers=None, cookies=None, files=None, auth=None, timeout=None,
                allow_redirects=True, proxies=None, hooks=None, stream=None, verify=None,
                cert=None, json=None, **kwargs):
        method = method.upper()
        if name is None:
            name = self.request_name
        if self.params:
            merged = dict(self.params)
            if params:
                merged.update(params)
            params = merged
        params = _pairs(params)
        if data is None and json is None and not files:
            body = ctype = None
        else:
            body, ctype = _body(data, files, json)
        hdrs = None
        if self.headers or headers or ctype:
            h = self.headers.copy() if self.headers else CaseInsensitiveDict()
            if headers:
                for k, v in headers.items():
                    if v is None:
                        h.pop(k, None)
                    else:
                        h[k] = v
            if ctype and "content-type" not in h:
                h["Content-Type"] = ctype
            hdrs = [(k, v if isinstance(v, (str, bytes)) else str(v)) for k, v in h.items()]
        if auth is None:
            auth = self.auth
        if auth is not None and not isinstance(auth, tuple):
            auth = (auth.username, auth.password)
        if isinstance(timeout, tuple):
            timeout = sum(t for t in timeout if t is not None)
        if verify is None and self.verify is not True:
            verify = self.verify
        if verify is not None:
            verify = bool(verify)
        cookie_pairs = _pairs(cookies)
        if catch_response:
            r = _request(self._session, ResponseContextManager, method, url, name, True, hdrs,
                         params, body, timeout, allow_redirects, verify, auth, cookie_pairs)
            r._manual_result = None
            r._entered = False
            r._event = self.request_event
            r._context = context or {}
            r._reported = False
            return r
        response = _request(self._session, Response, method, url, name, False, hdrs, params, body,
                            timeout, allow_redirects, verify, auth, cookie_pairs)
        event = self.request_event
        if event is not None and event._handlers:
            _notify(event, response, context)
        return response

    def _plain(self, method, url):
        """request(method, url) with no options: the common case, without request()'s work
        when the session sets nothing either (no default headers, params, auth or verify)."""
        h = self.headers
        if (self.params or self.auth is not None or self.verify is not True
                or (h._store if type(h) is CaseInsensitiveDict else h)):
            return self.request(method, url)
        response = _request(self._session, Response, method, url, self.request_name, False, None,
                            None, None, None, True, None, None, None)
        event = self.request_event
        if event is not None and event._handlers:
            _notify(event, response, None)
        return response

    def __setattr__(self, name, value):
        if name == "request":  # self.client.request = wrapper: get() and friends must call it
            object.__setattr__(self, "_patched", True)
        object.__setattr__(self, name, value)

    def get(self, url, **kwargs):
        # _plain("GET", url) written out: GET without options is the hot path of most locustfiles.
        h = self.headers
        if (kwargs or self._patched or type(self).request is not _base_request or self.params
                or self.auth is not None or self.verify is not True
                or (h._store if type(h) is CaseInsensitiveDict else h)):
            return self.request("GET", url, **kwargs)
        response = _request(self._session, Response, "GET", url, self.request_name, False, None,
                            None, None, None, True, None, None, None)
        event = self.request_event
        if event is not None and event._handlers:
            _notify(event, response, None)
        return response

    def post(self, url, data=None, json=None, **kwargs):
        return self.request("POST", url, data=data, json=json, **kwargs)

    def put(self, url, data=None, **kwargs):
        return self.request("PUT", url, data=data, **kwargs)

    def patch(self, url, data=None, **kwargs):
        return self.request("PATCH", url, data=data, **kwargs)

    def delete(self, url, **kwargs):
        if kwargs or self._patched or type(self).request is not _base_request:
            return self.request("DELETE", url, **kwargs)
        return self._plain("DELETE", url)

    def head(self, url, **kwargs):
        kwargs.setdefault("allow_redirects", False)
        return self.request("HEAD", url, **kwargs)

    def options(self, url, **kwargs):
        if kwargs or self._patched or type(self).request is not _base_request:
            return self.request("OPTIONS", url, **kwargs)
        return self._plain("OPTIONS", url)

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *args):
        pass


_base_request = HttpSession.request


def _notify(event, response, context):
    """Calls the request event's listeners for a request endure has already recorded."""
    exception = response._default_exception()
    rt = response._response_time_ms()
    event._notify(request_type=response._method, name=response._name, response_time=rt,
                  response_length=response._length, response=response, context=context or {},
                  exception=exception, start_time=time.time() - rt / 1000.0, url=response.url)
