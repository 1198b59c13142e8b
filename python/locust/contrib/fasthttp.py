"""FastHttpUser: in endure the same C++ client as HttpUser (both are fast)."""
from ..clients import HttpSession as FastHttpSession  # noqa: F401
from ..clients import Response as FastResponse  # noqa: F401
from ..clients import ResponseContextManager  # noqa: F401
from ..user.users import HttpUser


class FastHttpUser(HttpUser):
    abstract = True
    network_timeout = 60.0
    connection_timeout = 60.0
    max_redirects = 5
    max_retries = 1
    insecure = True
    concurrency = 10
    client_pool = None
    ssl_context_factory = None

    def rest(self, method, url, headers=None, **kwargs):
        """Locust's FastHttpUser.rest: a JSON request with catch_response=True."""
        h = {"Content-Type": "application/json", "Accept": "application/json"}
        if headers:
            h.update(headers)
        return self.client.request(method, url, headers=h, catch_response=True, **kwargs)
