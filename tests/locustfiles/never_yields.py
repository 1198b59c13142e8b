# Users that never wait and never do endure I/O (issue 18): a task that does nothing, one that
# raises at once, one that only fires events.request. With constant(0) they must still give the
# others a turn after every task, stop on time, and have their results recorded.
from locust import HttpUser, User, constant, events, task


class Spinner(User):
    wait_time = constant(0)
    fixed_count = 1

    @task
    def nothing(self):
        pass


class Raiser(User):
    wait_time = constant(0)
    fixed_count = 1

    @task
    def fails_at_once(self):
        return {}["missing"]


class Reporter(User):
    wait_time = constant(0)
    fixed_count = 1

    @task
    def custom_protocol(self):
        events.request.fire(request_type="XMLRPC", name="call", response_time=1.0,
                            response_length=0, exception=None, context={})


class Web(HttpUser):
    wait_time = constant(0.01)
    fixed_count = 1

    @task
    def fast(self):
        self.client.get("/fast")
