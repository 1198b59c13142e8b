"""endure's own Locust-compatible API: run Locust locustfiles unchanged on endure's C++ engine.

Written for endure (not Locust's code). Users are greenlets on endure's event loop; requests,
timers and statistics are C++. Also importable as `endure`.
"""
# First of all: make the standard library's blocking I/O cooperative (as Locust's own import does
# through gevent), before anything imports ssl or selectors.
from gevent import monkey as _monkey

_monkey._endure_patch()

from . import exception  # noqa: F401
from .contrib.fasthttp import FastHttpUser
from .event import events
from .shape import LoadTestShape
from .debug import run_single_user
from .user import (HttpUser, MarkovTaskSet, SequentialTaskSet, TaskSet, User, between, constant,
                   constant_pacing, constant_throughput, tag, task, transition, transitions)

__version__ = "2.12.1"

__all__ = [
    "SequentialTaskSet", "User", "HttpUser", "FastHttpUser", "TaskSet", "task", "tag", "between",
    "constant", "constant_pacing", "constant_throughput", "events", "LoadTestShape", "__version__",
    "run_single_user", "MarkovTaskSet", "transition", "transitions",
]
