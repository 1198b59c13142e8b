from .task import SequentialTaskSet  # noqa: F401
