"""LoadTestShape: tick() returns (users, spawn_rate), (users, spawn_rate, user_classes) or None.

endure's runner calls tick() about once a second (on its control thread, holding the GIL) and
passes the run time and user count, which get_run_time() and get_current_user_count() return.
"""
import time


class LoadTestShape:
    abstract = True
    runner = None

    def __init__(self):
        self.start_time = time.perf_counter()

    def reset_time(self):
        self.start_time = time.perf_counter()
        self._endure_reset_at = getattr(self, "_endure_run_time", None) or 0.0

    def get_run_time(self):
        run_time = getattr(self, "_endure_run_time", None)
        if run_time is None:
            return time.perf_counter() - getattr(self, "start_time", time.perf_counter())
        return run_time - getattr(self, "_endure_reset_at", 0.0)

    def get_current_user_count(self):
        if getattr(self, "_endure_run_time", None) is not None:
            return self._endure_user_count
        return self.runner.user_count if self.runner else 0

    def tick(self):
        raise NotImplementedError()
