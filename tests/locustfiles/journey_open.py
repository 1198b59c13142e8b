# The open model with a SequentialTaskSet: one arrival runs the whole journey (browse, cart,
# checkout) once, then the user waits for the next arrival.
from locust import HttpUser, SequentialTaskSet, constant, task


class Journey(SequentialTaskSet):
    wait_time = constant(0)

    @task
    def browse(self):
        self.client.get("/products", name="1 browse")

    @task
    def cart(self):
        self.client.get("/", name="2 cart")

    @task
    def checkout(self):
        self.client.get("/", name="3 checkout")


class Shopper(HttpUser):
    tasks = [Journey]
