"""gevent.monkey inside endure: the standard library is already cooperative.

endure patches socket (and so http.client, urllib, requests, database drivers written in Python),
ssl, select, DNS lookups and time.sleep when it starts, before the locustfile is imported, as
Locust's own `import locust` does through gevent. patch_all() and the other patch_* calls change
nothing more; is_module_patched() says what is patched.
"""
import sys

saved = {}  # module name -> {attribute: the original object}
_done = False


def _replace(module, name, value):
    saved.setdefault(module.__name__, {}).setdefault(name, getattr(module, name, None))
    setattr(module, name, value)


def _endure_patch():
    """Called once by endure's locust package as it is imported (before any locustfile)."""
    global _done
    if _done:
        return
    _done = True
    import select as std_select
    import socket as std_socket
    import time as std_time

    import _endure

    from . import select as coop_select
    from . import socket as coop_socket

    _replace(std_time, "sleep", _endure.sleep)
    _replace(std_socket, "socket", coop_socket.socket)
    for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr",
                 "getnameinfo"):
        _replace(std_socket, name, getattr(coop_socket, name))
    _replace(std_select, "select", coop_select.select)
    _replace(std_select, "poll", coop_select.poll)
    # Without these, selectors picks epoll, whose waits would block every greenlet.
    for name in ("epoll", "kqueue", "devpoll"):
        if hasattr(std_select, name):
            saved.setdefault("select", {})[name] = getattr(std_select, name)
            delattr(std_select, name)
    if "selectors" in sys.modules:
        selectors = sys.modules["selectors"]
        selectors.DefaultSelector = selectors.PollSelector
        selectors.PollSelector._selector_cls = coop_select.poll
    import ssl as std_ssl

    from . import ssl as coop_ssl
    _replace(std_ssl.SSLContext, "sslsocket_class", coop_ssl.SSLSocket)
    saved.setdefault("ssl", {})["SSLContext.sslsocket_class"] = std_ssl.SSLSocket


def is_module_patched(name):
    return name in ("socket", "ssl", "select", "time", "dns", "selectors")


def is_object_patched(mod_name, item_name):
    return item_name in saved.get(mod_name, {})


def get_original(mod_name, item_name):
    """The standard library's own object, as before endure patched it."""
    if isinstance(item_name, str):
        original = saved.get(mod_name, {}).get(item_name)
        if original is not None:
            return original
        return getattr(__import__(mod_name), item_name)
    return [get_original(mod_name, name) for name in item_name]


def patch_all(*args, **kwargs):
    """Nothing to do: endure already made socket, ssl, select, DNS and time cooperative."""
    return True


def _noop(*args, **kwargs):
    return None


patch_socket = patch_ssl = patch_select = patch_time = patch_dns = patch_thread = _noop
patch_os = patch_queue = patch_signal = patch_subprocess = patch_sys = patch_builtins = _noop
patch_module = _noop
