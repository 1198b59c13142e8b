"""self.environment: the test's settings, events, runner and statistics."""
from .event import events as _events
from .runners import LocalRunner
from .stats import RequestStats


class Environment:
    def __init__(self, *, user_classes=None, shape_class=None, events=None, host=None,
                 reset_stats=False, stop_timeout=None, catch_exceptions=True, parsed_options=None,
                 tags=None, exclude_tags=None, **kwargs):
        self.events = events or _events
        self.user_classes = list(user_classes or [])
        self.available_user_classes = {c.__name__: c for c in self.user_classes}
        self.shape_class = shape_class
        self.host = host
        self.reset_stats = reset_stats
        self.stop_timeout = stop_timeout
        self.catch_exceptions = catch_exceptions
        self.parsed_options = parsed_options
        self.tags = tags
        self.exclude_tags = exclude_tags
        self.stats = RequestStats()
        self.runner = None
        self.web_ui = None
        self.process_exit_code = None

    def create_local_runner(self):
        self.runner = LocalRunner(self)
        return self.runner
