# An exception in an event handler at start is logged with the handler's name; the run goes on,
# and Locust's exit code for it is 2 (quit listeners receive it).
from locust import User, constant, events, task


@events.test_start.add_listener
def broken_test_start(environment, **kwargs):
    raise RuntimeError("cannot prepare test data")


@events.quit.add_listener
def on_quit(exit_code, **kwargs):
    print("EVENT quit", exit_code, flush=True)


class Quiet(User):
    wait_time = constant(0.1)

    @task
    def idle(self):
        pass
