# A LoadTestShape drives the users: 4 users, then 1 user of one class, then the end of the test.
from locust import HttpUser, LoadTestShape, constant, task


class Visitor(HttpUser):
    wait_time = constant(0.05)

    @task
    def look(self):
        self.client.get("/fast")


class Buyer(HttpUser):
    wait_time = constant(0.05)

    @task
    def buy(self):
        self.client.get("/status/201")


class Stages(LoadTestShape):
    def tick(self):
        run_time = self.get_run_time()
        if run_time < 2.5:
            return (4, 100)
        if run_time < 5.0:
            return (1, 100, [Buyer])
        return None
