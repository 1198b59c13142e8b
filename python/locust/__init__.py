"""endure's own Locust-compatible API: run Locust locustfiles unchanged on endure's C++ engine.

Written for endure (not Locust's code). Users are greenlets on endure's event loop; requests,
timers and statistics are C++. Also importable as `endure`.
"""
import time as _time

import _endure

from . import exception  # noqa: F401
from .contrib.fasthttp import FastHttpUser
from .event import events
from .shape import LoadTestShape
from .user import (HttpUser, SequentialTaskSet, TaskSet, User, between, constant,
                   constant_pacing, constant_throughput, tag, task)

__version__ = "2.12.1"

# time.sleep inside a user yields to the other users instead of blocking the process (elsewhere
# it sleeps as usual).
_time.sleep = _endure.sleep

__all__ = [
    "SequentialTaskSet", "User", "HttpUser", "FastHttpUser", "TaskSet", "task", "tag", "between",
    "constant", "constant_pacing", "constant_throughput", "events", "LoadTestShape", "__version__",
]
