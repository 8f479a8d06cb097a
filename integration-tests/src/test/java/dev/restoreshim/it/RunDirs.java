package dev.restoreshim.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The directories a standard node keeps under {@code /run} (containerd's state dir with the
 * bundles, the runc roots, restore-shim's state dir): a tmpfs there (systemd mounts {@code /run}
 * as one), a plain directory under {@code /tmp} here unless {@code it.runOnTmpfs} is set, as the
 * benchmarks set it, so that what they count as written to disk is what a standard node would
 * write. Each becomes its own tmpfs mount, removed with the instance ({@link InstanceCleanup#unmountAll}).
 */
final class RunDirs {
    private RunDirs() {
    }

    /** Whether run dirs are tmpfs mounts in this JVM. */
    static boolean onTmpfs() {
        return Boolean.getBoolean("it.runOnTmpfs");
    }

    /** Creates {@code dirs}, each a tmpfs mount when {@link #onTmpfs}. */
    static void create(Path... dirs) {
        create(onTmpfs(), dirs);
    }

    /** Creates {@code dirs}, each a tmpfs mount when {@code tmpfs}. */
    static void create(boolean tmpfs, Path... dirs) {
        for (Path dir : dirs) {
            try {
                Files.createDirectories(dir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (tmpfs) {
                HostCommand.of("mount", "-t", "tmpfs", "-o", "size=256m,mode=0711", "rsit-run", dir.toString()).check();
            }
        }
    }
}
