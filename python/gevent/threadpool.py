"""gevent.threadpool: run a blocking function on an OS thread while the greenlet waits (for C
code that blocks and is not made cooperative). Each call gets a thread of its own."""
import _endure

from ._greenlet import Greenlet


class ThreadPool:
    def __init__(self, maxsize=None, hub=None):
        self.maxsize = maxsize

    def apply(self, func, args=None, kwds=None):
        """func(*args, **kwds) on another thread; this greenlet waits for its result."""
        kwds = kwds or {}
        return _endure.call_in_thread(lambda *a: func(*a, **kwds), tuple(args or ()))

    def spawn(self, func, *args, **kwargs):
        """Starts func on another thread; returns a Greenlet whose get() gives its result."""
        return Greenlet.spawn(self.apply, func, args, kwargs)

    def apply_async(self, func, args=None, kwds=None, callback=None):
        g = self.spawn(func, *(args or ()), **(kwds or {}))
        if callback is not None:
            g.link_value(lambda gr: callback(gr.value))
        return g

    def map(self, func, iterable):
        return [g.get() for g in [self.spawn(func, item) for item in iterable]]

    def join(self):
        pass

    def kill(self):
        pass


class _Hub:
    """gevent.get_hub(): what locustfiles reach for on it (threadpool)."""

    def __init__(self):
        self.threadpool = ThreadPool()


_hub = _Hub()


def get_hub():
    return _hub
