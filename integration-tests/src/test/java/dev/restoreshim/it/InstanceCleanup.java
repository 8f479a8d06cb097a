package dev.restoreshim.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The last-resort cleanup steps of a private containerd instance, each reporting what it could not
 * do instead of throwing: kill leftover processes, unmount, remove cgroups, delete the dir.
 */
final class InstanceCleanup {

    private static final Path CGROUP_ROOT = Path.of("/sys/fs/cgroup");

    private InstanceCleanup() {
    }

    /** The pids restore-shim's launcher recorded in {@code <shim state>/d/<id>/daemon.pid}. */
    static List<Long> daemonPids(Path shimState) {
        Path daemons = shimState.resolve("d");
        if (!Files.isDirectory(daemons)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(daemons)) {
            java.util.ArrayList<Long> pids = new java.util.ArrayList<>();
            for (Path daemon : dirs.toList()) {
                Path pidFile = daemon.resolve("daemon.pid");
                if (Files.isRegularFile(pidFile)) {
                    String text = Files.readString(pidFile).strip();
                    if (!text.isEmpty() && text.chars().allMatch(Character::isDigit)) {
                        pids.add(Long.parseLong(text));
                    }
                }
            }
            return pids;
        } catch (IOException e) {
            return List.of();
        }
    }

    /** SIGTERM to each daemon (it drains and exits), SIGKILL after 15 s. */
    static void stopDaemons(List<Long> pids, List<String> problems) {
        for (long pid : pids) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        for (long pid : pids) {
            while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) && System.nanoTime() < deadline) {
                PodmanService.sleep(50);
            }
            if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                problems.add("restore-shim daemon " + pid + " ignored SIGTERM for 15 s; killing it");
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }

    static void killProcesses(List<HostScan.HostProcess> processes, List<String> problems) {
        for (HostScan.HostProcess p : processes) {
            ProcessHandle.of(p.pid()).ifPresent(ProcessHandle::destroyForcibly);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        for (HostScan.HostProcess p : processes) {
            while (ProcessHandle.of(p.pid()).map(ProcessHandle::isAlive).orElse(false) && System.nanoTime() < deadline) {
                PodmanService.sleep(50);
            }
        }
        if (!processes.isEmpty()) {
            problems.add("killed leftover processes " + processes);
        }
    }

    static void unmountAll(Path dir, List<String> problems) {
        for (int round = 0; round < 5; round++) {
            List<Path> mounts = HostScan.mountsUnder(dir);
            if (mounts.isEmpty()) {
                return;
            }
            for (Path mount : mounts) {
                if (!HostCommand.of("umount", mount.toString()).run().ok()) {
                    HostCommand.of("umount", "-l", mount.toString()).run();
                }
            }
        }
        problems.add("mounts left under " + dir + ": " + HostScan.mountsUnder(dir));
    }

    /** Removes {@code /sys/fs/cgroup/<controller>/<parent>} trees, deepest first. */
    static void removeCgroups(String parent, List<String> problems) {
        try (Stream<Path> hierarchies = Files.list(CGROUP_ROOT)) {
            for (Path hierarchy : hierarchies.toList()) {
                Path top = hierarchy.resolve(parent);
                if (Files.isDirectory(top) && !Files.isSymbolicLink(hierarchy)) {
                    try (Stream<Path> tree = Files.walk(top)) {
                        for (Path cgroup : tree.filter(Files::isDirectory).sorted(Comparator.reverseOrder()).toList()) {
                            Files.deleteIfExists(cgroup);
                        }
                    } catch (IOException e) {
                        problems.add("cannot remove cgroup " + top + ": " + e.getMessage());
                    }
                }
            }
        } catch (IOException e) {
            problems.add("cannot list " + CGROUP_ROOT + ": " + e.getMessage());
        }
    }

    /** Copies restore-shim's daemon logs ({@code <state>/d/<id>/daemon.log}) next to containerd's log. */
    static void keepDaemonLogs(Path shimState, Path target, List<String> problems) {
        Path daemons = shimState.resolve("d");
        if (!Files.isDirectory(daemons)) {
            return;
        }
        try (Stream<Path> dirs = Files.list(daemons)) {
            for (Path daemon : dirs.toList()) {
                Path log = daemon.resolve("daemon.log");
                if (Files.isRegularFile(log)) {
                    Files.copy(log, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            problems.add("cannot keep daemon log: " + e.getMessage());
        }
    }

    static void deleteDir(Path dir, List<String> problems) {
        if (!HostScan.mountsUnder(dir).isEmpty()) {
            problems.add("not deleting " + dir + ": mounts remain");
            return;
        }
        try {
            LocalRegistry.deleteTree(dir);
        } catch (IOException e) {
            problems.add("cannot delete " + dir + ": " + e.getMessage());
        }
    }
}
