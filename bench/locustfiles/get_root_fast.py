# Benchmark scenario (Python, FastHttpUser): GET / in a tight loop, no wait.
from locust import FastHttpUser, constant, task


class RootUser(FastHttpUser):
    wait_time = constant(0)

    @task
    def index(self):
        self.client.get("/")
