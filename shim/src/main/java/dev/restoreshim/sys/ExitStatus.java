package dev.restoreshim.sys;

import java.time.Instant;
import java.util.Objects;

/**
 * How a process ended. {@code exitCode} follows the shell convention: the status for a normal
 * exit, 128 + signal when killed by a signal, {@link #UNKNOWN_CODE} when the process was not our
 * child (re-adopted after a daemon restart) so the status could not be collected.
 *
 * @param exitCode the exit code as containerd reports it
 * @param signal the terminating signal, 0 when the process exited normally or the status is unknown
 * @param exitedAt when the exit was observed
 */
public record ExitStatus(int exitCode, int signal, Instant exitedAt) {
    /** The exit code reported when a process's status cannot be collected. */
    public static final int UNKNOWN_CODE = 255;

    public ExitStatus {
        Objects.requireNonNull(exitedAt, "exitedAt");
    }

    /** A normal exit with {@code code}. */
    public static ExitStatus exited(int code, Instant at) {
        return new ExitStatus(code, 0, at);
    }

    /** Death by {@code signal}. */
    public static ExitStatus signalled(int signal, Instant at) {
        return new ExitStatus(128 + signal, signal, at);
    }

    /** The process is gone but its status could not be collected (not our child). */
    public static ExitStatus unknown(Instant at) {
        return new ExitStatus(UNKNOWN_CODE, 0, at);
    }
}
