# locustfile.py
from locust import HttpUser, task, between

class WebsiteUser(HttpUser):
    wait_time = between(1, 5)
    host = "http://localhost:8080"

    @task
    def index(self):
        self.client.get("/")

    @task(2)
    def about(self):
        self.client.get("/about/")
