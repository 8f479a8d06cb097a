package dev.restoreshim.runc;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Options of {@code runc restore}. The shim always restores detached with a pid file, as the
 * runc shim does ({@code --detach --pid-file ... --no-subreaper}); a CRIU config file reaches
 * CRIU through the {@code org.criu.config} annotation of the bundle, not through these options.
 *
 * @param imagePath the CRIU image directory
 * @param workPath CRIU's work and log directory, or null
 * @param parentPath a parent image directory, or null
 * @param bundle the OCI bundle directory
 * @param pidFile where runc writes the restored init pid
 * @param consoleSocket the socket that receives the pty master, or null
 * @param detach {@code --detach}
 * @param noPivot {@code --no-pivot}
 * @param noSubreaper {@code --no-subreaper}
 * @param tcpEstablished {@code --tcp-established}
 * @param externalUnixSockets {@code --ext-unix-sk}
 * @param shellJob {@code --shell-job}
 * @param fileLocks {@code --file-locks}
 * @param lazyPages {@code --lazy-pages}
 * @param manageCgroupsMode {@code --manage-cgroups-mode}, or null
 * @param emptyNamespaces namespaces for {@code --empty-ns}
 */
public record RestoreOptions(Path imagePath, Path workPath, Path parentPath, Path bundle, Path pidFile,
        Path consoleSocket, boolean detach, boolean noPivot, boolean noSubreaper, boolean tcpEstablished,
        boolean externalUnixSockets, boolean shellJob, boolean fileLocks, boolean lazyPages,
        String manageCgroupsMode, List<String> emptyNamespaces) {
    public RestoreOptions {
        Objects.requireNonNull(imagePath, "imagePath");
        Objects.requireNonNull(bundle, "bundle");
        Objects.requireNonNull(pidFile, "pidFile");
        emptyNamespaces = List.copyOf(emptyNamespaces == null ? List.of() : emptyNamespaces);
    }

    /** The shim's usual restore: detached, no subreaper, everything else off. */
    public static RestoreOptions of(Path imagePath, Path workPath, Path bundle, Path pidFile, Path consoleSocket) {
        return new RestoreOptions(imagePath, workPath, null, bundle, pidFile, consoleSocket, true, false, true,
                false, false, false, false, false, null, List.of());
    }

    /** A copy with lazy pages switched on or off. */
    public RestoreOptions withLazyPages(boolean on) {
        return new RestoreOptions(imagePath, workPath, parentPath, bundle, pidFile, consoleSocket, detach, noPivot,
                noSubreaper, tcpEstablished, externalUnixSockets, shellJob, fileLocks, on, manageCgroupsMode,
                emptyNamespaces);
    }

    /** A copy restoring on top of the parent image directory {@code parent} (null: none). */
    public RestoreOptions withParentPath(Path parent) {
        return new RestoreOptions(imagePath, workPath, parent, bundle, pidFile, consoleSocket, detach, noPivot,
                noSubreaper, tcpEstablished, externalUnixSockets, shellJob, fileLocks, lazyPages, manageCgroupsMode,
                emptyNamespaces);
    }

    /** A copy sending the pty master to {@code socket} (null: no terminal). */
    public RestoreOptions withConsoleSocket(Path socket) {
        return new RestoreOptions(imagePath, workPath, parentPath, bundle, pidFile, socket, detach, noPivot,
                noSubreaper, tcpEstablished, externalUnixSockets, shellJob, fileLocks, lazyPages, manageCgroupsMode,
                emptyNamespaces);
    }

    /** The arguments after {@code restore}, before the container id. */
    public List<String> args() {
        List<String> a = new ArrayList<>(List.of("--image-path", imagePath.toString()));
        if (workPath != null) {
            a.addAll(List.of("--work-path", workPath.toString()));
        }
        if (parentPath != null) {
            a.addAll(List.of("--parent-path", parentPath.toString()));
        }
        CheckpointOptions.flag(a, detach, "--detach");
        a.addAll(List.of("--pid-file", pidFile.toString()));
        if (consoleSocket != null) {
            a.addAll(List.of("--console-socket", consoleSocket.toString()));
        }
        CheckpointOptions.flag(a, noPivot, "--no-pivot");
        CheckpointOptions.flag(a, noSubreaper, "--no-subreaper");
        CheckpointOptions.flag(a, tcpEstablished, "--tcp-established");
        CheckpointOptions.flag(a, externalUnixSockets, "--ext-unix-sk");
        CheckpointOptions.flag(a, shellJob, "--shell-job");
        CheckpointOptions.flag(a, fileLocks, "--file-locks");
        CheckpointOptions.flag(a, lazyPages, "--lazy-pages");
        if (manageCgroupsMode != null && !manageCgroupsMode.isEmpty()) {
            a.addAll(List.of("--manage-cgroups-mode", manageCgroupsMode));
        }
        for (String ns : emptyNamespaces) {
            a.addAll(List.of("--empty-ns", ns));
        }
        a.addAll(List.of("--bundle", bundle.toString()));
        return a;
    }
}
