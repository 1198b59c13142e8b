# Event hooks fire with Locust's arguments; a custom client reports through events.request
# (fire and measure); environment.parsed_options and runner.user_count are there.
import time

from locust import HttpUser, User, between, constant, events, task
from locust.exception import StopUser

seen = []


@events.init.add_listener
def on_init(environment, runner, **kwargs):
    print("EVENT init", type(runner).__name__, environment.parsed_options.num_users, flush=True)


@events.test_start.add_listener
def on_test_start(environment, **kwargs):
    print("EVENT test_start", flush=True)


@events.spawning_complete.add_listener
def on_spawned(user_count, **kwargs):
    print("EVENT spawning_complete", user_count, flush=True)


@events.request.add_listener
def on_request(request_type, name, response_time, response_length, response=None, context=None,
               exception=None, start_time=None, url=None, **kwargs):
    seen.append((request_type, name, exception is None))


@events.reset_stats.add_listener
def on_reset_stats(**kwargs):
    print("EVENT reset_stats", flush=True)


@events.test_stopping.add_listener
def on_stopping(environment, **kwargs):
    print("EVENT test_stopping", flush=True)


@events.test_stop.add_listener
def on_test_stop(environment, **kwargs):
    ok = sum(1 for s in seen if s[2])
    print("EVENT test_stop requests=%d ok=%d total=%d" % (len(seen), ok,
                                                          environment.stats.total.num_requests),
          flush=True)


@events.quitting.add_listener
def on_quitting(environment, **kwargs):
    print("EVENT quitting", flush=True)


@events.quit.add_listener
def on_quit(exit_code, **kwargs):
    print("EVENT quit", exit_code, flush=True)


class CustomClientUser(User):
    wait_time = constant(0)
    fixed_count = 1

    @task
    def custom(self):
        events.request.fire(request_type="CUSTOM", name="fired", response_time=12.5,
                            response_length=3, exception=None, context={})
        with events.request.measure("CUSTOM", "measured-fail"):
            raise ValueError("custom failure")
        with events.request.measure("CUSTOM", "measured-ok") as meta:
            meta["response_length"] = 5
        raise StopUser()


class Web(HttpUser):
    wait_time = between(0.001, 0.002)
    fixed_count = 2

    @task
    def get(self):
        assert self.environment.runner.user_count >= 1
        self.client.get("/fast")
        self.client.get("/status/503")
