"""gevent.lock: Semaphore, BoundedSemaphore, DummySemaphore, RLock for greenlets on endure's hub."""
from greenlet import getcurrent

from ._hub import Waiters, can_yield


class Semaphore:
    def __init__(self, value=1, hub=None):
        if value < 0:
            raise ValueError("semaphore initial value must be >= 0")
        self.counter = value
        self._waiters = Waiters()

    def locked(self):
        return self.counter <= 0

    def ready(self):
        return self.counter > 0

    def release(self):
        self.counter += 1
        self._waiters.notify_one()
        return self.counter

    def acquire(self, blocking=True, timeout=None):
        if self.counter > 0:
            self.counter -= 1
            return True
        if not blocking or not can_yield():
            if blocking:
                raise RuntimeError("this lock is held and this code cannot wait for it (it runs "
                                   "outside the test's users and greenlets)")
            return False
        import time
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.counter <= 0:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            self._waiters.wait(left)
        self.counter -= 1
        return True

    def wait(self, timeout=None):
        if self.counter > 0:
            return self.counter
        self._waiters.wait(timeout)
        self._waiters.notify_one()  # waiting does not take it: pass the wake-up on
        return self.counter

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *args):
        self.release()


class BoundedSemaphore(Semaphore):
    def __init__(self, value=1, hub=None):
        super().__init__(value)
        self._initial = value

    def release(self):
        if self.counter >= self._initial:
            raise ValueError("Semaphore released too many times")
        return super().release()


class DummySemaphore:
    def __init__(self, value=None):
        pass

    def locked(self):
        return False

    def ready(self):
        return True

    def release(self):
        pass

    def acquire(self, blocking=True, timeout=None):
        return True

    def wait(self, timeout=None):
        return 1

    def __enter__(self):
        pass

    def __exit__(self, *args):
        pass


class RLock:
    def __init__(self, hub=None):
        self._block = Semaphore(1)
        self._owner = None
        self._count = 0

    def acquire(self, blocking=True, timeout=None):
        me = getcurrent()
        if self._owner is me:
            self._count += 1
            return True
        if not self._block.acquire(blocking, timeout):
            return False
        self._owner = me
        self._count = 1
        return True

    def release(self):
        if self._owner is not getcurrent():
            raise RuntimeError("cannot release un-acquired lock")
        self._count -= 1
        if self._count == 0:
            self._owner = None
            self._block.release()

    def locked(self):
        return self._block.locked()

    def _is_owned(self):
        return self._owner is getcurrent()

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *args):
        self.release()
