from locust import HttpUser, task

raise RuntimeError("configuration missing")
