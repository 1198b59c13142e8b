# Classes with weights, a fixed count and a nested task set: --show-task-ratio-json must print
# what Locust 2.12.1 prints for this file, byte for byte.
from locust import HttpUser, TaskSet, User, task, constant

class Browse(TaskSet):
    @task(3)
    def page(self): pass
    @task
    def stop(self): self.interrupt()

class Shopper(HttpUser):
    weight = 3
    host = "http://x"
    tasks = {Browse: 2}
    @task
    def home(self): pass

class Admin(User):
    fixed_count = 1
    @task
    def audit(self): pass
