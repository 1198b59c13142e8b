"""Exceptions of endure's Locust-compatible API (the names and meanings of locust.exception)."""


class LocustError(Exception):
    pass


class ResponseError(Exception):
    """Raise inside a `with client.get(..., catch_response=True)` block to fail that request."""


class CatchResponseError(Exception):
    """What response.failure("message") records."""


class MissingWaitTimeError(LocustError):
    pass


class InterruptTaskSet(Exception):
    """Leaves the current TaskSet; reschedule=True runs the parent's next task without waiting."""

    def __init__(self, reschedule=True):
        super().__init__(reschedule)
        self.reschedule = reschedule


class StopUser(Exception):
    """Ends this user (its on_stop runs)."""


class StopTest(Exception):
    """Ends the whole test, as if its run time was over."""


class RescheduleTask(Exception):
    """Ends the current task; the user waits, then picks its next task."""


class RescheduleTaskImmediately(Exception):
    """Ends the current task; the user picks its next task at once, without waiting."""


class RunnerAlreadyExistsError(Exception):
    pass


class RPCError(Exception):
    pass


class RPCSendError(RPCError):
    pass


class RPCReceiveError(RPCError):
    pass


class AuthCredentialsError(ValueError):
    pass
