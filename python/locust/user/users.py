"""User and HttpUser: a simulated user runs its tasks in its own greenlet on endure's hub."""
import sys

from greenlet import GreenletExit

import _endure

from ..exception import LocustError, StopTest, StopUser
from .task import (DefaultTaskSet, TaskSet, collect_tasks, report_exception, run_on_stop,
                   task_labels)
from .wait_time import constant

KILLED = 2


class UserMeta(type):
    """Collects @task methods into `tasks`; a class is concrete unless it says abstract = True."""

    def __new__(mcs, name, bases, class_dict):
        class_dict["tasks"] = collect_tasks(bases, class_dict)
        if "abstract" not in class_dict:
            class_dict["abstract"] = False
        return type.__new__(mcs, name, bases, class_dict)


class User(metaclass=UserMeta):
    """A user that runs tasks; subclass it (or HttpUser) and declare @task methods."""

    host = None
    min_wait = None
    max_wait = None
    wait_time = constant(0)
    wait_function = None
    tasks = []
    weight = 1
    fixed_count = 0
    abstract = True
    environment = None

    def __init__(self, environment):
        self.environment = environment
        self._state = None
        self._greenlet = None
        self._taskset_instance = None

    def on_start(self):
        pass

    def on_stop(self):
        pass

    def context(self):
        return {}

    @property
    def greenlet(self):
        return self._greenlet

    def wait(self):
        """Waits wait_time() seconds (a graceful stop ends the wait early)."""
        self._taskset_instance.wait()

    def stop(self, force=False):
        """From inside the user's own tasks: ends this user (raises StopUser)."""
        raise StopUser()

    def _on_stop_safely(self):
        run_on_stop(self)

    def run(self):
        """Runs the user: on_start, its tasks, on_stop. Returns a number of seconds instead when
        the user parks for a long wait between tasks (endure's hub then resumes it in a new
        greenlet with _resume(): an idle user holds no greenlet and no Python frames)."""
        self._state = "running"
        self._taskset_instance = DefaultTaskSet(self)
        return self._run(True)

    def _resume(self):
        return self._run(False)

    def _run(self, first):
        parked = None
        try:
            try:
                if first:
                    _endure.task_start(_on_start_label(type(self)))
                    self.on_start()
                elif _endure.state() == KILLED:
                    raise GreenletExit()  # killed while parked: as if killed in the wait
            except (StopUser, GreenletExit, StopTest):
                raise
            except Exception as e:
                # As endure's C++ users: the user ends, its on_stop still runs.
                report_exception(e, e.__traceback__, self)
                self._on_stop_safely()
                return None
            parked = self._taskset_instance.run(not first)
            return parked
        except StopUser:
            self._on_stop_safely()
        except StopTest:
            _endure.stop_test()
            self._on_stop_safely()
        except GreenletExit:
            # Killed (stop timeout reached, or --stop-timeout 0): on_stop still runs and its
            # requests count, as in Locust and for endure's C++ users.
            _endure.unkill()
            self._on_stop_safely()
        finally:
            if parked is None:
                self._state = "stopped"
        return None


def _on_start_label(cls):
    labels = task_labels(cls)
    label = labels.get("on_start")
    if label is None:
        label = labels["on_start"] = sys.intern(cls.__name__ + ".on_start")
    return label


class HttpUser(User):
    """A user with an HTTP client: self.client.get("/path") and friends."""

    abstract = True
    pool_manager = None
    _session_class = None  # HttpSession; FastHttpUser sets its own
    _endure_needs_host = True

    def __init__(self, environment):
        super().__init__(environment)
        if self.host is None:
            raise LocustError(
                "You must specify the base host. Either in the host attribute in the User class, "
                "or on the command line using the --host option.")
        from ..clients import HttpSession

        session_class = self._session_class or HttpSession
        self.client = session_class(base_url=self.host, request_event=environment.events.request,
                                    user=self)


__all__ = ["User", "HttpUser", "TaskSet"]
