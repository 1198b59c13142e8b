"""The waiting primitive every gevent stand-in object is built on: a greenlet parks itself and
another wakes it (endure's hub resumes it). Off endure's greenlets (the import, events.init on
the main thread) nothing can switch, so waits there block or fail as documented per caller."""
import _endure
from greenlet import getcurrent

_TIMED_OUT = object()


def can_yield():
    return _endure.can_yield()


def park(timeout=None):
    """Suspends the calling greenlet until wake(); returns the value given, or _TIMED_OUT."""
    return _endure.park(timeout, _TIMED_OUT)


def wake(greenlet, value=None):
    return _endure.unpark(greenlet, value)


class Waiters:
    """A FIFO of parked greenlets (one object each, so a greenlet waits on one thing at a time)."""

    __slots__ = ("_list",)

    def __init__(self):
        self._list = []

    def wait(self, timeout=None):
        """Parks the caller until notify_one/notify_all; False on timeout."""
        me = getcurrent()
        self._list.append(me)
        try:
            return park(timeout) is not _TIMED_OUT
        finally:
            try:
                self._list.remove(me)
            except ValueError:
                pass

    def notify_one(self, value=True):
        while self._list:
            g = self._list.pop(0)
            if wake(g, value):
                return True
        return False

    def notify_all(self, value=True):
        woken = list(self._list)
        del self._list[:]
        for g in woken:
            wake(g, value)
        return len(woken)

    def __len__(self):
        return len(self._list)
