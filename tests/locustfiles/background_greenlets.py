# Background greenlets, as locustfiles use gevent: spawned from events.init (before the test's
# loop exists), test_start, on_start and tasks; one of them never ends. They run beside the
# users, and gevent's lock, event, queue, pool and Timeout work between them.
import gevent
from gevent.event import AsyncResult, Event
from gevent.lock import BoundedSemaphore, Semaphore
from gevent.pool import Group, Pool
from gevent.queue import Empty, JoinableQueue, Queue
from locust import User, constant, events, task

ticks = [0]
started = Event()


def forever():
    while True:  # an endless greenlet must not keep the test from ending
        gevent.sleep(0.05)
        ticks[0] += 1


def report(name, ok, detail=""):
    events.request.fire(request_type="CHECK", name=name, response_time=1.0, response_length=0,
                        exception=None if ok else AssertionError(detail), context={})


@events.init.add_listener
def on_init(environment, **kwargs):
    gevent.spawn(forever)
    gevent.spawn_later(0.1, started.set)


@events.test_start.add_listener
def on_test_start(environment, **kwargs):
    def from_test_start():
        report("test_start greenlet ran while users run", started.wait(5) and environment.runner.user_count > 0,
               "users=%d" % environment.runner.user_count)

    gevent.spawn_later(0.3, from_test_start)


@events.test_stop.add_listener
def on_test_stop(environment, **kwargs):
    print("BG ticks", ticks[0], flush=True)


class Checker(User):
    wait_time = constant(0.05)
    fixed_count = 1

    def on_start(self):
        self.seen = AsyncResult()
        gevent.spawn(lambda: self.seen.set(gevent.getcurrent() is not None))

    checked = False

    @task
    def check_everything(self):
        if self.checked:  # once; the user stays for the whole run
            return
        self.checked = True
        report("on_start greenlet", self.seen.get(timeout=2) is True)

        # spawn / join / get / kill / joinall / killall / Greenlet
        g = gevent.spawn(lambda a, b: a + b, 2, 3)
        report("get", g.get(timeout=1) == 5 and g.successful())
        sleepers = [gevent.spawn(gevent.sleep, 10) for _ in range(3)]
        gevent.killall(sleepers)
        report("killall", all(s.dead for s in sleepers))
        sleeper = gevent.spawn(gevent.sleep, 10)
        gevent.sleep(0.01)  # it runs and waits in its sleep
        sleeper.kill()
        report("kill a waiting greenlet", sleeper.dead and isinstance(sleeper.value, gevent.GreenletExit))
        later = gevent.spawn_later(0.05, lambda: "late")
        done = gevent.joinall([later], timeout=2)
        report("spawn_later joinall", done == [later] and later.value == "late")
        failing = gevent.Greenlet(lambda: 1 / 0)
        failing.start()
        failing.join()
        report("exception kept", isinstance(failing.exception, ZeroDivisionError))

        # Timeout
        try:
            with gevent.Timeout(0.05):
                gevent.sleep(2)
            report("Timeout fires", False, "no timeout")
        except gevent.Timeout:
            report("Timeout fires", True)
        with gevent.Timeout(1):
            gevent.sleep(0.01)
        report("Timeout cancelled", True)

        # lock, event, queue, pool between greenlets
        sem = BoundedSemaphore(2)
        inside = [0, 0]

        def worker():
            with sem:
                inside[0] += 1
                inside[1] = max(inside[1], inside[0])
                gevent.sleep(0.01)
                inside[0] -= 1

        group = Group()
        for _ in range(6):
            group.spawn(worker)
        group.join(timeout=2)
        report("semaphore bounds", inside[1] == 2, "max inside %d" % inside[1])

        q = Queue(maxsize=1)
        got = []
        consumer = gevent.spawn(lambda: [got.append(q.get(timeout=1)) for _ in range(3)])
        for i in range(3):
            q.put(i, timeout=1)
        consumer.join(timeout=2)
        report("queue hand-off", got == [0, 1, 2], repr(got))
        try:
            Queue().get(timeout=0.01)
            report("queue timeout", False)
        except Empty:
            report("queue timeout", True)

        jq = JoinableQueue()
        for i in range(3):
            jq.put(i)

        def drain():
            while not jq.empty():
                jq.get()
                gevent.sleep(0.001)
                jq.task_done()

        gevent.spawn(drain)
        report("joinable queue", jq.join(timeout=2) and jq.unfinished_tasks == 0)

        pool = Pool(2)
        report("pool map", pool.map(lambda x: x * x, range(5)) == [0, 1, 4, 9, 16])

        from gevent.threadpool import ThreadPool
        pool_of_threads = ThreadPool(2)
        import threading
        main_ident = threading.get_ident()
        other = pool_of_threads.apply(threading.get_ident)
        report("threadpool runs on another thread", other != main_ident and
               gevent.get_hub().threadpool.spawn(lambda a: a * 2, 21).get(timeout=2) == 42)

        from gevent.greenlet import Greenlet
        from gevent.local import local
        store = local()
        store.who = "main"

        def set_mine():
            store.who = "other"
            return store.who

        other_sees = Greenlet.spawn(set_mine).get(timeout=1)
        report("greenlet-local values", other_sees == "other" and store.who == "main",
               "%s %s" % (other_sees, store.who))

        ev = Event()
        gevent.spawn_later(0.02, ev.set)
        report("event wait", ev.wait(1) and not Event().wait(0.01))
        lock = Semaphore()
        lock.acquire()
        report("lock non-blocking", lock.acquire(blocking=False) is False)
        lock.release()


class TimesOut(User):
    """A gevent.Timeout that leaves a task is recorded like any task exception; the user goes on."""
    wait_time = constant(0.1)
    fixed_count = 1

    @task
    def slow_call(self):
        with gevent.Timeout(0.01):
            gevent.sleep(1)
