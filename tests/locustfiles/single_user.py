# locust.run_single_user: importing it never changes the file; called (here when SINGLE_USER is
# set, as a debugging session would), it runs one user in the foreground and prints its requests.
import os

from locust import HttpUser, constant, run_single_user, task
from locust.exception import StopUser


class Debugged(HttpUser):
    wait_time = constant(0)
    host = os.environ.get("SINGLE_USER_HOST")
    count = 0

    @task
    def steps(self):
        self.client.get("/fast")
        self.client.get("/status/404")
        Debugged.count += 1
        if Debugged.count == 2:
            raise StopUser()


if os.environ.get("SINGLE_USER"):
    run_single_user(Debugged)
    print("SINGLE USER DONE", Debugged.count, flush=True)
