package dev.restoreshim.runc;

import java.time.Duration;
import java.util.Objects;

/**
 * How long one runc command may run before the shim kills it. runc normally answers in
 * milliseconds; one that hangs (a frozen cgroup, a stuck CRIU, a wedged storage driver) must not
 * hold a Task call, and the thread serving it, forever. containerd's own call deadline ends the
 * caller's wait, not runc.
 *
 * @param query {@code state}, {@code ps}, {@code kill}, {@code pause}, {@code resume}, {@code update}
 * @param lifecycle {@code create}, {@code start}, {@code exec}, {@code delete}
 * @param criu {@code restore} and {@code checkpoint}: CRIU copies the process's memory
 */
public record RuncDeadlines(Duration query, Duration lifecycle, Duration criu) {
    /** The daemon's deadlines. */
    public static final RuncDeadlines DEFAULT =
            new RuncDeadlines(Duration.ofSeconds(30), Duration.ofSeconds(120), Duration.ofMinutes(10));
    /** No deadline at all (tests with fake processes). */
    public static final RuncDeadlines NONE = new RuncDeadlines(null, null, null);

    /** The deadline of {@code command}, or null for none. */
    public Duration of(String command) {
        Objects.requireNonNull(command, "command");
        return switch (command) {
            case "restore", "checkpoint" -> criu;
            case "create", "start", "exec", "delete" -> lifecycle;
            default -> query;
        };
    }
}
