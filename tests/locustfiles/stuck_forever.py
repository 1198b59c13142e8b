# A task that makes one request and then loops forever without yielding (issue 18): the run must
# still end, name the class and task, exit with 5, and keep the request recorded before the loop.
from locust import HttpUser, constant, task


class Spinner(HttpUser):
    host = "http://127.0.0.1:9"  # refused: the request fails at once
    wait_time = constant(0)

    @task
    def spin(self):
        self.client.get("/before-spin")
        while True:
            pass
