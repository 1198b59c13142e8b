"""gevent.pool: Group (a set of greenlets) and Pool (a group with a size limit)."""
from ._greenlet import Greenlet, joinall, killall
from .lock import Semaphore


class Group:
    greenlet_class = Greenlet

    def __init__(self, *args):
        self.greenlets = set()
        for g in (args[0] if len(args) == 1 and not isinstance(args[0], Greenlet) else args):
            self.add(g)

    def __len__(self):
        return len(self.greenlets)

    def __contains__(self, item):
        return item in self.greenlets

    def __iter__(self):
        return iter(list(self.greenlets))

    def add(self, greenlet):
        self.greenlets.add(greenlet)
        greenlet.link(self._discard)

    def _discard(self, greenlet):
        self.greenlets.discard(greenlet)

    def discard(self, greenlet):
        self.greenlets.discard(greenlet)
        greenlet.unlink(self._discard)

    def start(self, greenlet):
        self.add(greenlet)
        greenlet.start()

    def spawn(self, function, *args, **kwargs):
        g = self.greenlet_class(function, *args, **kwargs)
        self.start(g)
        return g

    def full(self):
        return False

    def wait_available(self, timeout=None):
        return None

    def free_count(self):
        return 1

    def join(self, timeout=None, raise_error=False):
        joinall(list(self.greenlets), timeout=timeout, raise_error=raise_error)
        return not self.greenlets

    def kill(self, exception=None, block=True, timeout=None):
        from greenlet import GreenletExit
        killall(list(self.greenlets), exception or GreenletExit, block=block, timeout=timeout)

    def killone(self, greenlet, exception=None, block=True, timeout=None):
        from greenlet import GreenletExit
        if greenlet in self.greenlets:
            greenlet.kill(exception or GreenletExit, block=block, timeout=timeout)

    def apply(self, func, args=None, kwds=None):
        return self.spawn(func, *(args or ()), **(kwds or {})).get()

    def apply_async(self, func, args=None, kwds=None, callback=None):
        g = self.spawn(func, *(args or ()), **(kwds or {}))
        if callback is not None:
            g.link_value(lambda gr: callback(gr.value))
        return g

    def map(self, func, iterable):
        greenlets = [self.spawn(func, item) for item in iterable]
        return [g.get() for g in greenlets]

    def imap(self, func, *iterables):
        for g in [self.spawn(func, *items) for items in zip(*iterables)]:
            yield g.get()

    def imap_unordered(self, func, *iterables):
        return self.imap(func, *iterables)


class Pool(Group):
    def __init__(self, size=None, greenlet_class=None):
        super().__init__()
        if size is not None and size < 1:
            raise ValueError("Invalid size for pool (positive integer or None required): %r" % (size,))
        self.size = size
        if greenlet_class is not None:
            self.greenlet_class = greenlet_class
        self._slots = Semaphore(size) if size else None

    def full(self):
        return self.size is not None and len(self.greenlets) >= self.size

    def free_count(self):
        return (self.size - len(self.greenlets)) if self.size else 1

    def wait_available(self, timeout=None):
        if self._slots is not None:
            self._slots.wait(timeout)
        return self.free_count()

    def add(self, greenlet):
        if self._slots is not None:
            self._slots.acquire()
        super().add(greenlet)

    def _discard(self, greenlet):
        if greenlet in self.greenlets:
            super()._discard(greenlet)
            if self._slots is not None:
                self._slots.release()

    def discard(self, greenlet):
        if greenlet in self.greenlets:
            greenlet.unlink(self._discard)
            self._discard(greenlet)
