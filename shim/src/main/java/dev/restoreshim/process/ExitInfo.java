package dev.restoreshim.process;

import java.time.Instant;

/**
 * A process's end as Delete, Wait and /tasks/exit report it.
 *
 * @param pid the process's pid (0 if it never ran)
 * @param exitStatus the exit code (128 + signal when signalled, 255 when unknown)
 * @param exitedAt when it exited; {@link Instant#EPOCH} if it has not
 */
public record ExitInfo(int pid, int exitStatus, Instant exitedAt) {
    public ExitInfo {
        exitedAt = exitedAt == null ? Instant.EPOCH : exitedAt;
    }
}
