"""gevent.greenlet: where gevent defines Greenlet (some code imports it from here)."""
from ._greenlet import Greenlet  # noqa: F401
