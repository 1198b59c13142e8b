# A login per session (on_start) and a logout (on_stop): session churn repeats both.
from locust import HttpUser, constant, task


class Shopper(HttpUser):
    wait_time = constant(0.05)

    def on_start(self):
        self.client.get("/", name="login")

    def on_stop(self):
        self.client.get("/", name="logout")

    @task
    def browse(self):
        self.client.get("/products")
