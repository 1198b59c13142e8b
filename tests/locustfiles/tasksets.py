# Task structure: weights (tasks dict, @task(n)), nested TaskSets with interrupt(), parent/user/
# client, schedule_task, SequentialTaskSet order, on_start/on_stop at every level, fixed_count,
# weight, abstract base classes, RescheduleTask(Immediately), StopUser, self.stop().
from locust import HttpUser, SequentialTaskSet, TaskSet, User, constant, task
from locust.exception import RescheduleTask, RescheduleTaskImmediately, StopUser


class Ordered(SequentialTaskSet):
    def on_start(self):
        self.seen = []

    @task
    def first(self):
        self.seen.append(1)
        self.client.get("/fast", name="seq-1")

    @task
    def second(self):
        self.seen.append(2)
        self.client.get("/fast", name="seq-2")

    @task
    def third(self):
        assert self.seen == [1, 2], self.seen
        self.client.get("/fast", name="seq-3")
        self.interrupt(reschedule=False)

    def on_stop(self):
        self.client.get("/fast", name="seq-on-stop")


class Nested(TaskSet):
    wait_time = constant(0)

    @task
    class Inner(TaskSet):
        @task
        def inner(self):
            assert isinstance(self.parent, Nested)
            assert self.user is self.parent.user
            assert self.client is self.user.client
            self.client.get("/fast", name="inner")
            self.interrupt()

    @task
    def leave(self):
        self.schedule_task(self.scheduled, first=True)

    def scheduled(self):
        self.client.get("/fast", name="scheduled")
        self.interrupt()


class Base(HttpUser):
    abstract = True
    wait_time = constant(0)

    def on_start(self):
        self.client.get("/fast", name="user-on-start")

    def on_stop(self):
        self.client.get("/fast", name="user-on-stop")


class TaskSetUser(Base):
    weight = 3
    tasks = {Ordered: 1, Nested: 1}


class Rescheduler(Base):
    fixed_count = 1

    @task(3)
    def reschedule(self):
        self.client.get("/fast", name="resched")
        raise RescheduleTask()

    @task(1)
    def immediately(self):
        self.client.get("/fast", name="resched-now")
        raise RescheduleTaskImmediately()


class Stopper(Base):
    fixed_count = 1

    @task
    def stop_me(self):
        self.client.get("/fast", name="stopper")
        if self.environment.runner.user_count >= 0:
            self.stop()


class NotAnHttpUser(User):
    weight = 0  # never spawned by weight (0), but a valid class

    @task
    def nothing(self):
        pass
