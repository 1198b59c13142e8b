# Exceptions in tasks go to the exceptions table with their Python traceback; the user carries
# on. StopTest ends the test.
from locust import HttpUser, constant, task
from locust.exception import StopTest


def helper():
    raise ValueError("out of stock")


class Failing(HttpUser):
    wait_time = constant(0)

    @task
    def fails(self):
        self.client.get("/fast")
        if not hasattr(self, "n"):
            self.n = 0
        self.n += 1
        if self.n <= 3:
            helper()
        raise StopTest()
