# Session churn for one class only (session_length on the class): Churner logs in about once a
# second, Stayer once for the whole run.
from locust import HttpUser, constant, task


class Churner(HttpUser):
    fixed_count = 1
    wait_time = constant(0.05)
    session_length = "1s..1s"

    def on_start(self):
        self.client.get("/", name="churner login")

    @task
    def browse(self):
        self.client.get("/products")


class Stayer(HttpUser):
    fixed_count = 1
    wait_time = constant(0.05)

    def on_start(self):
        self.client.get("/", name="stayer login")

    @task
    def browse(self):
        self.client.get("/products")
