# Users that raise at once with a different message every time and never wait (issue 18): every
# exception is recorded at full speed, the table folds beyond 500 kinds, memory stays flat.
import itertools

from locust import User, constant, task

counter = itertools.count()


class Flooder(User):
    wait_time = constant(0)

    @task
    def fails_at_once(self):
        raise KeyError(f"missing key {next(counter)}")
