# The web UI's Current ratio and Workers tabs: two weighted classes (1:3) of slow users against
# the demo shop, one of them with weighted tasks (1:3), so the ratios are known exactly.
from locust import HttpUser, task, constant


class Reader(HttpUser):
    weight = 1
    wait_time = constant(0.2)

    @task(1)
    def index(self):
        self.client.get("/")

    @task(3)
    def products(self):
        self.client.get("/products")


class Buyer(HttpUser):
    weight = 3
    wait_time = constant(0.2)

    @task
    def cart(self):
        self.client.get("/products")
