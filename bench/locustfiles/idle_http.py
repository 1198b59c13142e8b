# Memory benchmark scenario (Python, HttpUser): mostly idle users, between(5, 10) s waits.
from locust import HttpUser, between, task


class IdleUser(HttpUser):
    wait_time = between(5, 10)

    @task
    def index(self):
        self.client.get("/")
