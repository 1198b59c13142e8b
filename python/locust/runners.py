"""environment.runner: what a locustfile may ask of the running test."""
import logging

import _endure
from greenlet import GreenletExit, getcurrent

STATE_INIT, STATE_SPAWNING, STATE_RUNNING, STATE_CLEANUP, STATE_STOPPING, STATE_STOPPED, \
    STATE_MISSING = ["ready", "spawning", "running", "cleanup", "stopping", "stopped", "missing"]

_log = logging.getLogger("locust.runners")


class Message:
    """A custom message between runners (Locust's rpc Message): type, data, node_id."""

    def __init__(self, message_type, data, node_id):
        self.type = message_type
        self.data = data
        self.node_id = node_id

    def __repr__(self):
        return f"<Message {self.type}:{self.node_id}>"


class _SpawningGreenlet:
    """runner.spawning_greenlet: endure's engine spawns the users; join() waits until spawning
    completed (the state leaves "spawning")."""

    def __init__(self, runner):
        self._runner = runner

    @property
    def dead(self):
        return self._runner.state not in (STATE_INIT, STATE_SPAWNING)

    def ready(self):
        return self.dead

    def join(self, timeout=None):
        import time
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.dead and _endure.can_yield():
            if deadline is not None and time.monotonic() >= deadline:
                return
            _endure.sleep(0.05)

    def kill(self, *args, **kwargs):
        pass


class Runner:
    def __init__(self, environment):
        self.environment = environment
        self.state = STATE_INIT
        self.exceptions = {}
        self.greenlet = None
        self.spawning_greenlet = None
        self.custom_messages = {}
        self.target_user_count = None
        self.target_user_classes_count = {}
        self.worker_index = 0

    def _endure_started(self):
        options = self.environment.parsed_options
        self.target_user_count = getattr(options, "num_users", None) if options else None
        self.spawning_greenlet = _SpawningGreenlet(self)

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

    @property
    def errors(self):
        return self.environment.stats.errors

    def quit(self):
        """Ends the test. Called from a user's task, it also ends that user at once (Locust kills
        every user, the caller included)."""
        _endure.stop_test()
        if _endure.can_yield() and getcurrent().parent is not None:
            raise GreenletExit()

    def stop(self):
        _endure.stop_test()

    def register_message(self, msg_type, listener):
        """listener(environment=, msg=) is called for each message of msg_type."""
        self.custom_messages[msg_type] = listener

    def send_message(self, msg_type, data=None, client_id=None):
        """In a standalone run the message is delivered to this runner's own listener at once."""
        listener = self.custom_messages.get(msg_type)
        if listener is None:
            _log.warning(f"Unknown message type received: {msg_type}")
            return
        listener(environment=self.environment, msg=Message(msg_type, data, "local"))


class LocalRunner(Runner):
    pass


class DistributedRunner(Runner):
    pass


class MasterRunner(DistributedRunner):
    pass


class WorkerRunner(DistributedRunner):
    pass
