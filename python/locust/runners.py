"""environment.runner: what a locustfile may ask of the running test."""
import _endure
from greenlet import GreenletExit, getcurrent

STATE_INIT, STATE_SPAWNING, STATE_RUNNING, STATE_CLEANUP, STATE_STOPPING, STATE_STOPPED, \
    STATE_MISSING = ["ready", "spawning", "running", "cleanup", "stopping", "stopped", "missing"]


class Runner:
    def __init__(self, environment):
        self.environment = environment
        self.state = STATE_INIT
        self.exceptions = {}
        self.greenlet = None
        self.spawning_greenlet = None

    @property
    def user_count(self):
        """Users running now (in this process)."""
        return _endure.user_count()

    @property
    def stats(self):
        return self.environment.stats

    @property
    def user_classes(self):
        return self.environment.user_classes

    def quit(self):
        """Ends the test. Called from a user's task, it also ends that user at once (Locust kills
        every user, the caller included)."""
        _endure.stop_test()
        if getcurrent().parent is not None:
            raise GreenletExit()

    def stop(self):
        _endure.stop_test()


class LocalRunner(Runner):
    pass


class DistributedRunner(Runner):
    pass


class MasterRunner(DistributedRunner):
    pass


class WorkerRunner(DistributedRunner):
    pass
