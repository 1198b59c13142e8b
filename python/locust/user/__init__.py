from .markov_taskset import MarkovTaskSet, transition, transitions
from .sequential_taskset import SequentialTaskSet
from .task import TaskSet, tag, task
from .users import HttpUser, User
from .wait_time import between, constant, constant_pacing, constant_throughput

__all__ = ["User", "HttpUser", "TaskSet", "SequentialTaskSet", "task", "tag", "between",
           "constant", "constant_pacing", "constant_throughput", "MarkovTaskSet", "transition",
           "transitions"]
