"""gevent.select: select() and poll() that let the other greenlets run while they wait."""
import select as _std_select

import _endure

from select import POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLPRI, error  # noqa: F401

_real_select = _std_select.select
_real_poll = _std_select.poll


def _fileno(obj):
    return obj if isinstance(obj, int) else obj.fileno()


def select(rlist, wlist, xlist, timeout=None):
    if timeout is not None and timeout < 0:
        raise ValueError("timeout must be non-negative")
    if not _endure.can_yield():
        return _real_select(rlist, wlist, xlist, timeout)
    import time
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        ready = _real_select(rlist, wlist, xlist, 0)
        if any(ready) or timeout == 0:
            return ready
        fds = [(_fileno(x), POLLIN) for x in list(rlist) + list(xlist)]
        fds += [(_fileno(x), POLLOUT) for x in wlist]
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        if not fds:
            _endure.sleep(left or 0)
            return [], [], []
        if not _endure.wait_fds(fds, left):
            return [], [], []


class poll:
    """select.poll() whose poll(timeout_ms) lets the other greenlets run while it waits."""

    def __init__(self):
        self._poll = _real_poll()
        self._fds = {}

    def register(self, fd, eventmask=POLLIN | POLLPRI | POLLOUT):
        fd = _fileno(fd)
        self._fds[fd] = eventmask
        self._poll.register(fd, eventmask)

    def modify(self, fd, eventmask):
        fd = _fileno(fd)
        if fd not in self._fds:
            raise FileNotFoundError(2, "No such file or directory")
        self._fds[fd] = eventmask
        self._poll.modify(fd, eventmask)

    def unregister(self, fd):
        fd = _fileno(fd)
        del self._fds[fd]
        self._poll.unregister(fd)

    def poll(self, timeout=None):
        if timeout is not None and timeout < 0:
            timeout = None
        if not _endure.can_yield():
            return self._poll.poll(timeout)
        import time
        deadline = None if timeout is None else time.monotonic() + timeout / 1000.0
        while True:
            ready = self._poll.poll(0)
            if ready or timeout == 0:
                return ready
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            fds = [(fd, (POLLIN if m & (POLLIN | POLLPRI) else 0) | (POLLOUT if m & POLLOUT else 0))
                   for fd, m in self._fds.items()]
            fds = [f for f in fds if f[1]]
            if not fds:
                _endure.sleep(left or 0)
                return []
            if not _endure.wait_fds(fds, left):
                return []
