"""gevent.Timeout: raises in the greenlet that started it when its time is up."""
import _endure
from greenlet import getcurrent


class Timeout(BaseException):
    """with Timeout(seconds): ... raises Timeout (or the exception given) in this greenlet at its
    next wait after `seconds`. seconds None: never. On a thread that cannot switch (outside a
    user or greenlet) the timer never fires."""

    def __init__(self, seconds=None, exception=None, ref=True, priority=-1):
        super().__init__(seconds)
        self.seconds = seconds
        self.exception = exception
        self._greenlet = None
        self._timer = None

    def start(self):
        if self.pending or self.seconds is None or not _endure.can_yield():
            return
        self._greenlet = getcurrent()
        exc = self if self.exception is None else (
            self.exception() if isinstance(self.exception, type) else self.exception)
        from ._greenlet import Greenlet

        def fire():
            _endure.sleep(self.seconds)
            self._timer = None
            if self._greenlet is not None and not self._greenlet.dead:
                _endure.throw(self._greenlet, exc)

        self._timer = Greenlet(fire)
        self._timer.start()

    @classmethod
    def start_new(cls, timeout=None, exception=None, ref=True):
        if isinstance(timeout, Timeout):
            t = timeout
        else:
            t = cls(timeout, exception)
        t.start()
        return t

    @property
    def pending(self):
        return self._timer is not None and not self._timer.dead

    def cancel(self):
        if self._timer is not None and not self._timer.dead:
            self._timer.kill(block=False)
        self._timer = None

    close = cancel

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, typ, value, tb):
        self.cancel()
        return value is self and self.exception is False

    def __str__(self):
        if self.seconds is None:
            return ""
        suffix = "" if self.exception is None else " (%s)" % (self.exception,)
        return "%s second%s%s" % (self.seconds, "" if self.seconds == 1 else "s", suffix)

    def __repr__(self):
        return "<Timeout at 0x%x seconds=%s>" % (id(self), self.seconds)


def with_timeout(seconds, function, *args, **kwargs):
    default = kwargs.pop("timeout_value", Timeout)
    t = Timeout.start_new(seconds)
    try:
        return function(*args, **kwargs)
    except Timeout as e:
        if e is t and default is not Timeout:
            return default
        raise
    finally:
        t.cancel()
