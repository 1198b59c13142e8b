from locust import HttpUser, task
import no_such_module_here

class U(HttpUser):
    host = "http://127.0.0.1:1"
    @task
    def t(self):
        pass
