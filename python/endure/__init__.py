"""endure's Python API: the same as its `locust` package."""
from locust import *  # noqa: F401,F403
from locust import __all__, __version__, events  # noqa: F401
