package dev.restoreshim.process;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The little a restarted daemon needs to re-adopt a running container: persisted by the Task
 * layer after Create, handed to {@link Container#adopt}.
 *
 * @param namespace the containerd namespace
 * @param id the container id
 * @param bundle the bundle directory
 * @param initPid the init pid
 * @param stdio the init's stdio
 * @param rootfsMounted whether the shim mounted {@code <bundle>/rootfs} (and must unmount it)
 */
public record ContainerRecord(String namespace, String id, Path bundle, int initPid, Stdio stdio, boolean rootfsMounted) {
    public ContainerRecord {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(bundle, "bundle");
        stdio = stdio == null ? Stdio.none() : stdio;
    }
}
