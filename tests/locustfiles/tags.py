# @tag with --tags / --exclude-tags (also on a nested TaskSet).
from locust import HttpUser, TaskSet, constant, tag, task


class Tagged(HttpUser):
    wait_time = constant(0)

    @tag("a")
    @task
    def a(self):
        self.client.get("/fast", name="tag-a")

    @tag("b")
    @task
    def b(self):
        self.client.get("/fast", name="tag-b")

    @tag("a", "c")
    @task
    def ac(self):
        self.client.get("/fast", name="tag-ac")

    @task
    def untagged(self):
        self.client.get("/fast", name="untagged")

    @task
    class Set(TaskSet):
        @tag("a")
        @task
        def in_set(self):
            self.client.get("/fast", name="set-a")
            self.interrupt()
