# MarkovTaskSet (newer Locust): the next task follows the current task's transitions.
from locust import HttpUser, MarkovTaskSet, constant, task, transition, transitions


class Journey(MarkovTaskSet):
    @transition("browse")
    def home(self):
        self.client.get("/status/200", name="home")

    @transitions({"browse": 1, "buy": 1})
    def browse(self):
        self.client.get("/status/201", name="browse")

    @transitions(["home", ("leave", 1)])
    def buy(self):
        self.client.get("/status/202", name="buy")

    @transition("home")
    def leave(self):
        self.client.get("/status/203", name="leave")
        self.interrupt()


class Shopper(HttpUser):
    wait_time = constant(0)
    tasks = [Journey]
