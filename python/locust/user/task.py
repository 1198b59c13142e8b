"""Tasks and task sets: @task, @tag, TaskSet, SequentialTaskSet, and the loop that runs them.

The loop follows Locust's rules: pick a task (weighted), run it, wait, repeat; RescheduleTask
skips to the wait, RescheduleTaskImmediately skips the wait, InterruptTaskSet leaves a task set,
StopUser ends the user; any other exception is recorded and the user carries on.
"""
import random
import sys
import time
import traceback
from types import FunctionType

import _endure
from gevent.timeout import Timeout as _GeventTimeout
from greenlet import GreenletExit, getcurrent

from ..exception import (InterruptTaskSet, LocustError, MissingWaitTimeError, RescheduleTask,
                         RescheduleTaskImmediately, StopTest, StopUser)

KILLED = 2
PARK_S = 1.0  # waits between a user's own tasks from this long on end its greenlet (see run())


def task(weight=1):
    """@task or @task(weight): marks a method (or a TaskSet class) as a task of its class."""
    if callable(weight) and not isinstance(weight, int):
        weight.locust_task_weight = 1
        return weight

    def mark(func):
        func.locust_task_weight = weight
        return func

    return mark


def tag(*tags):
    """@tag("a", "b"): tags for --tags / --exclude-tags."""
    for t in tags:
        if not isinstance(t, str):
            raise ValueError("tags must be strings")

    def mark(obj):
        obj.locust_tag_set = getattr(obj, "locust_tag_set", set()) | set(tags)
        return obj

    return mark


def collect_tasks(bases, class_dict):
    """A class's task list, each task repeated by its weight (inherited tasks first)."""
    tasks = []
    for base in bases:
        inherited = getattr(base, "tasks", None)
        if inherited:
            tasks += list(inherited)
    declared = class_dict.get("tasks")
    if declared is not None:
        items = declared.items() if isinstance(declared, dict) else declared
        for item in items:
            if isinstance(item, tuple):
                func, weight = item
                tasks += [func] * int(weight)
            else:
                tasks.append(item)
    for value in class_dict.values():
        weight = getattr(value, "locust_task_weight", None)
        if weight is not None and (callable(value) or isinstance(value, type)):
            tasks += [value] * int(weight)
    return tasks


def is_taskset(obj):
    return isinstance(obj, type) and issubclass(obj, TaskSet)


def task_name(t):
    return getattr(t, "__name__", None) or type(t).__name__


def task_labels(owner_class):
    """task -> "User.task" (or "User.TaskSet.task"): what endure reports as running when a shard
    is stuck. Kept forever (the hub reads them without the GIL), one dict per class."""
    labels = owner_class.__dict__.get("_endure_labels")
    if labels is None:
        labels = {}
        setattr(owner_class, "_endure_labels", labels)
    return labels


def task_label(labels, prefix, t):
    label = labels.get(t)
    if label is None:
        label = labels[t] = sys.intern(f"{prefix}.{task_name(t)}")
    return label


def report_exception(exception, tb, where_instance):
    """Records an exception of user code in the exceptions table (str(exception), as Locust's
    table shows it) and fires user_error."""
    _endure.record_exception(str(exception), "".join(traceback.format_tb(tb)))
    from ..event import events

    events.user_error.fire(user_instance=where_instance, exception=exception, tb=tb)


def run_on_stop(owner):
    """Runs owner.on_stop() (a user or a task set) unless the user was killed mid-stop; its
    errors are recorded like a task's, StopUser and GreenletExit end it quietly."""
    if _endure.state() == KILLED:
        return
    try:
        owner.on_stop()
    except (StopUser, GreenletExit):
        pass
    except Exception as e:
        report_exception(e, e.__traceback__, owner)

class TaskSetMeta(type):
    def __new__(mcs, name, bases, class_dict):
        class_dict["tasks"] = collect_tasks(bases, class_dict)
        return type.__new__(mcs, name, bases, class_dict)


class TaskSet(metaclass=TaskSetMeta):
    """A group of tasks a user runs for a while (until interrupt())."""

    tasks = []
    min_wait = None
    max_wait = None
    wait_function = None
    _is_top = False

    def __init__(self, parent):
        self._task_queue = []
        self._time_start = time.time()
        if isinstance(parent, TaskSet):
            self._user = parent.user
        else:
            self._user = parent
        self._parent = parent

    @property
    def user(self):
        return self._user

    @property
    def parent(self):
        return self._parent

    @property
    def client(self):
        return self._user.client

    @property
    def environment(self):
        return self._user.environment

    def on_start(self):
        pass

    def on_stop(self):
        pass

    def wait_time(self):
        """The wait after each task: the task set's own wait_time if it sets one, else the user's."""
        if self._user.wait_time:
            return self._user.wait_time()
        raise MissingWaitTimeError(
            "You must define a wait_time method on either the %s or %s class"
            % (type(self._user).__name__, type(self).__name__))

    def get_next_task(self):
        if not self.tasks:
            raise LocustError(
                "No tasks defined on %s. Use the @task decorator or set the 'tasks' attribute"
                % type(self).__name__)
        return random.choice(self.tasks)

    def schedule_task(self, task_callable, first=False):
        if first:
            self._task_queue.insert(0, task_callable)
        else:
            self._task_queue.append(task_callable)

    def execute_task(self, t):
        if hasattr(t, "__self__"):
            t()
        elif is_taskset(t):
            t(self).run()
        else:
            t(self)

    def _iteration_done(self):
        # Under the open model: one task is one iteration of a plain task set.
        return True

    def interrupt(self, reschedule=True):
        """Leaves this task set and returns to the parent."""
        raise InterruptTaskSet(reschedule)

    def _mark_task_start(self):
        self._endure_task_start = time.monotonic()

    def wait(self):
        self._check_stop_condition()
        _endure.wait(self.wait_time())
        self._check_stop_condition()

    def _sleep(self, seconds):
        _endure.sleep(seconds)

    def _check_stop_condition(self):
        if _endure.state():
            raise StopUser()

    def _on_stop_safely(self):
        run_on_stop(self)

    def run(self):
        try:
            self.on_start()
        except InterruptTaskSet as e:
            if e.reschedule:
                raise RescheduleTaskImmediately(e.reschedule).with_traceback(e.__traceback__)
            raise RescheduleTask(e.reschedule).with_traceback(e.__traceback__)
        top = self._is_top
        queue = self._task_queue
        # One label table per (task set, user class): a task set may serve several user classes.
        labels = task_labels(type(self)).setdefault(type(self._user), {})
        prefix = f"{type(self._user).__name__}.{type(self).__name__}"
        task_start = _endure.task_start
        # The open model (--arrival-rate): a nested task set is one iteration: a whole pass of a
        # SequentialTaskSet (a journey, with its waits between steps), else one of its tasks.
        journey = not top and _endure.open_user()
        while True:
            try:
                self._check_stop_condition()
                t = queue.pop(0) if queue else self.get_next_task()
                self._endure_task_start = task_start(task_label(labels, prefix, t))
                skip_wait = False
                try:
                    self.execute_task(t)
                except RescheduleTaskImmediately:
                    skip_wait = True
                except RescheduleTask:
                    pass
                except (StopUser, GreenletExit, StopTest):
                    raise
                except InterruptTaskSet:
                    if not top:
                        raise
                    _endure.record_exception(
                        "InterruptTaskSet: interrupt() called outside a task set",
                        "%s.%s" % (type(self._user).__name__, task_name(t)))
                except (Exception, _GeventTimeout) as e:
                    # A gevent.Timeout is a BaseException: one that leaves a task is recorded as
                    # the task's exception instead of ending the user.
                    report_exception(e, e.__traceback__, self)
                if top and _endure.task_done():
                    raise StopUser()
                if journey and not queue and self._iteration_done():
                    raise InterruptTaskSet(True)
                if not skip_wait:
                    self.wait()
            except InterruptTaskSet as e:
                self._on_stop_safely()
                if e.reschedule:
                    raise RescheduleTaskImmediately(e.reschedule).with_traceback(e.__traceback__)
                raise RescheduleTask(e.reschedule).with_traceback(e.__traceback__)
            except (StopUser, GreenletExit, StopTest):
                self._on_stop_safely()
                raise


class DefaultTaskSet(TaskSet):
    """Runs the tasks declared on a User class itself (with the user as `self`)."""

    _is_top = True

    def run(self, resumed=False):
        """TaskSet.run for the user's own tasks, with the per-task work cut to the minimum: plain
        functions are called directly, and one C call after each task counts it for -i and checks
        for a stop; the wait returns the state after it. Same rules and order as TaskSet.run.

        A wait of PARK_S or more is not waited here: run() returns its length, the user's
        greenlet ends, and endure's hub calls run(resumed=True) in a new greenlet after the wait
        (or at once on a stop). An idle user then holds no greenlet and no Python frames."""
        user = self._user
        queue = self._task_queue
        after_task = _endure.after_task
        wait = _endure.wait
        choice = random.choice
        task_start = _endure.task_start
        labels = task_labels(type(user))
        prefix = type(user).__name__
        # The open model (--arrival-rate): one task per arrival, no wait_time between them.
        next_iteration = _endure.next_iteration if _endure.open_user() else None
        try:
            if _endure.state():
                raise StopUser()
            while True:
                if next_iteration is not None and next_iteration():
                    raise StopUser()
                if queue:
                    t = queue.pop(0)
                else:
                    tasks = user.tasks
                    if not tasks:
                        raise LocustError(
                            "No tasks defined on %s. Use the @task decorator or set the 'tasks' "
                            "attribute" % type(user).__name__)
                    t = tasks[0] if len(tasks) == 1 else choice(tasks)
                # task_start() publishes "Class.task" for stuck reports and returns
                # time.monotonic() (constant_pacing's start): one C call for both.
                label = labels.get(t)
                user._endure_task_start = task_start(
                    label if label is not None else task_label(labels, prefix, t))
                skip_wait = False
                try:
                    if type(t) is FunctionType:
                        t(user)
                    else:
                        self.execute_task(t)
                except RescheduleTaskImmediately:
                    skip_wait = True
                except RescheduleTask:
                    pass
                except (StopUser, GreenletExit, StopTest):
                    raise
                except InterruptTaskSet:
                    _endure.record_exception(
                        "InterruptTaskSet: interrupt() called outside a task set",
                        "%s.%s" % (type(user).__name__, task_name(t)))
                except (Exception, _GeventTimeout) as e:
                    # A gevent.Timeout is a BaseException: one that leaves a task is recorded as
                    # the task's exception instead of ending the user.
                    report_exception(e, e.__traceback__, self)
                if after_task():
                    raise StopUser()
                if not skip_wait and next_iteration is None:
                    seconds = user.wait_time()
                    if seconds >= PARK_S:
                        ctx = getcurrent().gr_context
                        if ctx is not None:
                            user._endure_context = ctx
                        user._greenlet = None  # parked: no greenlet (the ended one is freed)
                        return float(seconds)
                    if wait(seconds):
                        raise StopUser()
        except (StopUser, GreenletExit, StopTest):
            self._on_stop_safely()
            raise

    def get_next_task(self):
        tasks = self._user.tasks
        if not tasks:
            raise LocustError(
                "No tasks defined on %s. Use the @task decorator or set the 'tasks' attribute"
                % type(self._user).__name__)
        return random.choice(tasks)

    def execute_task(self, t):
        if is_taskset(t):
            t(self._user).run()
        elif hasattr(t, "__self__"):
            t()
        else:
            t(self._user)

    def wait_time(self):
        return self._user.wait_time()

    def _mark_task_start(self):
        self._user._endure_task_start = time.monotonic()

    def on_start(self):
        pass

    def on_stop(self):
        pass


class SequentialTaskSetMeta(TaskSetMeta):
    pass


class SequentialTaskSet(TaskSet):
    """Runs its tasks in the order they are declared, over and over."""

    def __init__(self, parent):
        super().__init__(parent)
        self._index = 0

    def get_next_task(self):
        if not self.tasks:
            raise LocustError("No tasks defined on %s" % type(self).__name__)
        t = self.tasks[self._index % len(self.tasks)]
        self._index += 1
        return t

    def _iteration_done(self):
        # Under the open model: a whole pass over the tasks (a journey) is one iteration.
        return self._index % len(self.tasks) == 0
