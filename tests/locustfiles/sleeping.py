# time.sleep and gevent.sleep inside tasks yield to the other users: 20 users sleeping 1 s each
# still make about 20 requests per second, not 1.
import time

import gevent
from locust import HttpUser, constant, task


class Sleeper(HttpUser):
    wait_time = constant(0)

    @task
    def nap(self):
        time.sleep(0.5)
        gevent.sleep(0.5)
        self.client.get("/fast")


class Spawner(HttpUser):
    wait_time = constant(0.2)
    fixed_count = 1

    @task
    def helpers(self):
        done = []
        g = gevent.spawn(lambda: done.append(self.client.get("/fast", name="spawned").status_code))
        g.join()
        assert done == [200], done
