package dev.restoreshim.it;

import dev.restoreshim.proto.cri.PodSandboxStatusRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * What the container runtime itself wrote during a restore, unlike {@link DiskWrites} not
 * host-wide: the sum of {@code write_bytes} of {@code /proc/<pid>/io} of containerd and of the
 * process that runs the pod's tasks (containerd's runc shim of the sandbox, or restore-shim's node
 * daemon; found as the parent of the sandbox's pause process, a subreaper in both cases).
 * {@code write_bytes} counts pages of disk-backed files as they are dirtied, so a file written and
 * deleted before writeback (containerd's unpacked checkpoint) still counts, and tmpfs does not
 * count. A process's counter includes the children it has reaped: runc, and the CRIU runc reaped,
 * are counted once {@code runc restore} has returned; a lazy-pages daemon once it has exited.
 */
final class RuntimeWrites {
    private final long containerd;
    private final long shim;
    private final long containerdBefore;
    private final long shimBefore;
    private final DirtyPages shimPages;

    /**
     * What containerd and the pod's shim (or node daemon) wrote.
     *
     * @param containerdBytes containerd's own writes (for its CRI restore: the unpacked archive)
     * @param shimBytes the shim's or node daemon's, with the runc and CRIU it reaped
     * @param shimFolios the folios the shim or node daemon and every process it started dirtied,
     *     file data apart from file system metadata ({@link DirtyPages}); null when not traced
     */
    record Bytes(long containerdBytes, long shimBytes, DirtyPages.Folios shimFolios) {
        long total() {
            return containerdBytes + shimBytes;
        }
    }

    private RuntimeWrites(long containerd, long shim, boolean traceShim) {
        this.containerd = containerd;
        this.shim = shim;
        this.containerdBefore = writeBytes(containerd);
        this.shimBefore = writeBytes(shim);
        this.shimPages = traceShim ? DirtyPages.start(shim) : null;
    }

    /**
     * Starts counting for the pod {@code podId} of {@code containerd}; with {@code traceShim},
     * also traces which pages the shim's process tree dirties (restore-shim's sides: stock's
     * containerd dirties the whole checkpoint in the same window, more than the trace buffer holds).
     */
    static RuntimeWrites start(PrivateContainerd containerd, String podId, boolean traceShim) {
        return new RuntimeWrites(containerd.pid(), parentOf(pausePid(containerd, podId)), traceShim);
    }

    /** What each wrote since {@link #start}. */
    Bytes bytes() {
        DirtyPages.Folios folios = shimPages == null ? null : shimPages.stop();
        return new Bytes(writeBytes(containerd) - containerdBefore, writeBytes(shim) - shimBefore, folios);
    }

    /**
     * Asserts that a restore's node daemon and the processes it started (runc, CRIU, the
     * restored app) dirtied no file data ({@link DirtyPages}; file system metadata, such as the
     * overlay's work dir and runc's mount points, is what any container start writes), except
     * pages of {@code appFiles} (paths in the container) which the restored app itself writes.
     */
    static void assertNoFileData(PrivateContainerd containerd, String containerId, Bytes bytes, String... appFiles)
            throws IOException {
        DirtyPages.Folios folios = bytes.shimFolios();
        if (folios == null) {
            throw new AssertionError("tracefs is needed (root, /sys/kernel/tracing)");
        }
        if (folios.lost()) {
            throw new AssertionError("trace events were lost: " + folios.describe());
        }
        Path rootfs = containerd.criBundle(containerId).resolve("rootfs");
        Path upper = HostScan.overlayUpperDir(rootfs).orElseThrow(() -> new AssertionError("no overlay on " + rootfs));
        long data = folios.data();
        StringBuilder excepted = new StringBuilder();
        for (String file : appFiles) {
            Path path = upper.resolve(file.replaceFirst("^/", ""));
            long inode = (Long) Files.getAttribute(path, "unix:ino");
            data -= folios.dataOf(inode);
            excepted.append(' ').append(path).append(" (inode ").append(inode).append(')');
        }
        if (data != 0) {
            throw new AssertionError("file data dirtied by the daemon, runc or CRIU: " + data + " folios; "
                    + folios.describeWithPages() + (excepted.isEmpty() ? "" : "; the app's own, not counted:" + excepted));
        }
    }

    private static long pausePid(PrivateContainerd containerd, String podId) {
        String info = containerd.cri().runtime(Duration.ofSeconds(10)).podSandboxStatus(PodSandboxStatusRequest
                .newBuilder().setPodSandboxId(podId).setVerbose(true).build()).getInfoMap().get("info");
        if (info == null) {
            throw new IllegalStateException("sandbox " + podId + ": no verbose info, so no pid");
        }
        long pid = tools.jackson.databind.json.JsonMapper.builder().build().readTree(info).path("pid").asLong(0);
        if (pid <= 0) {
            throw new IllegalStateException("sandbox " + podId + ": no pid in its verbose info");
        }
        return pid;
    }

    /** Field 4 of {@code /proc/<pid>/stat} (after the command name, which may hold spaces). */
    private static long parentOf(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] rest = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(rest[1]);
        } catch (IOException e) {
            throw new IllegalStateException("parent of pid " + pid + ": " + e.getMessage(), e);
        }
    }

    private static long writeBytes(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "io"))) {
                if (line.startsWith("write_bytes:")) {
                    return Long.parseLong(line.substring("write_bytes:".length()).strip());
                }
            }
            throw new IllegalStateException("/proc/" + pid + "/io has no write_bytes");
        } catch (NoSuchFileException e) {
            throw new IllegalStateException("process " + pid + " is gone", e);
        } catch (IOException e) {
            throw new IllegalStateException("/proc/" + pid + "/io: " + e.getMessage(), e);
        }
    }
}
