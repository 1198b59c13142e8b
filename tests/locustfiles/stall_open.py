# One request per iteration under the open model (--arrival-rate), against a stalling shop: the
# intended-start latency counts from each arrival, whatever the pool was doing.
from locust import HttpUser, between, task


class Probe(HttpUser):
    wait_time = between(1, 5)  # not used by the open model: arrivals start the iterations

    @task
    def get(self):
        self.client.get("/")
