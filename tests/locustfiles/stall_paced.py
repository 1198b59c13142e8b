# Paced users (a request every 25 ms each) against a stalling shop: their intended-start latency
# must carry the whole delay of every iteration the stall pushed back.
from locust import HttpUser, constant_pacing, task


class Paced(HttpUser):
    wait_time = constant_pacing(0.025)

    @task
    def get(self):
        self.client.get("/")
