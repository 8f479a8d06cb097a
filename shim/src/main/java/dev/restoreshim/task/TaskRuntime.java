package dev.restoreshim.task;

import com.google.protobuf.Any;
import dev.restoreshim.process.Container;
import dev.restoreshim.process.CreateSpec;
import dev.restoreshim.process.ExitListener;

/**
 * How tasks get their containers: an ordinary create through the OCI runtime, or a restore when
 * the request names a checkpoint. Implemented in the daemon wiring; faked in tests.
 */
public interface TaskRuntime {
    /** Creates (or restores) the container; exits are reported to {@code exits} in containerd's order. */
    Container create(CreateSpec spec, ExitListener exits);

    /** Rebuilds a running task of a previous daemon from its record. */
    Container adopt(TaskRecord record, ExitListener exits);

    /** Removes what is left of a task that could not be adopted: container, mounts. */
    void cleanup(TaskRecord record);

    /** cgroup metrics of the task's init process, as an io.containerd.cgroups Metrics Any. */
    Any stats(Container container);
}
