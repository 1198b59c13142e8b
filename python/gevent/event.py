"""gevent.event: Event and AsyncResult for greenlets on endure's hub."""
import time

from ._hub import Waiters, can_yield


class Event:
    def __init__(self):
        self._flag = False
        self._waiters = Waiters()

    def is_set(self):
        return self._flag

    isSet = is_set  # noqa: N815 (gevent's alias)
    ready = is_set

    def set(self):
        self._flag = True
        self._waiters.notify_all()

    def clear(self):
        self._flag = False

    def wait(self, timeout=None):
        """True once set; False when timeout (seconds) passed first."""
        if self._flag or not can_yield():
            return self._flag
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._flag:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                break
            self._waiters.wait(left)
        return self._flag


class AsyncResult:
    """A value (or an exception) that one greenlet sets and others wait for."""

    def __init__(self):
        self._event = Event()
        self.value = None
        self._exception = None

    def ready(self):
        return self._event.is_set()

    def successful(self):
        return self.ready() and self._exception is None

    @property
    def exception(self):
        return self._exception

    def set(self, value=None):
        self.value = value
        self._event.set()

    def set_exception(self, exception, exc_info=None):
        self._exception = exception
        self._event.set()

    def get(self, block=True, timeout=None):
        if not self.ready() and block:
            self._event.wait(timeout)
        if not self.ready():
            from .timeout import Timeout
            raise Timeout(timeout)
        if self._exception is not None:
            raise self._exception
        return self.value

    def get_nowait(self):
        return self.get(block=False)

    def wait(self, timeout=None):
        self._event.wait(timeout)
        return self.value

    def __call__(self, source):
        """As a link callback: takes the result of a finished Greenlet."""
        if source.successful():
            self.set(source.value)
        else:
            self.set_exception(source.exception)
