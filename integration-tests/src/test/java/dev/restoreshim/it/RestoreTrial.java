package dev.restoreshim.it;

import dev.restoreshim.proto.cri.CheckpointContainerRequest;
import dev.restoreshim.proto.cri.ContainerConfig;
import dev.restoreshim.proto.cri.ContainerMetadata;
import dev.restoreshim.proto.cri.CreateContainerRequest;
import dev.restoreshim.proto.cri.ImageSpec;
import dev.restoreshim.proto.cri.KeyValue;
import dev.restoreshim.proto.cri.LinuxContainerConfig;
import dev.restoreshim.proto.cri.LinuxContainerSecurityContext;
import dev.restoreshim.proto.cri.NamespaceMode;
import dev.restoreshim.proto.cri.NamespaceOption;
import dev.restoreshim.proto.cri.PodSandboxConfig;
import dev.restoreshim.proto.cri.RemoveContainerRequest;
import dev.restoreshim.proto.cri.RemovePodSandboxRequest;
import dev.restoreshim.proto.cri.RunPodSandboxRequest;
import dev.restoreshim.proto.cri.StartContainerRequest;
import dev.restoreshim.proto.cri.StopContainerRequest;
import dev.restoreshim.proto.cri.StopPodSandboxRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One pod of the restore benchmark: a sandbox on a handler, one container created (from an image
 * or, for containerd's own CRI restore, from a checkpoint archive path), started, and timed until
 * its log shows a tick line. {@link #remove()} stops and removes both.
 */
final class RestoreTrial {

    private static final Pattern TICK = Pattern.compile("bench: tick (\\d+)");
    /** Generous: CRIU reads 2 GiB of pages from a cold disk. */
    private static final Duration CALL_LIMIT = Duration.ofMinutes(10);

    /**
     * What one create+start took.
     *
     * @param writtenBytes bytes written to the host's real disks from just before CreateContainer
     *     until the tick was visible (after a sync; see {@link DiskWrites})
     * @param runtime what containerd and the pod's shim or node daemon (with the runc and CRIU
     *     they reaped) wrote to disk-backed files in the same window ({@link RuntimeWrites})
     * @param tmpfsBytes the tmpfs bytes restore-shim staged for this restore (its
     *     {@code event=restored} line), -1 when not known (stock)
     * @param servedMs for a lazy restore, the lazy-pages daemon's time from ready until every page
     *     was served ({@code event=lazy_pages_served ms=}), -1 otherwise
     */
    record Timing(double createMs, double startMs, double visibleMs, long firstTick, long writtenBytes,
                  RuntimeWrites.Bytes runtime, long tmpfsBytes, long servedMs) {
        double createStartMs() {
            return createMs + startMs;
        }

        Timing withTmpfs(long bytes) {
            return new Timing(createMs, startMs, visibleMs, firstTick, writtenBytes, runtime, bytes, servedMs);
        }

        Timing withServed(long ms) {
            return new Timing(createMs, startMs, visibleMs, firstTick, writtenBytes, runtime, tmpfsBytes, ms);
        }
    }

    private final PrivateContainerd containerd;
    private final String podId;
    private final String handler;
    private final PodSandboxConfig config;
    private final Path log;
    private String containerId;

    private RestoreTrial(PrivateContainerd containerd, String podId, String handler, PodSandboxConfig config, Path log) {
        this.containerd = containerd;
        this.podId = podId;
        this.handler = handler;
        this.config = config;
        this.log = log;
    }

    /** RunPodSandbox on {@code handler} with {@code annotations} (not timed). */
    static RestoreTrial pod(PrivateContainerd containerd, String name, String handler, Map<String, String> annotations)
            throws IOException {
        PodSandboxConfig config = new KubeletFlow(containerd).sandboxConfig(name, annotations);
        Path logDir = Files.createDirectories(Path.of(config.getLogDirectory()));
        String id = containerd.cri().runtime(Duration.ofMinutes(2)).runPodSandbox(RunPodSandboxRequest.newBuilder()
                .setConfig(config).setRuntimeHandler(handler).build()).getPodSandboxId();
        return new RestoreTrial(containerd, id, handler, config, logDir.resolve("app/0.log"));
    }

    /** The pod sandbox id. */
    String podId() {
        return podId;
    }

    /** The container log. */
    Path log() {
        return log;
    }

    /** The container id once created. */
    String containerId() {
        return containerId;
    }

    /** CreateContainer with {@code image} and env {@code BENCH_MIB=mib}; returns elapsed ms. */
    double create(String image, int mib) {
        ContainerConfig container = ContainerConfig.newBuilder()
                .setMetadata(ContainerMetadata.newBuilder().setName("app").setAttempt(0))
                .setImage(ImageSpec.newBuilder().setImage(image))
                .addEnvs(KeyValue.newBuilder().setKey(BenchImage.SIZE_ENV).setValue(Integer.toString(mib)))
                .setLogPath("app/0.log")
                .setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(LinuxContainerSecurityContext.newBuilder()
                        .setNamespaceOptions(NamespaceOption.newBuilder()
                                .setNetwork(NamespaceMode.NODE).setPid(NamespaceMode.CONTAINER).setIpc(NamespaceMode.POD))))
                .build();
        long t0 = System.nanoTime();
        containerId = containerd.cri().runtime(CALL_LIMIT).createContainer(CreateContainerRequest.newBuilder()
                .setPodSandboxId(podId).setConfig(container).setSandboxConfig(config).build()).getContainerId();
        return (System.nanoTime() - t0) / 1e6;
    }

    /** StartContainer; returns elapsed ms. */
    double start() {
        long t0 = System.nanoTime();
        containerd.cri().runtime(CALL_LIMIT).startContainer(StartContainerRequest.newBuilder().setContainerId(containerId).build());
        return (System.nanoTime() - t0) / 1e6;
    }

    /**
     * Create + start of a restore, then waits for the first tick line; fails if the app started
     * afresh (its "filled" line) instead of continuing.
     */
    Timing restore(String image, int mib) throws IOException {
        long sectors = DiskWrites.sectors();
        RuntimeWrites runtime = RuntimeWrites.start(containerd, podId, !handler.equals(Handler.RUNC.criName()));
        long t0 = System.nanoTime();
        double create = create(image, mib);
        double start = start();
        String content = awaitLog(s -> TICK.matcher(s).find(), Duration.ofMinutes(2));
        double visible = (System.nanoTime() - t0) / 1e6;
        if (content.contains(BenchImage.FILLED)) {
            throw new IllegalStateException("the restored app started afresh instead of continuing; log " + log + ":\n" + content);
        }
        RuntimeWrites.Bytes runtimeWritten = runtime.bytes();
        long written = DiskWrites.bytesSince(sectors);
        return new Timing(create, start, visible, firstTick(content), written, runtimeWritten, -1, -1);
    }

    /** Polls the log every 10 ms until {@code test} holds; returns its content. */
    String awaitLog(java.util.function.Predicate<String> test, Duration limit) throws IOException {
        long deadline = System.nanoTime() + limit.toNanos();
        String content = "";
        while (System.nanoTime() < deadline) {
            content = Files.exists(log) ? Files.readString(log) : "";
            if (test.test(content)) {
                return content;
            }
            PodmanService.sleep(10);
        }
        throw new IllegalStateException("log " + log + " did not show the expected line within " + limit + "; content:\n" + content);
    }

    /** Stops and removes the container (if any) and the pod; a failing step is reported, not thrown. */
    void remove() {
        var runtime = containerd.cri().runtime(Duration.ofMinutes(2));
        if (containerId != null) {
            quietly("StopContainer " + containerId, () -> runtime.stopContainer(
                    StopContainerRequest.newBuilder().setContainerId(containerId).setTimeout(2).build()));
            quietly("RemoveContainer " + containerId, () -> runtime.removeContainer(
                    RemoveContainerRequest.newBuilder().setContainerId(containerId).build()));
        }
        quietly("StopPodSandbox " + podId, () -> runtime.stopPodSandbox(
                StopPodSandboxRequest.newBuilder().setPodSandboxId(podId).build()));
        quietly("RemovePodSandbox " + podId, () -> runtime.removePodSandbox(
                RemovePodSandboxRequest.newBuilder().setPodSandboxId(podId).build()));
    }

    private static void quietly(String what, Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            System.err.println("bench: " + what + " failed: " + e.getMessage());
        }
    }

    /**
     * The bench app filling {@code mib} MiB, run in pod {@code src-<mib>} on the stock runc handler,
     * checkpointed through CRI into {@code archive} (it keeps running until the pod is removed, right
     * after); prints the checkpoint's time and size and returns the app's last tick before the call.
     */
    static long checkpointBenchApp(PrivateContainerd containerd, BenchImage bench, Path archive, int mib)
            throws IOException {
        RestoreTrial source = pod(containerd, "src-" + mib, Handler.RUNC.criName(), Map.of());
        try {
            source.create(bench.ref(), mib);
            source.start();
            source.awaitLog(s -> s.contains(BenchImage.FILLED) && s.contains("bench: tick 2 "), Duration.ofMinutes(5));
            long before = lastTick(Files.readString(source.log()));
            long c0 = System.nanoTime();
            containerd.cri().runtime(Duration.ofMinutes(20)).checkpointContainer(CheckpointContainerRequest.newBuilder()
                    .setContainerId(source.containerId()).setLocation(archive.toString()).build());
            System.out.printf("  checkpoint: %.0f ms, archive %d MiB, last tick before the call %d"
                    + " (the source keeps running; a restore continues after it)%n", (System.nanoTime() - c0) / 1e6,
                    Files.size(archive) >> 20, before);
            return before;
        } finally {
            source.remove();
        }
    }

    static long firstTick(String content) {
        Matcher m = TICK.matcher(content);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    static long lastTick(String content) {
        Matcher m = TICK.matcher(content);
        long last = -1;
        while (m.find()) {
            last = Long.parseLong(m.group(1));
        }
        return last;
    }
}
