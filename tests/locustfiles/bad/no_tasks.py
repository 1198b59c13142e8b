from locust import HttpUser

class Idle(HttpUser):
    host = "http://127.0.0.1:1"
