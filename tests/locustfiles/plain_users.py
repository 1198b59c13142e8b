# A plain User makes no request through endure's client: it needs no host, and a run of such
# users with no --host is a normal run.
from locust import User, constant, events, task


class Plain(User):
    wait_time = constant(0.01)

    @task
    def custom(self):
        events.request.fire(request_type="PLAIN", name="ran", response_time=1.0,
                            response_length=0, exception=None, context={})
