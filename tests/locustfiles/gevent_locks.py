# gevent's locks and monkey patching as field locustfiles use them: monkey.patch_all() first (a
# no-op under endure, which is cooperative already), an RLock taken again by its owner and held
# across a sleep while other greenlets wait their turn, a BoundedSemaphore capping concurrency.
from gevent import monkey

monkey.patch_all()

import gevent  # noqa: E402
from gevent.lock import BoundedSemaphore, RLock  # noqa: E402
from locust import User, constant, task  # noqa: E402

lock = RLock()
gate = BoundedSemaphore(2)
inside = {"now": 0, "max": 0, "rlock_overlap": 0, "holders": 0}


def critical(i):
    with lock:
        with lock:  # re-entered by its owner
            inside["holders"] += 1
            if inside["holders"] > 1:
                inside["rlock_overlap"] += 1
            gevent.sleep(0.01)  # other greenlets run, and wait for the lock
            inside["holders"] -= 1


def gated(i):
    with gate:
        inside["now"] += 1
        inside["max"] = max(inside["max"], inside["now"])
        gevent.sleep(0.01)
        inside["now"] -= 1


def check():
    jobs = [gevent.spawn(critical, i) for i in range(5)] + [gevent.spawn(gated, i) for i in range(6)]
    gevent.joinall(jobs, timeout=10)
    done = sum(1 for j in jobs if j.dead)
    print(f"LOCKS done={done} rlock_overlap={inside['rlock_overlap']} gate_max={inside['max']} "
          f"locked_after={lock.locked()} patched={monkey.is_module_patched('socket') in (True, False)}",
          flush=True)


class Idle(User):
    wait_time = constant(1)

    def on_start(self):
        check()

    @task
    def nothing(self):
        pass
