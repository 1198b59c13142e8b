from locust import HttpUser, task

class U(HttpUser):
    host = "http://127.0.0.1:1"
    @task
    def t(self)
        self.client.get("/")
