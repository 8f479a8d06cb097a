package dev.restoreshim.process;

import dev.restoreshim.errors.ShimException;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A validated create request, transport-neutral.
 *
 * @param namespace the containerd namespace
 * @param id the container (task) id
 * @param bundle the OCI bundle directory (absolute), holding {@code config.json}
 * @param rootfs mounts to put on {@code <bundle>/rootfs}; empty when the bundle's rootfs is ready
 * @param stdio the stdio fifos and terminal flag
 * @param checkpoint a CRIU image directory to restore from at Start; empty for an ordinary create
 * @param parentCheckpoint a parent image directory; empty for none
 */
public record CreateSpec(String namespace, String id, Path bundle, List<MountSpec> rootfs, Stdio stdio,
        String checkpoint, String parentCheckpoint) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.\\-]{0,75}");

    public CreateSpec {
        require(namespace, "namespace");
        require(id, "id");
        if (bundle == null || !bundle.isAbsolute()) {
            throw ShimException.invalidArgument("create task \"" + id + "\": bundle: must be an absolute path, got " + bundle);
        }
        rootfs = List.copyOf(rootfs == null ? List.of() : rootfs);
        stdio = stdio == null ? Stdio.none() : stdio;
        checkpoint = checkpoint == null ? "" : checkpoint;
        parentCheckpoint = parentCheckpoint == null ? "" : parentCheckpoint;
        if (!checkpoint.isEmpty() && !Path.of(checkpoint).isAbsolute()) {
            throw ShimException.invalidArgument("create task \"" + id + "\": checkpoint: must be an absolute path, got "
                    + checkpoint);
        }
    }

    /** An ordinary create: no checkpoint. */
    public static CreateSpec of(String namespace, String id, Path bundle, List<MountSpec> rootfs, Stdio stdio) {
        return new CreateSpec(namespace, id, bundle, rootfs, stdio, "", "");
    }

    private static void require(String value, String field) {
        if (value == null || !NAME.matcher(value).matches()) {
            throw ShimException.invalidArgument("create task: " + field + ": must match " + NAME.pattern() + ", got \""
                    + value + "\"");
        }
    }
}
