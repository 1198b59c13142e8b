"""gevent.Greenlet, spawn, joinall, killall, sleep on endure's hub."""
import time as _time

import _endure
from greenlet import GreenletExit, getcurrent

from ._hub import Waiters, can_yield

# Greenlets spawned before the test's loop runs (events.init runs on the main thread): started by
# locust._hub.hub_started() on the loop's own thread, where every greenlet must live.
_pending = []
# Running greenlets stay referenced, so one is never collected (and killed) while it waits.
_running = set()


def sleep(seconds=0, ref=True):
    _endure.sleep(seconds)


def idle(priority=0):
    _endure.sleep(0)


class Greenlet:
    """A greenlet run by endure's hub: start(), join(), get(), kill(), ready(), dead, value,
    exception, link(). Independent of the users: it runs until it returns or is killed."""

    def __init__(self, run=None, *args, **kwargs):
        if run is not None:
            self._run = run
        self.args = args
        self.kwargs = kwargs
        self.value = None
        self._exception = None
        self._g = None
        self._started = False
        self._done = False
        self._killed_early = False
        self._waiters = Waiters()
        self._links = []
        self.name = getattr(run, "__name__", None) or type(self).__name__

    # --- gevent's API ---
    def _run(self):
        return None

    def _body(self):
        if self._killed_early:  # killed after start() but before the loop reached it
            self._finish()
            return
        try:
            self.value = self._run(*self.args, **self.kwargs)
        except GreenletExit as e:
            self.value = e
        except BaseException as e:  # noqa: B902: the greenlet ends; the error is kept for get()
            self._exception = e
            _report(self, e)
        finally:
            self._finish()

    def _finish(self):
        self._done = True
        _running.discard(self._g)
        self._waiters.notify_all()
        for cb in list(self._links):
            try:
                cb(self)
            except Exception as e:  # a link callback must not end the loop
                _report(self, e)

    def start(self):
        if self._started:
            return
        self._started = True
        g = _endure.spawn(self._body, ())
        if g is None:
            _pending.append(self)
        else:
            self._g = g
            _running.add(g)

    def start_later(self, seconds):
        run, self._run = self._run, None

        def later(*a, **kw):
            _endure.sleep(seconds)
            return run(*a, **kw)

        self._run = later
        self.start()

    @classmethod
    def spawn(cls, *args, **kwargs):
        g = cls(*args, **kwargs)
        g.start()
        return g

    @classmethod
    def spawn_later(cls, seconds, *args, **kwargs):
        g = cls(*args, **kwargs)
        g.start_later(seconds)
        return g

    @property
    def dead(self):
        return self._done or self._killed_early

    @property
    def started(self):
        return self._started

    def ready(self):
        return self.dead

    def successful(self):
        return self.dead and self._exception is None

    @property
    def exception(self):
        return self._exception

    def __bool__(self):
        return self._started and not self.dead

    @property
    def minimal_ident(self):
        return id(self)

    def link(self, callback):
        if self.dead:
            callback(self)
        else:
            self._links.append(callback)

    def link_value(self, callback):
        self.link(lambda g: callback(g) if g.successful() else None)

    def link_exception(self, callback):
        self.link(lambda g: callback(g) if not g.successful() else None)

    def unlink(self, callback):
        if callback in self._links:
            self._links.remove(callback)

    def join(self, timeout=None):
        """Waits until the greenlet ended (at most timeout seconds)."""
        if self.dead:
            return
        if getcurrent() is self._g:
            raise RuntimeError("a greenlet cannot join itself")
        if not can_yield():
            _wait_blocking(self, timeout)
            return
        if timeout is None:
            while not self.dead:
                self._waiters.wait()
        else:
            deadline = _time.monotonic() + timeout
            while not self.dead:
                left = deadline - _time.monotonic()
                if left <= 0 or not self._waiters.wait(left):
                    return

    def get(self, block=True, timeout=None):
        if not self.dead and block:
            self.join(timeout)
        if not self.dead:
            from .timeout import Timeout
            raise Timeout(timeout)
        if self._exception is not None:
            raise self._exception
        return self.value

    def throw(self, *args):
        self.kill(*args, block=False)

    def kill(self, exception=GreenletExit, block=True, timeout=None):
        """Raises exception in the greenlet where it waits; with block, waits until it ended."""
        if self.dead:
            return
        if isinstance(exception, type):
            exception = exception()
        if not self._started or (self._g is None and self in _pending):
            # Never ran: it will not (gevent: a greenlet killed before it starts never runs).
            if self in _pending:
                _pending.remove(self)
            self._started = True
            self._killed_early = True
            self.value = exception if isinstance(exception, GreenletExit) else None
            self._waiters.notify_all()
            return
        if self._g is None:
            return
        if getcurrent() is self._g:
            raise exception
        if not self._g and not self._g.dead:
            # Started but not yet run: it must not run (gevent), and the loop will still switch
            # into it once; _body sees the mark and only finishes.
            self._killed_early = True
            self.value = exception if isinstance(exception, GreenletExit) else None
            self._waiters.notify_all()
            return
        _endure.throw(self._g, exception)
        if block:
            self.join(timeout)

    def __repr__(self):
        state = "dead" if self.dead else ("started" if self._started else "new")
        return "<Greenlet %r %s>" % (self.name, state)


def _report(greenlet, e):
    # gevent prints a greenlet's uncaught exception to stderr; endure says it in its log.
    import logging
    import traceback
    logging.getLogger("gevent").error("%r failed with %s\n%s", greenlet, type(e).__name__,
                                      "".join(traceback.format_exception(e)))


def _wait_blocking(greenlet, timeout):
    """join() where nothing can switch (the import, an event listener on the test's own loop):
    waiting there would stop the very loop that runs the greenlet, so it returns at once."""
    return


def spawn(run, *args, **kwargs):
    return Greenlet.spawn(run, *args, **kwargs)


def spawn_later(seconds, run, *args, **kwargs):
    return Greenlet.spawn_later(seconds, run, *args, **kwargs)


def spawn_raw(function, *args, **kwargs):
    return spawn(function, *args, **kwargs)._g


def joinall(greenlets, timeout=None, raise_error=False, count=None):
    """Waits for all greenlets (or count of them) to end; returns those that ended."""
    greenlets = list(greenlets)
    deadline = None if timeout is None else _time.monotonic() + timeout
    for g in greenlets:
        if count is not None and sum(1 for x in greenlets if x.dead) >= count:
            break
        left = None if deadline is None else max(0.0, deadline - _time.monotonic())
        g.join(left)
        if raise_error and g.dead and g.exception is not None:
            raise g.exception
    return [g for g in greenlets if g.dead]


def wait(objects=None, timeout=None, count=None):
    if objects is None:
        _endure.sleep(timeout or 0)
        return None
    return joinall(objects, timeout=timeout, count=count)


def iwait(objects, timeout=None, count=None):
    return iter(joinall(objects, timeout=timeout, count=count))


def kill(greenlet, exception=GreenletExit, block=True, timeout=None):
    greenlet.kill(exception, block=block, timeout=timeout)


def killall(greenlets, exception=GreenletExit, block=True, timeout=None):
    greenlets = list(greenlets)
    for g in greenlets:
        g.kill(exception, block=False)
    if block:
        joinall(greenlets, timeout=timeout)


def _start_pending():
    """On the loop's thread, as it starts: greenlets spawned before the test ran."""
    waiting = list(_pending)
    del _pending[:]
    for greenlet in waiting:
        g = _endure.spawn(greenlet._body, ())
        greenlet._g = g
        _running.add(g)
