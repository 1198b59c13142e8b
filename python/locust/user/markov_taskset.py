"""MarkovTaskSet (newer Locust): tasks are the states of a Markov chain; after each task the next
one is drawn from its @transition / @transitions, by weight. The first task declared is where a
user starts each time it enters the task set."""
import random

from ..exception import LocustError
from .task import TaskSet, TaskSetMeta


class MarkovTaskSetError(LocustError):
    pass


def transition(func_name, weight=1):
    """@transition("other_task", weight=1): after this task, go to other_task (weighted)."""

    def mark(func):
        func._endure_transitions = getattr(func, "_endure_transitions", []) + [(func_name, weight)]
        return func

    return mark


def transitions(weights):
    """@transitions({"a": 1, "b": 2}) or @transitions(["a", ("b", 2)]): several transitions."""

    def mark(func):
        items = weights.items() if isinstance(weights, dict) else (
            (w, 1) if isinstance(w, str) else tuple(w) for w in weights)
        func._endure_transitions = getattr(func, "_endure_transitions", []) + list(items)
        return func

    return mark


class MarkovTaskSetMeta(TaskSetMeta):
    def __new__(mcs, name, bases, class_dict):
        states = {k: v for k, v in class_dict.items()
                  if callable(v) and hasattr(v, "_endure_transitions")}
        if class_dict.get("abstract") or (not states and name == "MarkovTaskSet"):
            return super().__new__(mcs, name, bases, class_dict)
        if any(hasattr(v, "locust_task_weight") for v in class_dict.values()):
            raise MarkovTaskSetError(f"MarkovTaskSet {name} cannot use @task; use @transition "
                                     "or @transitions")
        if not states:
            raise MarkovTaskSetError(f"MarkovTaskSet {name} has no tasks with @transition or "
                                     "@transitions")
        chain = {}
        for state, func in states.items():
            targets = []
            for target, weight in func._endure_transitions:
                if target not in states:
                    raise MarkovTaskSetError(f"transition from {state} to {target} in {name}: "
                                             f"{target} is not a task of {name}")
                targets += [target] * int(weight)
            chain[state] = targets
        cls = super().__new__(mcs, name, bases, class_dict)
        cls._endure_chain = chain
        cls._endure_first = next(iter(states))
        cls.tasks = [states[s] for s in states]
        return cls


class MarkovTaskSet(TaskSet, metaclass=MarkovTaskSetMeta):
    """A task set whose next task follows the current one's transitions."""

    _endure_chain = {}
    _endure_first = None

    def __init__(self, parent):
        super().__init__(parent)
        self._endure_state = None

    def get_next_task(self):
        if self._endure_first is None:
            raise LocustError("No tasks defined on %s" % type(self).__name__)
        if self._endure_state is None:
            self._endure_state = self._endure_first
        else:
            self._endure_state = random.choice(self._endure_chain[self._endure_state])
        return getattr(type(self), self._endure_state)
