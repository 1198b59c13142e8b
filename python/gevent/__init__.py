"""endure's gevent: the parts of gevent's API that locustfiles use, on endure's hub.

Written for endure (not gevent's code). Greenlets run on endure's C++ event loop, the same loop
that runs the users; blocking I/O of the standard library (socket, ssl, select, DNS, time.sleep)
is made cooperative when endure starts (see gevent.monkey), so a helper greenlet doing urllib or
requests calls never stalls the users. gevent's own loop is never used.
"""
from greenlet import GreenletExit, getcurrent  # noqa: F401

from ._greenlet import (Greenlet, joinall, kill, killall, sleep, idle, spawn, spawn_later,  # noqa: F401
                        spawn_raw, wait, iwait)
from .threadpool import get_hub  # noqa: F401
from .timeout import Timeout, with_timeout  # noqa: F401

__version__ = "22.10.2"  # the API endure follows (Debian 12's gevent)

__all__ = ["Greenlet", "GreenletExit", "Timeout", "getcurrent", "idle", "joinall", "kill",
           "killall", "sleep", "spawn", "spawn_later", "spawn_raw", "wait", "iwait",
           "with_timeout", "get_hub"]
