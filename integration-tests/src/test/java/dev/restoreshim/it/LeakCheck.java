package dev.restoreshim.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.stream.Stream;

/**
 * After a test: nothing of the instance's pods may be left while containerd still runs. No process
 * but containerd and at most one warm restore-shim daemon (it stays for the next task; its pid is
 * in {@code daemon.pid}): no shim, runc or container process, no second daemon, no mount under the instance
 * dir, no task state naming one of the test's ids in containerd's state, the runc root or
 * restore-shim's state dir. Processes get a grace period to exit.
 */
public final class LeakCheck {

    private LeakCheck() {
    }

    /** Throws an AssertionError listing every leftover. */
    public static void assertClean(PrivateContainerd containerd, Collection<String> ids) {
        List<String> leftovers = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        List<HostScan.HostProcess> processes = leftoverProcesses(containerd);
        while (!processes.isEmpty() && System.nanoTime() < deadline) {
            PodmanService.sleep(200);
            processes = leftoverProcesses(containerd);
        }
        if (!processes.isEmpty()) {
            leftovers.add("processes: " + processes);
        }
        List<Path> runDirs = List.of(containerd.state(), containerd.runcRoot(), containerd.shimState(),
                containerd.shimRuncRoot()); // the instance's own tmpfs mounts where it keeps them there (RunDirs)
        List<Path> mounts = HostScan.mountsUnder(containerd.dir()).stream().filter(m -> !runDirs.contains(m)).toList();
        if (!mounts.isEmpty()) {
            leftovers.add("mounts: " + mounts);
        }
        List<Path> files = stateNaming(ids, containerd.state().resolve("io.containerd.runtime.v2.task"),
                containerd.runcRoot(), containerd.shimState(), containerd.shimRuncRoot());
        if (!files.isEmpty()) {
            leftovers.add("task state: " + files);
        }
        if (!leftovers.isEmpty()) {
            throw new AssertionError("leftovers of " + containerd.handler() + " instance " + containerd.dir() + ": "
                    + String.join("; ", leftovers));
        }
    }

    private static List<HostScan.HostProcess> leftoverProcesses(PrivateContainerd containerd) {
        List<Long> daemons = containerd.warmDaemons();
        List<HostScan.HostProcess> all = containerd.processes();
        if (daemons.size() > 1) {
            return all; // more than one daemon for one containerd is a leak in itself
        }
        return all.stream().filter(p -> !daemons.contains(p.pid())).toList();
    }

    /** Paths under {@code roots} whose name contains one of {@code ids}. */
    public static List<Path> stateNaming(Collection<String> ids, Path... roots) {
        List<Path> found = new ArrayList<>();
        for (Path root : roots) {
            if (!Files.isDirectory(root)) {
                continue;
            }
            try (Stream<Path> tree = Files.walk(root)) {
                tree.filter(p -> ids.stream().anyMatch(id -> p.getFileName().toString().contains(id))).forEach(found::add);
            } catch (IOException e) {
                found.add(root.resolve("(unreadable: " + e.getMessage() + ")"));
            }
        }
        return found;
    }
}
