package dev.restoreshim.process;

/**
 * Where a container reports its processes' starts and exits; the Task layer publishes
 * /tasks/start, /tasks/exec-started and /tasks/exit from it.
 *
 * <p>Ordering guarantee, per container: {@link #started} for a process comes before its
 * {@link #exited}, even when the process exits before {@code start()} returned; every exec's
 * {@link #exited} comes before the init's {@link #exited}. Calls for one container never overlap
 * (they are made under the container's exit-routing lock), so implementations must be quick
 * (hand off to a queue) and must not call back into the container.
 */
public interface ExitListener {
    /** A process started (execId empty for init). */
    void started(String containerId, String execId, int pid);

    /** A process exited (execId empty for init). */
    void exited(String containerId, String execId, int pid, ExitInfo exit);

    /** A listener that ignores everything. */
    static ExitListener none() {
        return new ExitListener() {
            @Override
            public void started(String containerId, String execId, int pid) {
            }

            @Override
            public void exited(String containerId, String execId, int pid, ExitInfo exit) {
            }
        };
    }
}
