"""A small stand-in for gevent inside endure: sleep() and spawn() run on endure's hub.

Locustfiles that call gevent.sleep() or spawn helper greenlets keep working; gevent's own event
loop and monkey-patching are never used in endure.
"""
import _endure
from greenlet import GreenletExit, getcurrent  # noqa: F401

__version__ = "endure"


def sleep(seconds=0, ref=True):
    _endure.sleep(seconds)


def idle(priority=0):
    _endure.sleep(0)


class Timeout(Exception):
    def __init__(self, seconds=None, exception=None, *args, **kwargs):
        super().__init__(seconds)
        self.seconds = seconds


class Greenlet:
    """What spawn() returns: join(), kill(), dead, value, exception."""

    def __init__(self, run=None, *args, **kwargs):
        self._run = run
        self._args = args
        self._kwargs = kwargs
        self.value = None
        self.exception = None
        self._g = None

    def _body(self):
        try:
            self.value = self._run(*self._args, **self._kwargs)
        except GreenletExit:
            pass
        except Exception as e:
            self.exception = e

    def start(self):
        if self._g is None:
            self._g = _endure.spawn(self._body, ())

    @property
    def dead(self):
        return self._g is not None and self._g.dead

    def ready(self):
        return self.dead

    def successful(self):
        return self.dead and self.exception is None

    def join(self, timeout=None):
        waited = 0.0
        while not self.dead:
            if timeout is not None and waited >= timeout:
                return
            _endure.sleep(0.005)
            waited += 0.005

    def get(self, block=True, timeout=None):
        self.join(timeout)
        if self.exception is not None:
            raise self.exception
        return self.value

    def kill(self, exception=GreenletExit, block=True, timeout=None):
        if self._g is not None and not self._g.dead:
            if self._g.gr_frame is None:
                self._g = None
                return
            self._g.throw(exception)


def spawn(run, *args, **kwargs):
    g = Greenlet(run, *args, **kwargs)
    g.start()
    return g


def spawn_later(seconds, run, *args, **kwargs):
    def later():
        _endure.sleep(seconds)
        return run(*args, **kwargs)

    return spawn(later)


def joinall(greenlets, timeout=None, raise_error=False):
    for g in greenlets:
        g.join(timeout)
    return [g for g in greenlets if g.dead]


def killall(greenlets, exception=GreenletExit, block=True, timeout=None):
    for g in greenlets:
        g.kill(exception)
