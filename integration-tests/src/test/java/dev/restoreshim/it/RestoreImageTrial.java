package dev.restoreshim.it;

import dev.restoreshim.proto.cri.ImageSpec;
import dev.restoreshim.proto.cri.RemoveImageRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One run of one side of the restore image benchmark, as the kubelet drives it: RunPodSandbox on
 * the side's handler, PullImage of the side's image (timed), page cache dropped, then
 * CreateContainer + StartContainer (timed) and the wait for the first tick line the restored app
 * writes; the bytes written to the block devices from just before Create until the tick is visible
 * (after a {@code sync}), and as the noise floor what the machine wrote in the second before; for restore-shim also CRIU's own restore time (the last timestamp of
 * {@code restore.log} in the bundle's {@code criu-work}) and the daemon's {@code restore_ms}. Then
 * the pod and the image are removed, so the next run pulls again.
 */
final class RestoreImageTrial {
    private static final Pattern TICK = Pattern.compile("bench: tick (\\d+)");
    private static final Pattern CRIU_STAMP = Pattern.compile("(?m)^\\((\\d+\\.\\d+)\\)");

    /**
     * What one run measured; {@code criuMs}, {@code daemonRestoreMs}, {@code daemonTotalMs} and
     * {@code criuLogBytes} are -1 for stock. {@code backgroundBytesPerSecond}: what the machine
     * wrote in the second before Create, while this run did nothing (other work on the host).
     * {@code runtime}: what containerd and the pod's shim or node daemon wrote in the same window
     * as {@code bytesWritten} ({@link RuntimeWrites}).
     */
    record Result(double pullMs, double createMs, double startMs, double visibleMs, long firstTick, long bytesWritten,
            RuntimeWrites.Bytes runtime, long backgroundBytesPerSecond, double criuMs, double daemonRestoreMs, double daemonTotalMs,
            long criuLogBytes, double servedMs) {
        double createStartMs() {
            return createMs + startMs;
        }
    }

    private RestoreImageTrial() {
    }

    /**
     * Runs one trial; {@code lastTickBefore} is the source's last tick before the checkpoint, and
     * the restored app's first tick must not be more than one below it. {@code shimState}: the
     * restore-shim state dir of the handler (its daemon logs), null for stock. With {@code lazy}
     * the trial also waits until the lazy-pages daemon has served every page ({@code servedMs},
     * else -1) and counts the bytes written until then, not only until the first tick.
     */
    static Result run(PrivateContainerd containerd, String name, String handler, String image, int mib,
            long lastTickBefore, Path shimState, boolean lazy) throws IOException {
        boolean restoreShim = shimState != null;
        RestoreTrial pod = RestoreTrial.pod(containerd, name, handler, Map.of());
        try {
            long p0 = System.nanoTime();
            new KubeletFlow(containerd).pull(image);
            double pullMs = (System.nanoTime() - p0) / 1e6;
            HostCommand.of("sh", "-c", "sync; echo 3 > /proc/sys/vm/drop_caches").check();
            long background = DiskWrites.bytes();
            PodmanService.sleep(1000);
            long w0 = DiskWrites.bytesAfterSync();
            background = w0 - background;
            RuntimeWrites runtime = RuntimeWrites.start(containerd, pod.podId(), restoreShim);
            long t0 = System.nanoTime();
            double createMs = pod.create(image, mib);
            // containerd's own restore copies the archive's container.log (the source's lines) into the
            // new log at Create; the restored app appends after it.
            int copied = Files.exists(pod.log()) ? Files.readString(pod.log()).length() : 0;
            double startMs = pod.start();
            String fresh = pod.awaitLog(s -> s.length() > copied && TICK.matcher(s.substring(copied)).find(),
                    Duration.ofMinutes(2)).substring(copied);
            double visibleMs = (System.nanoTime() - t0) / 1e6;
            double servedMs = -1;
            if (lazy) { // the images are read until every page is served: writes count until then
                servedMs = ShimVariant.awaitServedMs(shimState, pod.containerId(), Duration.ofMinutes(10));
            }
            RuntimeWrites.Bytes runtimeWritten = runtime.bytes();
            long written = DiskWrites.bytesAfterSync() - w0;
            long first = RestoreTrial.firstTick(fresh);
            if (fresh.contains(BenchImage.FILLED) || first < lastTickBefore - 1) {
                throw new IllegalStateException("the app did not continue from tick " + lastTickBefore
                        + " (first tick " + first + "); new lines in " + pod.log() + ":\n" + fresh);
            }
            if (!restoreShim) {
                return new Result(pullMs, createMs, startMs, visibleMs, first, written, runtimeWritten, background, -1, -1,
                        -1, -1, -1);
            }
            Path criuLog = criuLog(containerd, pod.containerId());
            double restoreMs = daemonField(shimState, pod.containerId(), "restore_ms");
            for (int i = 0; restoreMs < 0 && lazy && i < 40; i++) { // event=restored follows lazy_pages_served
                PodmanService.sleep(50);
                restoreMs = daemonField(shimState, pod.containerId(), "restore_ms");
            }
            return new Result(pullMs, createMs, startMs, visibleMs, first, written, runtimeWritten, background,
                    criuRestoreMs(criuLog),
                    restoreMs, daemonField(shimState, pod.containerId(), "total_ms"), Files.size(criuLog), servedMs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the lazy pages of " + name);
        } finally {
            pod.remove();
            removeImage(containerd, image);
        }
    }

    /** CRIU's restore log in the restored task's bundle. */
    static Path criuLog(PrivateContainerd containerd, String containerId) {
        return containerd.criBundle(containerId).resolve("criu-work").resolve("restore.log");
    }

    /** CRIU's own restore time: the last timestamp in its restore.log (seconds since CRIU started). */
    static double criuRestoreMs(Path log) throws IOException {
        if (!Files.isRegularFile(log)) {
            throw new IllegalStateException("no CRIU restore log at " + log);
        }
        Matcher m = CRIU_STAMP.matcher(Files.readString(log));
        double last = -1;
        while (m.find()) {
            last = Double.parseDouble(m.group(1)) * 1000;
        }
        if (last < 0) {
            throw new IllegalStateException("no timestamped line in " + log);
        }
        return last;
    }

    /**
     * The numeric {@code field} of the {@code event=restored} line for {@code containerId} in the
     * daemon logs of restore-shim state dir {@code shimState}, or -1.
     */
    static double daemonField(Path shimState, String containerId, String field) throws IOException {
        Pattern value = Pattern.compile("\\b" + field + "=(-?\\d+)");
        Path daemons = shimState.resolve("d");
        if (!Files.isDirectory(daemons)) {
            return -1;
        }
        List<Path> logs;
        try (Stream<Path> dirs = Files.list(daemons)) {
            logs = dirs.map(d -> d.resolve("daemon.log")).filter(Files::isRegularFile).toList();
        }
        double found = -1;
        for (Path log : logs) {
            for (String line : Files.readAllLines(log)) {
                if (line.contains("event=restored ") && line.contains("id=" + containerId)) {
                    Matcher m = value.matcher(line);
                    found = m.find() ? Double.parseDouble(m.group(1)) : found;
                }
            }
        }
        return found;
    }

    private static void removeImage(PrivateContainerd containerd, String image) {
        try {
            containerd.cri().images().removeImage(RemoveImageRequest.newBuilder()
                    .setImage(ImageSpec.newBuilder().setImage(image)).build());
        } catch (RuntimeException e) {
            System.err.println("bench: RemoveImage " + image + " failed: " + e.getMessage());
        }
    }
}
