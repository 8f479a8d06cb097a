package dev.restoreshim.task;

import dev.restoreshim.process.ContainerRecord;
import java.time.Instant;
import java.util.Objects;

/**
 * What the daemon persists about a task so that a restarted daemon knows it again: the
 * container's own record (bundle, init pid, stdio, whether the daemon mounted the rootfs), where it
 * was restored from, and when it was created. Written at create, removed at delete.
 *
 * @param container what {@link dev.restoreshim.process.Container#adopt} needs
 * @param restore   where the task was restored from, empty for an ordinary create
 * @param createdAt when Create was served
 */
public record TaskRecord(ContainerRecord container, String restore, Instant createdAt) {
    public TaskRecord {
        Objects.requireNonNull(container, "container");
        restore = Objects.requireNonNullElse(restore, "");
        Objects.requireNonNull(createdAt, "createdAt");
    }

    public TaskKey key() {
        return new TaskKey(container.namespace(), container.id());
    }
}
