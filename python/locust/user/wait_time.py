"""Wait time functions (Locust's formulas): each returns a function of the user or task set."""
import random
import time


def between(min_wait, max_wait):
    """A uniformly random wait in [min_wait, max_wait] seconds."""
    return lambda instance: min_wait + random.random() * (max_wait - min_wait)


def constant(wait_time):
    """Always wait_time seconds."""
    return lambda instance: wait_time


def constant_pacing(wait_time):
    """A task every wait_time seconds, on a fixed schedule (as wrk2): task k of a user starts at
    first + k * wait_time. A task that overran makes the next ones start at once until the user is
    back on schedule; endure marks each of them as late by how far behind the schedule it started
    (the value returned is then negative), so their requests carry that delay in the intended-start
    latency. Locust restarts the period from the late task instead, losing the schedule."""

    def pacing(instance):
        now = time.monotonic()
        nxt = getattr(instance, "_endure_pacing_next", None)
        if nxt is None:
            started = getattr(instance, "_endure_task_start", None)
            nxt = started if started is not None else now
        nxt += wait_time
        instance._endure_pacing_next = nxt
        return nxt - now

    return pacing


def constant_throughput(task_runs_per_second):
    """At most task_runs_per_second tasks per second for this user (constant_pacing(1/x))."""
    return constant_pacing(1.0 / task_runs_per_second)
