# Benchmark scenario (Python, HttpUser): GET / in a tight loop, no wait. Same as get_root.cpp.
from locust import HttpUser, constant, task


class RootUser(HttpUser):
    wait_time = constant(0)

    @task
    def index(self):
        self.client.get("/")
