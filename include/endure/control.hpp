// Control flow of users and task sets, as Locust's exceptions: StopUser, RescheduleTask,
// RescheduleTaskImmediately, InterruptTaskSet, StopTest. Thrown by user code (or by the helpers
// stop(), interrupt()), caught by the engine's task loop; never escape it.
#pragma once
#include <stdexcept>
#include <string>

namespace endure {

// Stops this user: on_stop runs, then the user ends (Locust's StopUser / self.stop()).
struct stop_user {};
// Ends the current task and waits as usual before the next (Locust's RescheduleTask).
struct reschedule_task {};
// Ends the current task and starts the next one without waiting (RescheduleTaskImmediately).
struct reschedule_task_immediately {};
// Leaves the current task set and returns to its parent (Locust's InterruptTaskSet).
struct interrupt_task_set {
  bool reschedule = true;  // true: the parent picks its next task at once, without waiting
};
// Stops the whole test (Locust's StopTest): every user stops, outputs are written.
struct stop_test {};

namespace detail {
// Thrown out of an await when the runner kills the user (stop timeout over, or second Ctrl-C).
// User code should not catch it; if it does, the next await throws it again.
struct user_killed {};
}  // namespace detail

}  // namespace endure
