package dev.restoreshim.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.restoreshim.proto.cri.CheckpointContainerRequest;
import dev.restoreshim.proto.cri.ContainerState;
import dev.restoreshim.proto.cri.ExecSyncRequest;
import dev.restoreshim.proto.cri.ExecSyncResponse;
import dev.restoreshim.proto.cri.PodSandboxConfig;
import dev.restoreshim.proto.cri.RemoveContainerRequest;
import dev.restoreshim.proto.cri.RemovePodSandboxRequest;
import dev.restoreshim.proto.cri.RunPodSandboxRequest;
import dev.restoreshim.proto.cri.StopContainerRequest;
import dev.restoreshim.proto.cri.StopPodSandboxRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Restore images end to end, as the kubelet drives them: the app is checkpointed through CRI
 * {@code CheckpointContainer} with the stock runc handler, a restore image is built from the
 * archive ({@link RestoreImages#build}) and pushed to the loopback registry, then PullImage,
 * RunPodSandbox (handler {@code restore}, no annotation), CreateContainer with the restore image
 * and StartContainer: the process continues counting, the delta is there, {@code .restore-shim}
 * is invisible inside the container, and a second restore of the same image works (the layer is
 * unchanged). The same image with the runc handler starts the app fresh.
 * A truncated page image and a tampered restore.json each fail the start with a clear error and
 * leave nothing behind. Then a second node (another containerd with its own root) pulls the image
 * from the registry and restores it too; its daemon is then killed, and containerd's cleanup
 * ({@code delete}) leaves no mount of the restored task.
 */
@ExtendWith(TestEnvironment.class)
class RestoreImageIT {
    private static final Pattern TICK = Pattern.compile("app: tick (\\d+)");

    @Test
    void restoreImage_pulledAndRestored_runcColdStarts_corruptImagesRefused() throws Exception {
        TestImages images = TestEnvironment.images();
        String registry = TestEnvironment.shared().registry().host();
        // /run's dirs on tmpfs as on a node, so that what reaches the disk is what a restore writes
        try (PrivateContainerd containerd = PrivateContainerd.startWithRunOnTmpfs("RestoreImageIT", Handler.RESTORE_TTRPC,
                registry, images.pause())) {
            assertTimeoutPreemptively(Duration.ofMinutes(8), () -> run(containerd, images, registry),
                    () -> "timed out; containerd log (" + containerd.log() + ") ends with:\n" + containerd.logTail(40));
        }
    }

    private static void run(PrivateContainerd containerd, TestImages images, String registry) throws Exception {
        KubeletFlow kubelet = new KubeletFlow(containerd);
        kubelet.pull(images.pause());
        kubelet.pull(images.app());
        List<KubeletFlow.Pod> pods = new ArrayList<>();
        List<String> running = new ArrayList<>();
        List<String> failed = new ArrayList<>();

        KubeletFlow.Pod source = runPod(containerd, "src", "runc");
        pods.add(source);
        String app = kubelet.createContainer(source, "app", images.app());
        running.add(app);
        kubelet.start(app);
        KubeletFlow.awaitFile(source.logDir().resolve("app/0.log"), s -> s.contains("app: tick 3"), Duration.ofSeconds(20));
        ExecSyncResponse changed = exec(containerd, app, "echo kept > /tmp/written && rm /etc/rsit-release");
        assertEquals(0, changed.getExitCode(), changed.getStderr().toStringUtf8());
        Path archive = containerd.dir().resolve("app-checkpoint.tar");
        containerd.cri().runtime(Duration.ofMinutes(2)).checkpointContainer(CheckpointContainerRequest.newBuilder()
                .setContainerId(app).setLocation(archive.toString()).build());
        int atCheckpoint = lastTick(Files.readString(source.logDir().resolve("app/0.log")));

        String ref = registry + "/rsit/app-restore:1";
        long b0 = System.nanoTime();
        RestoreImages.build(archive, images.app(), ref, TestEnvironment.workDir());
        long buildMs = (System.nanoTime() - b0) / 1_000_000;
        long p0 = System.nanoTime();
        kubelet.pull(ref);
        long pullMs = (System.nanoTime() - p0) / 1_000_000;

        // restore handler: the process continues from the image
        KubeletFlow.Pod target = runPod(containerd, "dst", "restore");
        pods.add(target);
        long t0 = System.nanoTime();
        String restored = kubelet.createContainer(target, "app", ref);
        running.add(restored);
        kubelet.start(restored);
        long startMs = (System.nanoTime() - t0) / 1_000_000;
        kubelet.awaitState(restored, ContainerState.CONTAINER_RUNNING, Duration.ofSeconds(10));
        int first = assertContinues(target, atCheckpoint);
        System.out.printf("restore_image_it build_ms=%d pull_ms=%d create_start_ms=%d ticks_at_checkpoint=%d"
                + " first_restored_tick=%d archive_bytes=%d%n", buildMs, pullMs, startMs, atCheckpoint, first,
                Files.size(archive));
        assertDeltaAndNoReservedDir(containerd, restored);

        // runc handler: the same image cold-starts the original command
        KubeletFlow.Pod cold = runPod(containerd, "cold", "runc");
        pods.add(cold);
        String fresh = kubelet.createContainer(cold, "app", ref);
        running.add(fresh);
        kubelet.start(fresh);
        String coldLog = KubeletFlow.awaitFile(cold.logDir().resolve("app/0.log"), s -> s.contains("app: tick 1"),
                Duration.ofSeconds(20));
        assertTrue(coldLog.contains(TestImages.APP_STARTED) && firstTick(coldLog) == 0, "a fresh start:\n" + coldLog);

        // the same image restored again on this node: the first restore left its layer as it was
        // (verification would refuse a stats-restore CRIU wrote into the images dir), and issue 4's
        // "0 bytes written during restore": no file data dirtied by the daemon, runc or CRIU
        KubeletFlow.Pod again = runPod(containerd, "dst2", "restore");
        pods.add(again);
        RuntimeWrites writes = RuntimeWrites.start(containerd, again.id(), true);
        String second = kubelet.createContainer(again, "app", ref);
        running.add(second);
        kubelet.start(second);
        kubelet.awaitState(second, ContainerState.CONTAINER_RUNNING, Duration.ofSeconds(10));
        RuntimeWrites.assertNoFileData(containerd, second, writes.bytes());
        assertContinues(again, atCheckpoint);

        // a truncated page image: the layer disagrees with restore.json (size)
        String truncated = registry + "/rsit/app-restore:truncated";
        RestoreImages.buildWithBuildah(archive, images.app(), truncated, TestEnvironment.workDir(), reserved -> {
            Path pages = largestImage(reserved.resolve("checkpoint"));
            rewrite(pages, Arrays.copyOf(read(pages), (int) (size(pages) / 2)));
        });
        assertRefused(containerd, kubelet, pods, failed, truncated, "broken1", "pages-", "size ");

        // a tampered restore.json: a small image's digest no longer matches
        String tampered = registry + "/rsit/app-restore:tampered";
        RestoreImages.buildWithBuildah(archive, images.app(), tampered, TestEnvironment.workDir(), reserved -> {
            Path json = reserved.resolve("restore.json");
            String s = new String(read(json));
            Matcher m = Pattern.compile("\"name\":\"(inventory\\.img)\",\"size\":\\d+,\"sha256\":\"([0-9a-f]{64})\"")
                    .matcher(s);
            assertTrue(m.find(), s);
            rewrite(json, s.replace(m.group(2), "0".repeat(64)).getBytes());
        });
        assertRefused(containerd, kubelet, pods, failed, tampered, "broken2", "inventory.img", "sha256");

        // a second node: its own containerd root, the image only through the registry
        try (PrivateContainerd other = PrivateContainerd.start("RestoreImageIT-node2", Handler.RESTORE_TTRPC, registry,
                images.pause())) {
            restoreOnOtherNode(other, images, ref, atCheckpoint);
        }

        var runtime = containerd.cri().runtime(Duration.ofMinutes(1));
        for (String id : failed) {
            runtime.removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
        }
        for (String id : running) {
            runtime.stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(5).build());
            runtime.removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
        }
        removePods(containerd, pods);
        List<String> ids = new ArrayList<>(running);
        ids.addAll(failed);
        pods.forEach(p -> ids.add(p.id()));
        LeakCheck.assertClean(containerd, ids);
    }

    private static void restoreOnOtherNode(PrivateContainerd node, TestImages images, String ref, int atCheckpoint)
            throws Exception {
        KubeletFlow kubelet = new KubeletFlow(node);
        kubelet.pull(images.pause());
        kubelet.pull(ref);
        KubeletFlow.Pod pod = runPod(node, "node2", "restore");
        String id = kubelet.createContainer(pod, "app", ref);
        kubelet.start(id);
        kubelet.awaitState(id, ContainerState.CONTAINER_RUNNING, Duration.ofSeconds(10));
        assertContinues(pod, atCheckpoint);
        assertDeltaAndNoReservedDir(node, id);

        // the daemon dies (TTRPC: its tasks end): containerd's delete call detaches the overlay and
        // the read-only images mount of the restored container
        HostScan.HostProcess daemon = DaemonCrashIT.daemonOf(node);
        assertTrue(ProcessHandle.of(daemon.pid()).map(ProcessHandle::destroyForcibly).orElse(false), "SIGKILL " + daemon);
        kubelet.awaitState(id, ContainerState.CONTAINER_EXITED, Duration.ofSeconds(30));
        Path bundle = node.criBundle(id);
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!HostScan.mountsUnder(bundle).isEmpty() && System.nanoTime() < deadline) {
            PodmanService.sleep(100);
        }
        assertEquals(List.of(), HostScan.mountsUnder(bundle), "mounts of the dead restored task");
        var runtime = node.cri().runtime(Duration.ofMinutes(1));
        runtime.removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
        removePods(node, List.of(pod));
        LeakCheck.assertClean(node, List.of(id, pod.id()));
    }

    /** Waits for two ticks in the pod's app log; asserts a continuation, returns the first tick. */
    static int assertContinues(KubeletFlow.Pod pod, int atCheckpoint) throws IOException {
        Path log = pod.logDir().resolve("app/0.log");
        int first = firstTick(KubeletFlow.awaitFile(log, s -> TICK.matcher(s).find(), Duration.ofSeconds(20)));
        String text = KubeletFlow.awaitFile(log, s -> s.contains("app: tick " + (first + 1)), Duration.ofSeconds(20));
        assertFalse(text.contains(TestImages.APP_STARTED), "a restore does not start the app again:\n" + text);
        assertTrue(first >= atCheckpoint - 1 && first > 1, "counter continues from " + atCheckpoint + ":\n" + text);
        return first;
    }

    private static void assertDeltaAndNoReservedDir(PrivateContainerd containerd, String id) {
        ExecSyncResponse files = exec(containerd, id,
                "cat /tmp/written && if [ -e /etc/rsit-release ]; then echo present; else echo absent; fi");
        assertEquals("kept\nabsent\n", files.getStdout().toStringUtf8(),
                "the delta: written file there, deleted file absent; stderr: " + files.getStderr().toStringUtf8());
        ExecSyncResponse root = exec(containerd, id, "ls -a /");
        String listing = root.getStdout().toStringUtf8();
        assertTrue(listing.contains("app.sh") && !listing.contains(".restore-shim"),
                ".restore-shim is invisible inside the container:\n" + listing);
    }

    private static void assertRefused(PrivateContainerd containerd, KubeletFlow kubelet, List<KubeletFlow.Pod> pods,
                                      List<String> failed, String ref, String name, String... parts) throws Exception {
        kubelet.pull(ref);
        KubeletFlow.Pod pod = runPod(containerd, name, "restore");
        pods.add(pod);
        String id = kubelet.createContainer(pod, "app", ref);
        failed.add(id);
        var refused = assertThrows(io.grpc.StatusRuntimeException.class, () -> kubelet.start(id));
        String description = String.valueOf(refused.getStatus().getDescription());
        System.out.println(name + ": " + refused.getStatus());
        assertTrue(description.contains("restore image layer /"), "the error names the layer dir: " + description);
        for (String p : parts) {
            assertTrue(description.contains(p), "expected \"" + p + "\" in: " + description);
        }
        List<Path> mounts = HostScan.mountsUnder(containerd.dir()).stream()
                .filter(m -> m.toString().contains(id)).toList();
        assertEquals(List.of(), mounts, "nothing of the refused restore stays mounted");
    }

    static ExecSyncResponse exec(PrivateContainerd containerd, String id, String script) {
        return containerd.cri().runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(id)
                .addAllCmd(List.of("/bin/sh", "-c", script)).setTimeout(10).build());
    }

    static KubeletFlow.Pod runPod(PrivateContainerd containerd, String name, String handler) throws Exception {
        PodSandboxConfig config = new KubeletFlow(containerd).sandboxConfig(name, Map.of());
        Path logDir = Files.createDirectories(Path.of(config.getLogDirectory()));
        String id = containerd.cri().runtime(Duration.ofMinutes(2)).runPodSandbox(RunPodSandboxRequest.newBuilder()
                .setConfig(config).setRuntimeHandler(handler).build()).getPodSandboxId();
        return new KubeletFlow.Pod(id, config, logDir);
    }

    static void removePods(PrivateContainerd containerd, List<KubeletFlow.Pod> pods) {
        var runtime = containerd.cri().runtime(Duration.ofMinutes(1));
        for (KubeletFlow.Pod pod : pods.reversed()) {
            runtime.stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod.id()).build());
            runtime.removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod.id()).build());
        }
    }

    private static Path largestImage(Path dir) {
        try (Stream<Path> list = Files.list(dir)) {
            return list.filter(p -> p.getFileName().toString().startsWith("pages-"))
                    .max(java.util.Comparator.comparingLong(RestoreImageIT::size)).orElseThrow();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] read(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void rewrite(Path p, byte[] data) {
        try {
            Files.write(p, data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int lastTick(String log) {
        Matcher m = TICK.matcher(log);
        int last = -1;
        while (m.find()) {
            last = Integer.parseInt(m.group(1));
        }
        return last;
    }

    private static int firstTick(String log) {
        Matcher m = TICK.matcher(log);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }
}
