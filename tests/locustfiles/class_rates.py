# Per-class arrival rates (the open model): Buyer has its own 10/s; Browser shares --arrival-rate.
from locust import HttpUser, constant, task


class Buyer(HttpUser):
    arrival_rate = "600/m"  # 10 per second
    wait_time = constant(1)

    @task
    def buy(self):
        self.client.get("/", name="buy")


class Browser(HttpUser):
    wait_time = constant(1)

    @task
    def browse(self):
        self.client.get("/products", name="browse")
