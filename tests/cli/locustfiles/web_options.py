# The web UI tests' locustfile with its own options (init_command_line_parser) and a load shape:
# the request names show the options' values, so a test sees what the start form set.
from locust import HttpUser, LoadTestShape, constant, events, task


@events.init_command_line_parser.add_listener
def _(parser):
    parser.add_argument("--page-size", type=int, default=5, help="products per page (default %(default)s)")
    parser.add_argument("--section", choices=["books", "toys"], default="books", help="the section to browse")
    parser.add_argument("--with-cart", action="store_true", help="also count the cart")


class OptionUser(HttpUser):
    wait_time = constant(0.05)

    @task
    def browse(self):
        o = self.environment.parsed_options
        self.client.get("/products", name=f"/products size={o.page_size} {o.section} cart={o.with_cart}")


class ThreeUsers(LoadTestShape):
    def tick(self):
        return (3, 100) if self.get_run_time() < 600 else None
