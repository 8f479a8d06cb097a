package dev.restoreshim.cgroups;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Read-only access to {@code /proc} and the cgroup filesystem, addressed by absolute host paths
 * ({@code /proc/42/cgroup}, {@code /sys/fs/cgroup/memory/x/memory.stat}). A file that is missing or
 * cannot be read is absent, the way containerd's runc shim ignores controller files that do not
 * exist: a cgroup can vanish between two reads when its container exits.
 */
public interface CgroupFiles {

    /** The whole content of the file at {@code path}, or empty when it is missing or unreadable. */
    Optional<String> read(String path);

    /** The names of the entries of directory {@code dir}, or an empty list when it is missing. */
    List<String> list(String dir);

    /** The real host filesystem. */
    static CgroupFiles host() {
        return rootedAt(Path.of("/"));
    }

    /** A tree rooted at {@code root}: {@code /proc/1/cgroup} is read from {@code root/proc/1/cgroup}. */
    static CgroupFiles rootedAt(Path root) {
        return new RootedCgroupFiles(root);
    }
}
