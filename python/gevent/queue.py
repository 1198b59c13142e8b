"""gevent.queue: Queue, JoinableQueue, LifoQueue, PriorityQueue for greenlets on endure's hub."""
import collections
import heapq
import time
from queue import Empty, Full  # noqa: F401 (gevent raises the standard library's exceptions)

from ._hub import Waiters, can_yield


class Queue:
    def __init__(self, maxsize=None, items=()):
        self.maxsize = None if maxsize is not None and maxsize <= 0 else maxsize
        self.queue = self._make(items)
        self._getters = Waiters()
        self._putters = Waiters()

    def _make(self, items):
        return collections.deque(items)

    def _put(self, item):
        self.queue.append(item)

    def _get(self):
        return self.queue.popleft()

    def _peek(self):
        return self.queue[0]

    def qsize(self):
        return len(self.queue)

    def __len__(self):
        return len(self.queue)

    def __bool__(self):
        return True

    def empty(self):
        return not self.queue

    def full(self):
        return self.maxsize is not None and len(self.queue) >= self.maxsize

    def _block(self, waiters, ready, block, timeout, error):
        if ready():
            return
        if not block or not can_yield():
            raise error()
        deadline = None if timeout is None else time.monotonic() + timeout
        while not ready():
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise error()
            waiters.wait(left)

    def put(self, item, block=True, timeout=None):
        self._block(self._putters, lambda: not self.full(), block, timeout, Full)
        self._put(item)
        self._getters.notify_one()

    def put_nowait(self, item):
        self.put(item, False)

    def get(self, block=True, timeout=None):
        self._block(self._getters, lambda: bool(self.queue), block, timeout, Empty)
        item = self._get()
        self._putters.notify_one()
        if self.queue:
            self._getters.notify_one()
        return item

    def get_nowait(self):
        return self.get(False)

    def peek(self, block=True, timeout=None):
        self._block(self._getters, lambda: bool(self.queue), block, timeout, Empty)
        return self._peek()

    def peek_nowait(self):
        return self.peek(False)

    def __iter__(self):
        return self

    def __next__(self):
        item = self.get()
        if item is StopIteration:
            raise StopIteration
        return item


SimpleQueue = Queue


class LifoQueue(Queue):
    def _make(self, items):
        return list(items)

    def _put(self, item):
        self.queue.append(item)

    def _get(self):
        return self.queue.pop()

    def _peek(self):
        return self.queue[-1]


class PriorityQueue(Queue):
    def _make(self, items):
        q = list(items)
        heapq.heapify(q)
        return q

    def _put(self, item):
        heapq.heappush(self.queue, item)

    def _get(self):
        return heapq.heappop(self.queue)

    def _peek(self):
        return self.queue[0]


class JoinableQueue(Queue):
    def __init__(self, maxsize=None, items=(), unfinished_tasks=None):
        super().__init__(maxsize, items)
        self.unfinished_tasks = len(self.queue) if unfinished_tasks is None else unfinished_tasks
        self._done = Waiters()

    def put(self, item, block=True, timeout=None):
        super().put(item, block, timeout)
        self.unfinished_tasks += 1

    def task_done(self):
        if self.unfinished_tasks <= 0:
            raise ValueError("task_done() called too many times")
        self.unfinished_tasks -= 1
        if self.unfinished_tasks == 0:
            self._done.notify_all()

    def join(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.unfinished_tasks:
            if not can_yield():
                return False
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            self._done.wait(left)
        return True
