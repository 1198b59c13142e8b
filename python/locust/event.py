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

from .exception import InterruptTaskSet, RescheduleTask, RescheduleTaskImmediately, StopUser

_log = logging.getLogger("locust.event")


# Event handlers that raised ("event: module.function"); Locust then exits with code 2.
failed_handlers = []


def error_text(exception):
    """The failure text Locust records for an exception (its repr, object addresses masked);
    a plain string given as the exception is recorded as its repr too, as Locust does."""
    if exception is None:
        return None
    return _endure.normalize_error(repr(exception))


def _handler_name(handler):
    module = getattr(handler, "__module__", None) or "?"
    name = getattr(handler, "__qualname__", None) or repr(handler)
    code = getattr(handler, "__code__", None)
    where = f" ({code.co_filename}:{code.co_firstlineno})" if code is not None else ""
    return f"{module}.{name}{where}"


class EventHook:
    __slots__ = ("_handlers", "_name")

    def __init__(self, name="event"):
        self._handlers = []
        self._name = name

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
            except (StopUser, RescheduleTask, RescheduleTaskImmediately, InterruptTaskSet):
                raise  # control flow of a task that fired the event: Locust lets it through
            except Exception:
                name = _handler_name(handler)
                failed_handlers.append(f"{self._name}: {name}")
                _log.error("Uncaught exception in event handler %s of %s:\n%s", name, self._name,
                           traceback.format_exc())


class DeprecatedEventHook(EventHook):
    __slots__ = ("message",)

    def __init__(self, message, name="event"):
        super().__init__(name)
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
        self.request = RequestEventHook("request")
        for name in self._names:
            setattr(self, name, EventHook(name))


events = Events()
