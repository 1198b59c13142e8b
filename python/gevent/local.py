"""gevent.local: attributes private to each greenlet (threading.local for greenlets)."""
from weakref import WeakKeyDictionary

from greenlet import getcurrent


class local:
    """Each greenlet sees its own attributes on the same object."""

    __slots__ = ("_endure_values", "__weakref__")

    def __init__(self, *args, **kwargs):
        object.__setattr__(self, "_endure_values", WeakKeyDictionary())

    def _mine(self):
        values = object.__getattribute__(self, "_endure_values")
        g = getcurrent()
        d = values.get(g)
        if d is None:
            d = values[g] = {}
        return d

    def __getattribute__(self, name):
        if name in ("_mine", "__class__", "__dict__"):
            if name == "__dict__":
                return object.__getattribute__(self, "_mine")()
            return object.__getattribute__(self, name)
        d = object.__getattribute__(self, "_mine")()
        if name in d:
            return d[name]
        return object.__getattribute__(self, name)

    def __setattr__(self, name, value):
        object.__getattribute__(self, "_mine")()[name] = value

    def __delattr__(self, name):
        d = object.__getattribute__(self, "_mine")()
        try:
            del d[name]
        except KeyError:
            raise AttributeError(name) from None
