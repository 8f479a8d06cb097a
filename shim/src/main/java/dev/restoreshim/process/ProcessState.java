package dev.restoreshim.process;

import java.time.Instant;

/**
 * A snapshot of one process (init when {@code execId} is empty) for the State call.
 *
 * @param id the container id
 * @param execId the exec id, empty for init
 * @param bundle the bundle path
 * @param pid the pid, 0 before it exists
 * @param status the status
 * @param stdin the stdin fifo path (may be empty)
 * @param stdout the stdout fifo path (may be empty)
 * @param stderr the stderr fifo path (may be empty)
 * @param terminal whether it has a pty
 * @param exitStatus the exit code once stopped, else 0
 * @param exitedAt when it stopped, else {@link Instant#EPOCH}
 */
public record ProcessState(String id, String execId, String bundle, int pid, ProcessStatus status, String stdin,
        String stdout, String stderr, boolean terminal, int exitStatus, Instant exitedAt) {
}
