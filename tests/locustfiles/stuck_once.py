# A task that runs for seconds without yielding (no request, no wait): endure names the class and
# task in its stuck report (the engine detects it; the Python hub says where it is).
import time

from locust import User, constant, task


class Cruncher(User):
    wait_time = constant(0.1)
    crunched = False

    @task
    def crunch_numbers(self):
        if not Cruncher.crunched:
            Cruncher.crunched = True
            end = time.monotonic() + 6.0  # well past the 3 s after which a shard is stuck
            while time.monotonic() < end:
                pass
