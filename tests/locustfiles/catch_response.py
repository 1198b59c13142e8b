# Locust's catch_response rules, one request name per rule (see python_test.cpp for the expected
# failures table). -i bounds the run: each task is one iteration.
from locust import HttpUser, SequentialTaskSet, constant, task
from locust.exception import ResponseError


class Rules(SequentialTaskSet):
    @task
    def success_overrides_404(self):
        with self.client.get("/status/404", name="success-404", catch_response=True) as r:
            r.success()

    @task
    def failure_on_200(self):
        with self.client.get("/fast", name="failure-200", catch_response=True) as r:
            r.failure("not what I wanted")

    @task
    def failure_with_exception(self):
        with self.client.get("/fast", name="failure-exc", catch_response=True) as r:
            r.failure(ValueError("bad value"))

    @task
    def default_rules_500(self):
        with self.client.get("/status/500", name="default-500", catch_response=True):
            pass

    @task
    def default_rules_200(self):
        with self.client.get("/fast", name="default-200", catch_response=True):
            pass

    @task
    def response_error_inside(self):
        with self.client.get("/fast", name="response-error", catch_response=True):
            raise ResponseError("raised inside")

    @task
    def other_exception_inside(self):
        # Not recorded as a request; the exception reaches the exceptions table.
        with self.client.get("/fast", name="other-exception", catch_response=True):
            raise KeyError("boom")

    @task
    def uncaught_404(self):
        self.client.get("/status/404", name="uncaught-404")
        self.interrupt()


class CatchUser(HttpUser):
    wait_time = constant(0)
    tasks = [Rules]
