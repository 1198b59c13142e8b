# The web UI tests' locustfile: two classes of quick users against the demo shop.
from locust import HttpUser, task, constant


class ShopUser(HttpUser):
    wait_time = constant(0.02)

    @task
    def index(self):
        self.client.get("/")

    @task(2)
    def products(self):
        self.client.get("/products")


class Browser(HttpUser):
    wait_time = constant(0.02)

    @task
    def products(self):
        self.client.get("/products")
