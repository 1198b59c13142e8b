# Locust's wait time functions; constant_pacing keeps one task per 0.2 s whatever the task took.
from locust import HttpUser, between, constant, constant_pacing, constant_throughput, task


class Between(HttpUser):
    wait_time = between(0.1, 0.2)

    @task
    def t(self):
        self.client.get("/fast", name="between")


class Constant(HttpUser):
    wait_time = constant(0.1)

    @task
    def t(self):
        self.client.get("/fast", name="constant")


class Pacing(HttpUser):
    wait_time = constant_pacing(0.2)

    @task
    def t(self):
        self.client.get("/slow?ms=50", name="pacing")


class Throughput(HttpUser):
    wait_time = constant_throughput(5)

    @task
    def t(self):
        self.client.get("/fast", name="throughput")
