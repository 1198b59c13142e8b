from locust import HttpUser, task

class Base(HttpUser):
    abstract = True
    @task
    def t(self):
        pass
