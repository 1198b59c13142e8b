# Options added by the locustfile (events.init_command_line_parser) reach parsed_options.
from locust import HttpUser, events, task


@events.init_command_line_parser.add_listener
def _(parser):
    parser.add_argument("--my-arg", type=str, default="unset", help="some text")
    parser.add_argument("--flag", action="store_true", help="a switch")
    parser.add_argument("--count", type=int, default=1, help="a number")
    parser.add_argument("--mode", choices=["fast", "slow"], default="fast", help="a choice")


class Reader(HttpUser):
    @task
    def read(self):
        o = self.environment.parsed_options
        self.client.get("/fast", name=f"arg={o.my_arg} flag={o.flag} count={o.count!r} mode={o.mode}")
        self.stop()
