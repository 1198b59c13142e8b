# The path in --host is kept (Locust appends the request's path to it); a plain User needs no
# host; a class with no tasks is an error of that class only (logged), the others run.
from locust import FastHttpUser, HttpUser, User, constant, events, task
from locust.exception import StopUser


class NoTasksHere(User):
    wait_time = constant(1)


class Plain(User):
    wait_time = constant(0.01)
    fixed_count = 1

    @task
    def custom(self):
        events.request.fire(request_type="PLAIN", name="ran", response_time=1.0,
                            response_length=0, exception=None, context={})


class Requests(HttpUser):
    wait_time = constant(0)
    fixed_count = 1

    @task
    def once(self):
        self.client.get("/201")  # --host .../status: requests /status/201, named /status/201
        self.client.get("/202", params={"q": "a b"})
        raise StopUser()


class Fast(FastHttpUser):
    wait_time = constant(0)
    fixed_count = 1

    @task
    def once(self):
        self.client.get("/203")  # requests /status/203, named as written: /203
        raise StopUser()
