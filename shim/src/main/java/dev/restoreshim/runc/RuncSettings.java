package dev.restoreshim.runc;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How to call runc: the binary, its state root (one per containerd namespace, as the runc shim
 * uses {@code /run/containerd/runc/<namespace>}) and whether cgroups go through systemd.
 *
 * @param binary the runc (or crun) executable; a bare name is looked up on PATH
 * @param root the {@code --root} state directory
 * @param systemdCgroup adds {@code --systemd-cgroup}
 */
public record RuncSettings(Path binary, Path root, boolean systemdCgroup) {
    /** The runc shim's default state root base. */
    public static final Path DEFAULT_ROOT_BASE = Path.of("/run/containerd/runc");

    public RuncSettings {
        Objects.requireNonNull(binary, "binary");
        Objects.requireNonNull(root, "root");
        if (!root.isAbsolute()) {
            throw new IllegalArgumentException("runc root: must be absolute: " + root);
        }
    }

    /** Settings for one containerd namespace: root {@code <rootBase>/<namespace>}. */
    public static RuncSettings forNamespace(Path binary, Path rootBase, String namespace, boolean systemdCgroup) {
        if (namespace == null || namespace.isBlank() || namespace.contains("/") || namespace.startsWith(".")) {
            throw new IllegalArgumentException("namespace: not a valid directory name: \"" + namespace + "\"");
        }
        return new RuncSettings(binary, rootBase.resolve(namespace), systemdCgroup);
    }

    /** The global arguments before the command, for the given log file. */
    List<String> globalArgs(Path logFile) {
        List<String> args = new ArrayList<>(List.of(binary.toString(), "--root", root.toString(),
                "--log", logFile.toString(), "--log-format", "json"));
        if (systemdCgroup) {
            args.add("--systemd-cgroup");
        }
        return args;
    }
}
