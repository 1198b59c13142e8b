from locust import HttpUser, task

class NoHost(HttpUser):
    @task
    def t(self):
        pass
