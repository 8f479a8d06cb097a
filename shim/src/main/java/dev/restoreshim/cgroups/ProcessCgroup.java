package dev.restoreshim.cgroups;

import dev.restoreshim.errors.ShimException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Where a process's cgroup lives on this host, resolved from {@code /proc/<pid>/cgroup} and the
 * cgroup mounts in {@code /proc/self/mountinfo}. A process that has any v1 controller with a mount
 * is {@link Legacy} (this includes the hybrid layout, as in containerd, which only treats a host
 * as unified when {@code /sys/fs/cgroup} itself is cgroup2); otherwise its {@code 0::} line gives a
 * {@link Unified} directory.
 */
sealed interface ProcessCgroup {

    /** cgroup v1: the absolute directory of each controller ({@code memory}, {@code cpuacct}, ...). */
    record Legacy(Map<String, String> dirs) implements ProcessCgroup {
        public Legacy {
            dirs = Map.copyOf(dirs);
        }

        Optional<String> dir(String controller) {
            return Optional.ofNullable(dirs.get(controller));
        }
    }

    /** cgroup v2: the one absolute directory of the process's cgroup. */
    record Unified(String dir) implements ProcessCgroup {
    }

    /**
     * Resolves the cgroup of {@code pid}.
     *
     * @throws ShimException NOT_FOUND when the process is gone; FAILED_PRECONDITION when none of
     *     its cgroups is mounted here
     */
    static ProcessCgroup of(CgroupFiles files, int pid) {
        String table = files.read("/proc/" + pid + "/cgroup")
                .orElseThrow(() -> ShimException.notFound("read cgroup of pid " + pid + ": process does not exist"));
        CgroupMounts mounts = CgroupMounts.parse(files.read("/proc/self/mountinfo").orElse(""));
        Map<String, String> dirs = new LinkedHashMap<>();
        String unifiedPath = null;
        for (String line : table.split("\n")) {
            String[] parts = line.split(":", 3);
            if (parts.length < 3) {
                continue;
            }
            if (parts[0].equals("0") && parts[1].isEmpty()) {
                unifiedPath = parts[2];
                continue;
            }
            for (String controller : parts[1].split(",")) {
                if (controller.isEmpty() || controller.startsWith("name=")) {
                    continue;
                }
                String path = parts[2];
                mounts.v1(controller).ifPresent(m -> dirs.put(controller, CgroupMounts.directory(m, path)));
            }
        }
        if (!dirs.isEmpty()) {
            return new Legacy(dirs);
        }
        if (unifiedPath != null) {
            String path = unifiedPath;
            Optional<CgroupMounts.Mount> unified = mounts.unified();
            if (unified.isPresent()) {
                return new Unified(CgroupMounts.directory(unified.get(), path));
            }
        }
        throw ShimException.failedPrecondition(
                "read cgroup of pid " + pid + ": no cgroup v1 controller or cgroup2 mount found for it in /proc/self/mountinfo");
    }
}
