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
    """Each task starts wait_time seconds after the previous one started (no wait if it took longer)."""

    def pacing(instance):
        started = getattr(instance, "_endure_task_start", None)
        if started is None:
            return 0.0
        return max(0.0, wait_time - (time.monotonic() - started))

    return pacing


def constant_throughput(task_runs_per_second):
    """At most task_runs_per_second tasks per second for this user (constant_pacing(1/x))."""
    return constant_pacing(1.0 / task_runs_per_second)
