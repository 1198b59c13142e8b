"""FastHttpUser: in endure the same C++ client as HttpUser (both are fast), with Locust's
FastHttpUser naming (the URL as written) and failure texts (BadStatusCode), and rest()/rest_()."""
import re
import time
import traceback
from contextlib import contextmanager
from json import JSONDecodeError

from ..clients import HttpSession
from ..clients import Response as FastResponse  # noqa: F401
from ..clients import ResponseContextManager
from ..user.users import HttpUser


class FastHttpSession(HttpSession):
    _fast = True


class RestResponseContextManager(ResponseContextManager):
    """What rest() yields: a catch_response response with its JSON body as `js`."""

    __slots__ = ()


_frame_line = re.compile(r'\s*File "([^"]+)", line (\d+), in (.+)')


class FastHttpUser(HttpUser):
    abstract = True
    network_timeout = 60.0
    connection_timeout = 60.0
    max_redirects = 5
    max_retries = 1
    insecure = True
    default_headers = None
    concurrency = 10
    client_pool = None
    ssl_context_factory = None
    _session_class = FastHttpSession

    @contextmanager
    def rest(self, method, url, headers=None, **kwargs):
        """A JSON request with catch_response=True: the parsed body is resp.js (a body that is not
        JSON fails the request), JSON Content-Type and Accept by default, and an exception in the
        block fails the request instead of leaving the task (an assertion's message is the
        failure; a message ending in ',' gets the start of the response appended)."""
        headers = dict(headers or {})
        if not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = "application/json"
        if not any(k.lower() == "accept" for k in headers):
            headers["Accept"] = "application/json"
        with self.client.request(method, url, catch_response=True, headers=headers, **kwargs) as r:
            r.__class__ = RestResponseContextManager
            r.js = None
            text = r.text
            if r._error_text is not None and not text:
                elapsed = round(r._response_time_ms() / 1000, 1)
                r.failure(f"response body None, error {r.error}, response code {r.status_code}, "
                          f"response time ~{elapsed}s")
            elif text:
                try:
                    r.js = r.json()
                except JSONDecodeError as e:
                    r.failure(f"Could not parse response as JSON. {text[:250]}, response code "
                              f"{r.status_code}, error {e}")
            try:
                yield r
            except AssertionError as e:
                if e.args:
                    message = str(e.args[0])
                    if message.endswith(","):
                        short = text[:200] if text else text
                        r.failure(f"{message[:-1]}, response was {short}")
                    else:
                        r.failure(message)
                else:
                    r.failure("Assertion failed")
            except Exception as e:  # noqa: B902: Locust's rule: the request fails, the task goes on
                where = []
                for line in traceback.format_exc().split("\n"):
                    m = _frame_line.match(line)
                    if m:
                        where.append(f"{m.group(1)}:{m.group(2)} in {m.group(3)}")
                short = text[:200] if text else text
                r.failure(f"{type(e).__name__}: {e} at {', '.join(where)}. Response was {short}")

    @contextmanager
    def rest_(self, method, url, name=None, **kwargs):
        """rest() with a _=<milliseconds> query parameter against caches; named without it."""
        separator = "&" if "?" in url else "?"
        if name is None:
            name = url + separator + "_=..."
        with self.rest(method, f"{url}{separator}_={int(time.time() * 1000)}", name=name,
                       **kwargs) as resp:
            yield resp
