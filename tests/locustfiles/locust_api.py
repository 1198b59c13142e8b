# Locust's API beyond users and tasks: FastHttpUser.rest()/rest_(), runner messages, the runner's
# state and targets, run_single_user importable, and how each client names and fails requests.
import time

import gevent
from gevent.pool import Pool
from locust import FastHttpUser, HttpUser, constant, events, run_single_user, task  # noqa: F401
from locust.contrib.fasthttp import RestResponseContextManager
from locust.exception import StopUser

messages = []


def report(name, ok, detail=""):
    events.request.fire(request_type="CHECK", name=name, response_time=1.0, response_length=0,
                        exception=None if ok else AssertionError(detail), context={})


@events.init.add_listener
def on_init(environment, runner, **kwargs):
    def on_ping(environment, msg, **kw):
        messages.append((msg.type, msg.data, msg.node_id))

    runner.register_message("ping", on_ping)


class Rest(FastHttpUser):
    wait_time = constant(0)
    fixed_count = 1

    @task
    def rest_calls(self):
        with self.rest("POST", "/echo", json={"a": 1}) as r:
            assert isinstance(r, RestResponseContextManager)
            assert r.js["method"] == "POST"
            assert r.js["headers"]["Content-Type"] == "application/json"
        with self.rest("GET", "/echo", name="rest-assert") as r:
            assert r.js["method"] == "PUT", "wrong method"
        with self.rest("GET", "/echo", name="rest-assert-comma") as r:
            assert r.js["method"] == "PUT", "wrong method,"
        with self.rest("GET", "/echo", name="rest-exception") as r:
            r.js["no such key"]
        with self.rest("GET", "/fast", name="rest-not-json"):
            pass
        with self.rest_("GET", "/echo") as r:
            assert "_" in r.js["query"]
        self.client.get("/status/404")
        self.client.get(self.host + "/echo?fast=1")
        raise StopUser()


class Api(HttpUser):
    wait_time = constant(0)
    fixed_count = 1

    @task
    def runner_api(self):
        runner = self.environment.runner
        report("runner state", runner.state in ("spawning", "running"), runner.state)
        report("target_user_count", runner.target_user_count == 2, repr(runner.target_user_count))
        report("spawning_greenlet", runner.spawning_greenlet is not None)
        runner.send_message("ping", {"n": 1})
        report("message delivered", messages == [("ping", {"n": 1}, "local")], repr(messages))
        runner.send_message("nobody-listens")
        report("stats total", runner.stats.total.num_requests >= 4)
        self.client.get(self.host + "/echo?abs=1")  # named by path and query: /echo?abs=1

        # One client, several greenlets at once (parallel fetches, as in a browser): all four run
        # together, and a cookie set on a parallel request reaches the client's jar.
        pool = Pool()
        t0 = time.monotonic()
        for _ in range(3):
            pool.spawn(self.client.get, "/slow?ms=300", name="parallel")
        pool.spawn(self.client.get, "/set-cookie?par=1", name="parallel-cookie")
        pool.join(timeout=5)
        elapsed = time.monotonic() - t0
        report("parallel requests on one client", elapsed < 0.8, "took %.2fs" % elapsed)
        report("parallel cookie", self.client.cookies.get("par") == "1",
               repr(self.client.cookies.get_dict()))
        self.client.post("/echo", data={"k": "v w"}, name="form")
        raise StopUser()
