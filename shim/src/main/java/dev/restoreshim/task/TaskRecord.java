package dev.restoreshim.task;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What the daemon persists about a task so that a restarted daemon knows it again: enough to find
 * the container through runc and to clean up its rootfs. Written at create, removed at delete.
 *
 * @param namespace containerd namespace
 * @param id        task (container) id
 * @param bundle    the OCI bundle directory containerd created
 * @param pid       init pid, 0 until runc created the container
 * @param stdin     stdio paths as containerd gave them
 * @param stdout    stdio path
 * @param stderr    stdio path
 * @param terminal  whether the init process has a pty
 * @param rootfsMounted whether the daemon mounted {@code <bundle>/rootfs} itself
 * @param restore   where the task was restored from, empty for an ordinary create
 * @param createdAt when Create was served
 */
public record TaskRecord(String namespace, String id, Path bundle, int pid, String stdin, String stdout,
                         String stderr, boolean terminal, boolean rootfsMounted, List<String> rootfs,
                         String restore, Instant createdAt) {
    public TaskRecord {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(bundle, "bundle");
        stdin = Objects.requireNonNullElse(stdin, "");
        stdout = Objects.requireNonNullElse(stdout, "");
        stderr = Objects.requireNonNullElse(stderr, "");
        rootfs = List.copyOf(Objects.requireNonNullElse(rootfs, List.of()));
        restore = Objects.requireNonNullElse(restore, "");
        Objects.requireNonNull(createdAt, "createdAt");
    }

    public TaskKey key() {
        return new TaskKey(namespace, id);
    }

    public TaskRecord withPid(int newPid) {
        return new TaskRecord(namespace, id, bundle, newPid, stdin, stdout, stderr, terminal, rootfsMounted,
                rootfs, restore, createdAt);
    }
}
