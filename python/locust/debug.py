"""locust.debug: run_single_user and the request printer it uses.

Importing run_single_user never changes a locustfile's behaviour under endure (a locustfile
calls it under `if __name__ == "__main__":`, which endure's import never runs). Called, it runs
one user in the foreground on a loop of its own and prints every request as Locust does, until
the user stops (StopUser, or an error in on_start); init and test_start fire first.
"""
import inspect
import os
from datetime import datetime, timezone

from .exception import CatchResponseError


class PrintListener:
    """Prints every request (type, name, response time, error), one line each, tab-separated."""

    def __init__(self, env, include_length=False, include_time=False, include_context=False,
                 include_payload=False):
        env.events.request.add_listener(self.on_request)
        self.include_length = include_length
        self.include_time = include_time
        self.include_context = include_context
        self.include_payload = include_payload
        head = ["time" + " " * 20] if include_time else []
        head += ["type", "name".ljust(50), "resp_ms"]
        head += ["length"] if include_length else []
        head += ["exception"]
        head += ["context"] if include_context else [""]
        head += ["payload"] if include_payload else [""]
        print("\n" + "\t".join(head))

    def on_request(self, request_type, name, response_time, response_length, exception=None,
                   context=None, start_time=None, response=None, **kwargs):
        if exception:
            text = str(exception) if isinstance(exception, CatchResponseError) else repr(exception)
            text = text[:500].replace("\n", " ")
        else:
            text = ""
        cells = []
        if self.include_time:
            cells.append(str(datetime.fromtimestamp(start_time, tz=timezone.utc) if start_time
                             else datetime.now()))
        cells += [str(request_type), (name.ljust(30) if name else "").ljust(50),
                  str(round(response_time if response_time is not None else -1)).ljust(7)]
        if self.include_length:
            cells.append(str(response_length))
        cells.append(text.ljust(9))
        if self.include_context:
            cells.append(str(context or ""))
        if self.include_payload:
            cells.append(str(getattr(getattr(response, "request", None), "body", "")))
        print("\t".join(cells) + "\t")


_env = None


def run_single_user(user_class, include_length=False, include_time=False, include_context=False,
                    include_payload=False, loglevel=None):
    """Runs one user of user_class in the foreground (fires init and test_start first)."""
    global _env
    import _endure

    from .env import Environment
    from .event import events

    if _env is None:
        _env = Environment(events=events)
        from ._hub import _Options
        frame = inspect.stack()[1]
        _env.parsed_options = _Options({"locustfile": os.path.basename(frame[0].f_code.co_filename)})
        PrintListener(_env, include_length=include_length, include_time=include_time,
                      include_context=include_context, include_payload=include_payload)
        events.init.fire(environment=_env, runner=None, web_ui=None)
    _env.user_classes = [user_class]
    if user_class.host is None and getattr(user_class, "_endure_needs_host", False):
        from .exception import LocustError
        raise LocustError("run_single_user: %s has no host" % user_class.__name__)
    events.test_start.fire(environment=_env)
    from . import _hub
    _endure.run_single_user(user_class, lambda cls: cls(_env), _hub.run_user, _hub.resume_user,
                            _hub.hub_started)
