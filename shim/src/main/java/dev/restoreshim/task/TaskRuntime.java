package dev.restoreshim.task;

import com.google.protobuf.Any;
import dev.restoreshim.process.Container;
import dev.restoreshim.process.ContainerRecord;
import dev.restoreshim.process.CreateSpec;
import dev.restoreshim.process.ExitListener;
import java.util.List;

/**
 * How tasks get their containers: an ordinary create through the OCI runtime, or a restore when
 * the request names a checkpoint. Implemented by {@link OciTaskRuntime}; faked in tests.
 */
public interface TaskRuntime {
    /** Creates (or restores) the container; starts and exits go to {@code listener} in containerd's order. */
    Container create(CreateSpec spec, ExitListener listener);

    /** Rebuilds a task of a previous daemon from its record. */
    Container adopt(ContainerRecord record, ExitListener listener);

    /**
     * Called once after a daemon start has adopted what it could of the previous daemon's tasks
     * ({@code adopted}: those it kept), so that a runtime can remove what belonged to the others.
     */
    default void adoptionDone(List<ContainerRecord> adopted) {
    }

    /** Removes a container that was created but cannot be kept (its state could not be saved). */
    void cleanup(Container container);

    /**
     * Starts init (execId empty) or an exec of {@code container}. A runtime that holds resources
     * for a restore releases its staging here, once the restore has returned.
     */
    default int start(Container container, String execId) {
        return container.start(execId);
    }

    /**
     * Releases what {@link #create} acquired beyond the container itself (a restore's overlay,
     * delta lease); called after the init was deleted, and by {@link #cleanup}. Does nothing for
     * an ordinary container.
     */
    default void release(Container container) {
    }

    /** cgroup metrics of a task's init process, as an io.containerd.cgroups Metrics Any. */
    Any stats(int pid);
}
