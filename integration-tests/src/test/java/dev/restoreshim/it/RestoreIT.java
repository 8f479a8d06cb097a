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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The restore path end to end: the app runs with the stock runc handler in a pod with its own pid
 * namespace, is checkpointed through CRI {@code CheckpointContainer} (a real containerd archive),
 * and a new pod with the {@code restore} handler creates a container from the same image with the
 * pod annotation {@code restore-shim.dev/checkpoint=<archive>}: its process continues (the tick
 * counter goes on from its checkpointed value; "app: started" is not printed again), a file it wrote
 * before the checkpoint is there and a file of its image it deleted is absent (the delta layer
 * with its whiteout), the staging tmpfs is gone after Start, and nothing is left after removal.
 */
@ExtendWith(TestEnvironment.class)
class RestoreIT {
    private static final Pattern TICK = Pattern.compile("app: tick (\\d+)");

    @Test
    void containerdArchive_restoredThroughAnnotation_continuesCounting() throws Exception {
        TestImages images = TestEnvironment.images();
        try (PrivateContainerd containerd = PrivateContainerd.start("RestoreIT", Handler.RESTORE_TTRPC,
                TestEnvironment.shared().registry().host(), images.pause())) {
            assertTimeoutPreemptively(Duration.ofMinutes(5), () -> checkpointAndRestore(containerd, images),
                    () -> "timed out; containerd log (" + containerd.log() + ") ends with:\n" + containerd.logTail(40));
        }
    }

    private static void checkpointAndRestore(PrivateContainerd containerd, TestImages images) throws Exception {
        KubeletFlow kubelet = new KubeletFlow(containerd);
        kubelet.pull(images.pause());
        kubelet.pull(images.app());

        KubeletFlow.Pod source = runPod(containerd, kubelet, "src", "runc", Map.of());
        String app = kubelet.createContainer(source, "app", images.app());
        kubelet.start(app);
        kubelet.awaitState(app, ContainerState.CONTAINER_RUNNING, Duration.ofSeconds(10));
        KubeletFlow.awaitFile(source.logDir().resolve("app/0.log"), s -> s.contains("app: tick 3"), Duration.ofSeconds(20));

        ExecSyncResponse changed = containerd.cri().runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(app)
                .addAllCmd(List.of("/bin/sh", "-c", "echo kept > /tmp/written && rm /etc/rsit-release"))
                .setTimeout(10).build());
        assertEquals(0, changed.getExitCode(), changed.getStderr().toStringUtf8());

        Path archive = containerd.dir().resolve("app-checkpoint.tar");
        long c0 = System.nanoTime();
        containerd.cri().runtime(Duration.ofMinutes(2)).checkpointContainer(CheckpointContainerRequest.newBuilder()
                .setContainerId(app).setLocation(archive.toString()).build());
        long checkpointMs = (System.nanoTime() - c0) / 1_000_000;
        int atCheckpoint = lastTick(Files.readString(source.logDir().resolve("app/0.log")));

        KubeletFlow.Pod target = runPod(containerd, kubelet, "dst", "restore",
                Map.of("restore-shim.dev/checkpoint", archive.toString()));
        long t0 = System.nanoTime();
        String restored = kubelet.createContainer(target, "app", images.app());
        long t1 = System.nanoTime();
        kubelet.start(restored);
        long t2 = System.nanoTime();
        kubelet.awaitState(restored, ContainerState.CONTAINER_RUNNING, Duration.ofSeconds(10));
        List<Path> staging = HostScan.mountsUnder(containerd.shimState()).stream()
                .filter(m -> m.toString().contains("/restore/")).toList();
        assertEquals(List.of(), staging, "the staging tmpfs is gone once the restore returned");
        String firstLog = KubeletFlow.awaitFile(target.logDir().resolve("app/0.log"), s -> TICK.matcher(s).find(),
                Duration.ofSeconds(20));
        int first = firstTick(firstLog);
        String log = KubeletFlow.awaitFile(target.logDir().resolve("app/0.log"),
                s -> s.contains("app: tick " + (first + 1)), Duration.ofSeconds(20));
        System.out.printf("restore_it checkpoint_ms=%d create_ms=%d start_ms=%d ticks_at_checkpoint=%d first_restored_tick=%d"
                + " archive_bytes=%d%n", checkpointMs, (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, atCheckpoint, first,
                Files.size(archive));
        System.out.println("restored log:\n" + log);
        assertFalse(log.contains(TestImages.APP_STARTED), "a restore does not start the app again:\n" + log);
        assertTrue(first >= atCheckpoint - 1 && first > 1, "counter continues from " + atCheckpoint + ":\n" + log);
        ExecSyncResponse files = containerd.cri().runtime().execSync(ExecSyncRequest.newBuilder()
                .setContainerId(restored).addAllCmd(List.of("/bin/sh", "-c",
                        "cat /tmp/written && if [ -e /etc/rsit-release ]; then echo present; else echo absent; fi"))
                .setTimeout(10).build());
        assertEquals("kept\nabsent\n", files.getStdout().toStringUtf8(),
                "the delta: written file there, deleted file absent; stderr: " + files.getStderr().toStringUtf8());

        // the same archive again: the delta comes from the cache (one entry), the process continues too
        KubeletFlow.Pod again = runPod(containerd, kubelet, "dst2", "restore",
                Map.of("restore-shim.dev/checkpoint", archive.toString()));
        String second = kubelet.createContainer(again, "app", images.app());
        kubelet.start(second);
        String secondLog = KubeletFlow.awaitFile(again.logDir().resolve("app/0.log"), s -> TICK.matcher(s).find(),
                Duration.ofSeconds(20));
        assertTrue(firstTick(secondLog) > 1 && !secondLog.contains(TestImages.APP_STARTED), secondLog);
        try (var entries = Files.list(containerd.dir().resolve("shim/cache/deltas"))) {
            assertEquals(1, entries.filter(p -> !p.getFileName().toString().startsWith(".")).count(),
                    "one cached delta for two restores");
        }

        // containerd's own CRI restore (image = archive path) through the restore handler: the
        // request's checkpoint field names the images containerd unpacked
        KubeletFlow.Pod crio = runPod(containerd, kubelet, "dst3", "restore", Map.of());
        String third = kubelet.createContainer(crio, "app", archive.toString());
        kubelet.start(third);
        String thirdLog = KubeletFlow.awaitFile(crio.logDir().resolve("app/0.log"), s -> TICK.matcher(s).find(),
                Duration.ofSeconds(20));
        assertTrue(firstTick(thirdLog) > 1 && !thirdLog.contains(TestImages.APP_STARTED), thirdLog);

        // a truncated archive: StartContainer (where CRI creates the task) fails naming the file,
        // and nothing of the attempt is left (checked by LeakCheck below)
        Path truncated = containerd.dir().resolve("truncated.tar");
        byte[] whole = Files.readAllBytes(archive);
        Files.write(truncated, java.util.Arrays.copyOf(whole, whole.length / 2));
        KubeletFlow.Pod broken = runPod(containerd, kubelet, "dst4", "restore",
                Map.of("restore-shim.dev/checkpoint", truncated.toString()));
        String fourth = kubelet.createContainer(broken, "app", images.app());
        var refused = assertThrows(io.grpc.StatusRuntimeException.class, () -> kubelet.start(fourth));
        System.out.println("truncated archive: " + refused.getStatus());
        assertTrue(String.valueOf(refused.getStatus().getDescription()).contains(truncated.toString()),
                "the error names the archive: " + refused.getStatus());

        // the checkpoint restored onto another image (the pause image has no /app.sh, which the
        // shell holds open): CRIU fails, and its own error line from restore.log reaches the caller
        KubeletFlow.Pod wrong = runPod(containerd, kubelet, "dst5", "restore",
                Map.of("restore-shim.dev/checkpoint", archive.toString()));
        String fifth = kubelet.createContainer(wrong, "app", images.pause());
        var criuFailed = assertThrows(io.grpc.StatusRuntimeException.class, () -> kubelet.start(fifth));
        System.out.println("wrong image: " + criuFailed.getStatus());
        assertTrue(String.valueOf(criuFailed.getStatus().getDescription()).contains("restore.log: "),
                "CRIU's reason is in the error: " + criuFailed.getStatus());

        var runtime = containerd.cri().runtime(Duration.ofMinutes(1));
        runtime.removeContainer(RemoveContainerRequest.newBuilder().setContainerId(fifth).build());
        runtime.removeContainer(RemoveContainerRequest.newBuilder().setContainerId(fourth).build());
        for (String id : List.of(third, second, restored, app)) {
            runtime.stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(5).build());
            runtime.removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
        }
        for (KubeletFlow.Pod pod : List.of(wrong, broken, crio, again, target, source)) {
            runtime.stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod.id()).build());
            runtime.removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod.id()).build());
        }
        LeakCheck.assertClean(containerd, List.of(source.id(), target.id(), again.id(), crio.id(), app, restored,
                second, third, broken.id(), fourth, wrong.id(), fifth));
    }

    private static KubeletFlow.Pod runPod(PrivateContainerd containerd, KubeletFlow kubelet, String name, String handler,
                                          Map<String, String> annotations) throws Exception {
        PodSandboxConfig config = kubelet.sandboxConfig(name, annotations);
        Path logDir = Files.createDirectories(Path.of(config.getLogDirectory()));
        String id = containerd.cri().runtime(Duration.ofMinutes(2)).runPodSandbox(RunPodSandboxRequest.newBuilder()
                .setConfig(config).setRuntimeHandler(handler).build()).getPodSandboxId();
        return new KubeletFlow.Pod(id, config, logDir);
    }

    private static int lastTick(String log) {
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
