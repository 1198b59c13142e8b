# Blocking I/O of the libraries a locustfile imports (urllib, http.client, requests, raw sockets,
# select, DNS, ssl) cooperates with endure's loop as under gevent: while a helper greenlet waits
# on a slow server, the HTTP users keep running. Each check is reported as a CHECK request.
import os
import select
import socket
import ssl
import time
import urllib.request

import gevent
from locust import HttpUser, User, constant, events, task
from locust.exception import StopUser


def report(name, ok, detail=""):
    events.request.fire(request_type="CHECK", name=name, response_time=1.0, response_length=0,
                        exception=None if ok else AssertionError(detail), context={})


@events.init.add_listener
def on_init(environment, **kwargs):
    # A greenlet spawned before the test runs may use Locust's HTTP client once it starts.
    def first_request():
        from locust.clients import HttpSession
        session = HttpSession(environment.host, request_event=environment.events.request)
        session.get("/status/299", name="from init")

    gevent.spawn(first_request)


# While a call blocks the whole loop no user request completes at all; a few show cooperation
# (the bound stays low so a loaded machine cannot fail it).
ENOUGH = 2


def progress_during(environment, action):
    """How many requests endure's users completed while action() blocked this greenlet."""
    before = environment.stats.total.num_requests
    action()
    return environment.stats.total.num_requests - before


class Helper(User):
    wait_time = constant(1)
    fixed_count = 1

    @task
    def io(self):
        host = self.environment.host
        env = self.environment
        gevent.sleep(0.2)  # the HTTP users are spawned by now

        n = progress_during(env, lambda: urllib.request.urlopen(host + "/slow?ms=400").read())
        report("urllib lets users run", n >= ENOUGH, "requests meanwhile: %d" % n)

        import http.client
        port = int(host.rsplit(":", 1)[1])

        def plain_http_client():
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/slow?ms=300")
            assert c.getresponse().read() is not None
            c.close()

        n = progress_during(env, plain_http_client)
        report("http.client lets users run", n >= ENOUGH, "requests meanwhile: %d" % n)

        try:
            import requests
        except ImportError:
            requests = None
        if requests is not None:
            n = progress_during(env, lambda: requests.get(host + "/slow?ms=300", timeout=5))
            report("requests lets users run", n >= ENOUGH, "requests meanwhile: %d" % n)

        # A raw TCP echo between two greenlets, through accept/connect/recv/sendall.
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen()

        def echo_once():
            conn, _ = listener.accept()
            conn.sendall(conn.recv(100).upper())
            conn.close()

        server = gevent.spawn(echo_once)
        client = socket.create_connection(listener.getsockname(), timeout=2)
        client.sendall(b"ping")
        report("socket echo", client.recv(100) == b"PING")
        client.close()
        server.join(1)
        listener.close()

        # A socket closed while another greenlet waits on it: the waiter fails at once (EBADF),
        # it does not wait forever.
        x, y = socket.socketpair()

        def read_forever():
            try:
                x.recv(1)
                return "returned"
            except OSError as e:
                return e.errno

        reader = gevent.spawn(read_forever)
        gevent.sleep(0.01)
        x.close()
        report("close wakes a waiting greenlet", reader.get(timeout=1) == 9, repr(reader.value))
        y.close()

        # select() with nothing to read waits its timeout without stopping the users.
        a, b = socket.socketpair()
        t0 = time.monotonic()
        n = progress_during(env, lambda: select.select([a], [], [], 0.3))
        report("select waits cooperatively", n >= ENOUGH and time.monotonic() - t0 >= 0.25,
               "requests meanwhile: %d" % n)
        b.send(b"x")
        report("select sees data", select.select([a], [], [], 1)[0] == [a])
        a.close()
        b.close()

        # A socket timeout still raises socket.timeout.
        quiet = socket.socket()
        quiet.bind(("127.0.0.1", 0))
        quiet.listen()
        c = socket.create_connection(quiet.getsockname())
        c.settimeout(0.05)
        try:
            c.recv(1)
            report("socket timeout", False)
        except socket.timeout:
            report("socket timeout", True)
        c.close()
        quiet.close()

        # Name lookups run beside the users.
        infos = socket.getaddrinfo("localhost", port, socket.AF_INET, socket.SOCK_STREAM)
        report("getaddrinfo", infos and infos[0][4][0] == "127.0.0.1", repr(infos))

        tls_url, tls_ca = os.environ.get("TLS_URL"), os.environ.get("TLS_CA")
        if tls_url:
            ctx = ssl.create_default_context(cafile=tls_ca)
            ctx.check_hostname = False
            n = progress_during(
                env, lambda: urllib.request.urlopen(tls_url + "/slow?ms=300", context=ctx).read())
            report("ssl lets users run", n >= ENOUGH, "requests meanwhile: %d" % n)
        raise StopUser()


class Web(HttpUser):
    wait_time = constant(0.005)
    fixed_count = 2

    @task
    def fast(self):
        self.client.get("/fast")
