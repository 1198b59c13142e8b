"""Event hooks (locust.event): listeners added with add_listener are called by fire(**kwargs).

events.request is special: firing it from user code (a custom client, or events.request.measure)
records the request in endure's statistics, as Locust's own statistics listener would. endure's
HTTP client records its requests in C++ and only notifies the listeners.
"""
import logging
import time
import traceback
from contextlib import contextmanager

import _endure

_log = logging.getLogger("locust.event")


def error_text(exception):
    """The failure string endure records for an exception (or a message)."""
    if exception is None:
        return None
    if isinstance(exception, str):
        return exception or "failure"
    from .exception import CatchResponseError

    text = str(exception)
    if isinstance(exception, CatchResponseError):
        return text or "failure"
    name = type(exception).__name__
    return f"{name}: {text}" if text else name


class EventHook:
    __slots__ = ("_handlers",)

    def __init__(self):
        self._handlers = []

    def add_listener(self, handler):
        self._handlers.append(handler)
        return handler

    def remove_listener(self, handler):
        self._handlers.remove(handler)

    def fire(self, *, reverse=False, **kwargs):
        handlers = reversed(self._handlers) if reverse else list(self._handlers)
        for handler in handlers:
            try:
                handler(**kwargs)
            except Exception:
                _log.error("Uncaught exception in event handler: \n%s", traceback.format_exc())


class DeprecatedEventHook(EventHook):
    __slots__ = ("message",)

    def __init__(self, message):
        super().__init__()
        self.message = message

    def add_listener(self, handler):
        _log.warning(self.message)
        return super().add_listener(handler)


class RequestEventHook(EventHook):
    __slots__ = ()

    def fire(self, *, reverse=False, **kwargs):
        _endure.record(
            kwargs.get("request_type") or "",
            kwargs.get("name") or "",
            float(kwargs.get("response_time") or 0) * 1000.0,
            int(kwargs.get("response_length") or 0),
            error_text(kwargs.get("exception")),
        )
        super().fire(reverse=reverse, **kwargs)

    def _notify(self, **kwargs):
        """endure's own requests: already recorded, only the listeners are called."""
        EventHook.fire(self, **kwargs)

    @contextmanager
    def measure(self, request_type, name, response_length=0, context=None):
        """Times the block and fires the request event; an exception inside marks it failed."""
        start_time = time.time()
        start = time.perf_counter()
        meta = {
            "request_type": request_type,
            "name": name,
            "response_length": response_length,
            "context": context or {},
            "exception": None,
            "start_time": start_time,
        }
        try:
            yield meta
        except Exception as e:
            meta["exception"] = e
        finally:
            meta["response_time"] = (time.perf_counter() - start) * 1000.0
            self.fire(**meta)


class Events:
    """All of Locust's event hooks (those endure does not fire are accepted and stay silent)."""

    _names = (
        "user_error", "report_to_master", "worker_report", "worker_connect", "spawning_complete",
        "quitting", "quit", "init", "init_command_line_parser", "test_start", "test_stopping",
        "test_stop", "reset_stats", "cpu_warning", "usage_monitor", "heartbeat_sent",
        "heartbeat_received",
    )

    def __init__(self):
        self.request = RequestEventHook()
        for name in self._names:
            setattr(self, name, EventHook())


events = Events()
