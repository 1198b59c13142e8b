# Locust's documented way to choose the exit code from the results: a quitting listener reads
# environment.stats.total (after the test) and sets environment.process_exit_code.
import logging

from locust import HttpUser, constant, events, task


@events.quitting.add_listener
def _(environment, **kw):
    total = environment.stats.total
    print("STATS requests=%d failures=%d fail_ratio=%.3f p95_ok=%s max_ok=%s" % (
        total.num_requests, total.num_failures, total.fail_ratio,
        0 < total.get_response_time_percentile(0.95) <= total.max_response_time,
        total.max_response_time >= total.avg_response_time > 0), flush=True)
    if total.fail_ratio > 0.01:
        logging.error("Test failed due to failure ratio > 1%")
        environment.process_exit_code = 3
    else:
        environment.process_exit_code = 0


@events.quit.add_listener
def on_quit(exit_code, **kwargs):
    print("EVENT quit", exit_code, flush=True)


class Half(HttpUser):
    wait_time = constant(0.01)

    @task
    def two(self):
        self.client.get("/fast")
        self.client.get("/status/500")
