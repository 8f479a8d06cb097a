package dev.restoreshim.runc;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Options of {@code runc checkpoint}.
 *
 * @param imagePath where CRIU writes the images
 * @param workPath CRIU's work and log directory, or null
 * @param parentPath a previous (pre-dump) image directory, or null
 * @param leaveRunning {@code --leave-running}
 * @param tcpEstablished {@code --tcp-established}
 * @param externalUnixSockets {@code --ext-unix-sk}
 * @param shellJob {@code --shell-job}
 * @param fileLocks {@code --file-locks}
 * @param preDump {@code --pre-dump}
 * @param lazyPages {@code --lazy-pages}
 * @param manageCgroupsMode {@code --manage-cgroups-mode}, or null
 * @param emptyNamespaces namespaces for {@code --empty-ns}
 */
public record CheckpointOptions(Path imagePath, Path workPath, Path parentPath, boolean leaveRunning,
        boolean tcpEstablished, boolean externalUnixSockets, boolean shellJob, boolean fileLocks,
        boolean preDump, boolean lazyPages, String manageCgroupsMode, List<String> emptyNamespaces) {
    public CheckpointOptions {
        Objects.requireNonNull(imagePath, "imagePath");
        emptyNamespaces = List.copyOf(emptyNamespaces == null ? List.of() : emptyNamespaces);
    }

    /** The arguments after {@code checkpoint}, before the container id. */
    public List<String> args() {
        List<String> a = new ArrayList<>(List.of("--image-path", imagePath.toString()));
        if (workPath != null) {
            a.addAll(List.of("--work-path", workPath.toString()));
        }
        if (parentPath != null) {
            a.addAll(List.of("--parent-path", parentPath.toString()));
        }
        flag(a, leaveRunning, "--leave-running");
        flag(a, tcpEstablished, "--tcp-established");
        flag(a, externalUnixSockets, "--ext-unix-sk");
        flag(a, shellJob, "--shell-job");
        flag(a, fileLocks, "--file-locks");
        flag(a, preDump, "--pre-dump");
        flag(a, lazyPages, "--lazy-pages");
        if (manageCgroupsMode != null && !manageCgroupsMode.isEmpty()) {
            a.addAll(List.of("--manage-cgroups-mode", manageCgroupsMode));
        }
        for (String ns : emptyNamespaces) {
            a.addAll(List.of("--empty-ns", ns));
        }
        return a;
    }

    static void flag(List<String> args, boolean on, String flag) {
        if (on) {
            args.add(flag);
        }
    }
}
