"""The glue endure's C++ side calls: load the locustfile, configure the run, make and run users,
fire runner events. Not part of the user-facing API."""
import importlib.util
import inspect
import json
import os
import random
import sys
import logging
import traceback

from greenlet import getcurrent

from .env import Environment
from .event import events
from .shape import LoadTestShape
from .user.task import is_taskset, task_name
from .user.users import HttpUser, User

_log = logging.getLogger("locust.main")
_classes = []
_shapes = []
_env = None
_files = []


def _is_user_class(v):
    return inspect.isclass(v) and issubclass(v, User) and v.abstract is False


def _error_line(e, path):
    """"FILE:LINE: Type: message" for an exception raised while importing a locustfile."""
    frames = traceback.extract_tb(e.__traceback__)
    full = os.path.abspath(path)
    mine = [f for f in frames if os.path.abspath(f.filename) == full]
    text = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
    if not mine:
        return f"{path}: {text}"
    where = mine[-1]
    line = f"{path}:{where.lineno}: {text}"
    inner = frames[-1]
    if inner is not where:
        line += f" (raised in {inner.filename}:{inner.lineno})"
    return line


def _setup_logging():
    """Python's logging as Locust sets it up before importing a locustfile (INFO and up, so a
    locustfile's logging.info() shows), in endure's own line format, on stderr."""
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("[%(asctime)s] %(levelname)s [%(name)s]: %(message)s",
                                           "%Y-%m-%d %H:%M:%S"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def load(paths):
    """Imports the locustfiles; returns {"classes": [...], "shapes": [...]} or {"error": "..."}."""
    global _files
    _setup_logging()
    _files = list(paths)
    del _classes[:]
    del _shapes[:]
    for path in paths:
        d = os.path.dirname(os.path.abspath(path))
        if d not in sys.path:
            sys.path.insert(1, d)
    for path in paths:
        stem = os.path.splitext(os.path.basename(path))[0]
        name = stem if stem not in sys.modules else "_endure_locustfile_" + stem
        try:
            spec = importlib.util.spec_from_file_location(name, os.path.abspath(path))
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
        except SyntaxError as e:
            sys.modules.pop(name, None)
            src = path
            if e.filename and os.path.abspath(e.filename) != os.path.abspath(path):
                src = e.filename
            where = f"{src}:{e.lineno}" if e.lineno else src
            return {"error": f"{where}: {type(e).__name__}: {e.msg}"}
        except BaseException as e:  # SystemExit and friends too: the import must not end endure
            sys.modules.pop(name, None)
            return {"error": _error_line(e, path)}
        for v in list(vars(module).values()):
            if _is_user_class(v) and v not in _classes:
                _classes.append(v)
            elif (inspect.isclass(v) and issubclass(v, LoadTestShape) and v is not LoadTestShape
                  and v.__dict__.get("abstract", False) is False and v not in _shapes):
                _shapes.append(v)
    if not _classes:
        return {"error": f"{', '.join(paths)}: no user class found (define a subclass of User or "
                         "HttpUser; a class with abstract = True does not count)"}
    # As Locust: a class without tasks is an error of that class only; the others run.
    no_tasks = []
    for c in [c for c in _classes if not c.tasks]:
        try:
            where = f"{inspect.getsourcefile(c)}:{inspect.getsourcelines(c)[1]}: "
        except (OSError, TypeError):
            where = ""
        no_tasks.append(f"{where}no tasks defined on {c.__name__}: use the @task decorator or set "
                        "its tasks attribute (or abstract = True for a base class)")
        _classes.remove(c)
    if not _classes:
        return {"error": no_tasks[0]}
    for text in no_tasks:
        _log.error(text + "; it is not spawned, the other classes run")
    try:
        rates = {c: _arrival_rate(c) for c in _classes}
        sessions = {c: _session_length(c) for c in _classes}
    except ValueError as e:
        return {"error": str(e)}
    return {
        "classes": [{"name": c.__name__, "weight": int(c.weight), "fixed_count": int(c.fixed_count),
                     "arrival_rate": rates[c], "session_length": sessions[c], "host": c.host or "", "needs_host": issubclass(c, HttpUser), "cls": c}
                    for c in _classes],
        "shapes": [s.__name__ for s in _shapes],
    }


def _arrival_rate(c):
    """The class's own open-model rate as given (a number of arrivals per second, or a text such as
    "300/m", parsed by endure with --arrival-rate's grammar); None when it has none."""
    r = getattr(c, "arrival_rate", None)
    if r is None or isinstance(r, str):
        return r
    if isinstance(r, bool) or not isinstance(r, (int, float)):
        raise ValueError(f"{c.__name__}.arrival_rate = {r!r}: expected arrivals per second above zero")
    return float(r)


def _session_length(c):
    """The class's own session churn as given (a text such as "20m..60m" or "30m", parsed by
    endure with --session-length's grammar, or (min_seconds, max_seconds)); None when it has none."""
    r = getattr(c, "session_length", None)
    if r is None or isinstance(r, str):
        return r
    if isinstance(r, (tuple, list)) and len(r) == 2:
        try:
            return (int(float(r[0]) * 1000), int(float(r[1]) * 1000))
        except (TypeError, ValueError):
            pass
    raise ValueError(f"{c.__name__}.session_length = {r!r}: expected a range such as '20m..60m', "
                     "a duration such as '30m', or (min_seconds, max_seconds)")


def _distribution(classes, num_users):
    """Users per class for num_users, as Locust's --show-task-ratio computes it."""
    fixed = sum(c.fixed_count for c in classes if c.fixed_count)
    total_weight = sum(c.weight for c in classes if not c.fixed_count)
    num_users = num_users or (total_weight if not fixed else 1)
    weighted = max(0, num_users - fixed)
    return {c.__name__: round(c.fixed_count if c.fixed_count else
                              (c.weight / total_weight if total_weight else 0) * weighted)
            for c in classes}


def _nested_ratios(tasks, total, parent):
    scale = parent if total else 1.0
    counts = {}
    for t in tasks:
        counts[t] = counts.get(t, 0) + 1
    out = {}
    for t, n in counts.items():
        entry = {"ratio": n * scale / len(tasks)}
        if is_taskset(t):
            entry["tasks"] = _nested_ratios(t.tasks, total, entry["ratio"])
        out[task_name(t)] = entry
    return out


def task_ratio_locust_json(names, num_users=None):
    """Locust's --show-task-ratio-json text: {"per_class": ..., "total": ...}; a task's ratio is
    relative to its parent in per_class and to the whole test in total."""
    picked = [c for c in _classes if c.__name__ in names] if names else list(_classes)
    if num_users is None:  # the -u given to configure(), as Locust uses options.num_users
        num_users = getattr(_env.parsed_options, "num_users", None) if _env is not None else None
    spawned = _distribution(picked, num_users)
    count = sum(spawned.values()) or 1

    def table(total):
        out = {}
        for c in picked:
            r = spawned.get(c.__name__, 0) / count
            out[c.__name__] = {"ratio": r, "tasks": _nested_ratios(c.tasks, total, r)}
        return out

    return json.dumps({"per_class": table(False), "total": table(True)}, indent=4)


def _tags_of(t):
    return getattr(t, "locust_tag_set", set())


def _filter_tasks(cls, tags, exclude, seen):
    """Locust's --tags / --exclude-tags: keeps tagged tasks (and task sets with kept tasks)."""
    if cls in seen:
        return
    seen.add(cls)
    kept = []
    for t in cls.tasks:
        t_tags = _tags_of(t)
        if exclude and t_tags & exclude:
            continue
        if is_taskset(t):
            _filter_tasks(t, tags if not (tags and t_tags & tags) else None, exclude, seen)
            if t.tasks:
                kept.append(t)
        elif not tags or t_tags & tags:
            kept.append(t)
    cls.tasks = kept


def configure(options_json):
    """Sets up the environment for a run and fires init."""
    global _env
    import _endure
    _endure.reset_totals()  # environment.stats belongs to this run
    opts = json.loads(options_json)
    if opts.get("seed") is not None:
        random.seed(opts["seed"])
    host = opts.get("host") or None
    if host:
        for c in _classes:
            c.host = host
    tags = set(opts.get("tags") or []) or None
    exclude = set(opts.get("exclude_tags") or []) or None
    if tags or exclude:
        seen = set()
        for c in _classes:
            _filter_tasks(c, tags, exclude, seen)
    parsed_values = dict(opts.get("parsed_options") or opts)
    parsed_values.update(_convert_extra(parsed_values.pop("extra", None)))
    parsed = _Options(parsed_values)
    _env = Environment(user_classes=_classes, shape_class=_shapes[0]() if _shapes else None,
                       events=events, host=host, parsed_options=parsed, tags=tags,
                       exclude_tags=exclude, stop_timeout=opts.get("stop_timeout"))
    runner = _env.create_local_runner()
    if _env.shape_class is not None:
        _env.shape_class.runner = runner
    events.init.fire(environment=_env, runner=runner, web_ui=None)
    return True


class _Options:
    """environment.parsed_options: Locust's option names as attributes (missing ones are None)."""

    def __init__(self, values):
        self.__dict__.update(values)

    def __getattr__(self, name):
        return None

    def __repr__(self):
        return "Namespace(%s)" % ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items())


def set_host(host):
    """A test's host (--host, or a master's spawn message): every class runs against it."""
    for c in _classes:
        c.host = host


def hub_started():
    """On the test's thread as its loop starts: greenlets spawned before it (events.init)."""
    from gevent import _greenlet
    _greenlet._start_pending()


def event_failures():
    """Names of the event handlers that raised (Locust then exits with code 2)."""
    from .event import failed_handlers
    return list(failed_handlers)


def process_exit_code():
    return None if _env is None else _env.process_exit_code


def environment():
    return _env


def make_user(cls):
    return cls(_env)


def run_user(user):
    """The body of a user's greenlet: returns None when the user ended, or the seconds of a
    long wait it parks for (the hub then starts resume_user after it)."""
    user._greenlet = getcurrent()
    return user.run()


def resume_user(user):
    """The body of a parked user's next greenlet (its contextvars context carries over)."""
    g = getcurrent()
    ctx = user.__dict__.pop("_endure_context", None)
    if ctx is not None:
        g.gr_context = ctx
    user._greenlet = g
    return user._resume()


def fire_runner_event(name, user_count):
    runner = _env.runner if _env else None
    if name == "test_start":
        runner.state = "spawning"
        runner._endure_started()
        events.test_start.fire(environment=_env)
    elif name == "spawning_complete":
        runner.state = "running"
        events.spawning_complete.fire(user_count=user_count)
    elif name == "test_stopping":
        runner.state = "stopping"
        events.test_stopping.fire(environment=_env)
    elif name == "test_stop":
        runner.state = "stopped"
        events.test_stop.fire(environment=_env)
    elif name == "reset_stats":
        import _endure
        _endure.reset_totals()
        events.reset_stats.fire()


def finish(exit_code):
    """Fires quitting, then quit with Locust's exit code, and returns that code."""
    from .event import failed_handlers
    events.quitting.fire(environment=_env, reverse=True)
    code = exit_code
    if _env is not None and _env.process_exit_code is not None:
        code = int(_env.process_exit_code)
    elif code == 0 and failed_handlers:
        # As Locust: an uncaught exception in an event handler makes the exit code 2.
        _log.error("exit code 2: %d event handler(s) raised: %s", len(failed_handlers),
                   "; ".join(dict.fromkeys(failed_handlers)))
        code = 2
    events.quit.fire(exit_code=code)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    return code


def shape_tick(run_time, user_count):
    """The runner asks the load shape for targets: None ends the test."""
    shape = _env.shape_class if _env is not None else None
    if shape is None:
        return None
    shape._endure_run_time = run_time
    shape._endure_user_count = user_count
    result = shape.tick()
    if result is None:
        return None
    if not isinstance(result, (tuple, list)) or len(result) not in (2, 3):
        raise ValueError("%s.tick() must return (users, spawn_rate), (users, spawn_rate, "
                         "user_classes) or None, not %r" % (type(shape).__name__, result))
    classes = []
    if len(result) == 3 and result[2]:
        classes = [c if isinstance(c, str) else c.__name__ for c in result[2]]
    return (int(result[0]), float(result[1]), classes)


class _ArgumentRecorder:
    """What events.init_command_line_parser listeners get as `parser`: add_argument() is recorded
    so endure's command line, config files and environment accept the option."""

    def __init__(self):
        self.options = []
        self._types = {}

    def add_argument(self, *names, **kwargs):
        longs = [n for n in names if n.startswith("--")]
        if not longs:
            raise ValueError("endure needs a --long name for locustfile options, got %r" % (names,))
        name = longs[0][2:]
        action = kwargs.get("action")
        is_flag = action in ("store_true", "store_false")
        default = kwargs.get("default")
        if default is None and action == "store_true":
            default = False
        if default is None and action == "store_false":
            default = True
        self._types[name] = (kwargs.get("type"), action, kwargs.get("dest") or name.replace("-", "_"))
        self.options.append({
            "name": name,
            "is_flag": is_flag,
            "default": "" if default is None else (str(default).lower() if is_flag else str(default)),
            "help": str(kwargs.get("help") or "").replace("%(default)s", str(default)),
            "choices": [str(c) for c in (kwargs.get("choices") or [])],
            # endure checks int and float values itself (command line, config, the web form).
            "type": {int: "int", float: "float"}.get(kwargs.get("type"), ""),
        })
        return self

    def add_argument_group(self, *args, **kwargs):
        return self

    def convert(self, name, text):
        kind, action, dest = self._types.get(name, (None, None, name.replace("-", "_")))
        if action in ("store_true", "store_false"):
            value = text == "true"
        elif text == "" and kind is not None:
            value = None
        elif kind is not None:
            value = kind(text)
        else:
            value = text
        return dest, value


_recorder = None


def custom_options():
    """Fires init_command_line_parser once; returns the locustfile's options as JSON."""
    global _recorder
    if _recorder is None:
        _recorder = _ArgumentRecorder()
        events.init_command_line_parser.fire(parser=_recorder)
    return json.dumps(_recorder.options)


def set_options(values_json):
    """New values of the locustfile's own options between tests (the web UI's start form)."""
    if _env is None or _env.parsed_options is None:
        raise RuntimeError("the environment is not configured yet")
    for dest, value in _convert_extra(json.loads(values_json)).items():
        setattr(_env.parsed_options, dest, value)
    return True


def _convert_extra(values):
    out = {}
    for name, text in (values or {}).items():
        dest, value = (_recorder.convert(name, text) if _recorder else (name.replace("-", "_"), text))
        out[dest] = value
    return out
